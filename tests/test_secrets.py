"""An API key's value never reaches the store, a report, or what bakeoff prints."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import LlamaServer, free_port

pytestmark = pytest.mark.server


def test_the_api_key_appears_nowhere(tmp_path: Path, llama_server: LlamaServer) -> None:
    key = f"sk-bakeoff-test-{secrets.token_hex(16)}"
    closed = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: every call fails
    (tmp_path / "bakeoff.toml").write_text(f"""
default_suite = "tiny"

[[models]]
name = "served"
provider = "openai"
base_url = "{llama_server.base_url}"
model = "{llama_server.model}"
concurrency = 1  # the server interrupts a request when another arrives
api_key_env = "BAKEOFF_TEST_KEY"

[[models]]
name = "unreachable"
provider = "openai"
base_url = "{closed}"
api_key_env = "BAKEOFF_TEST_KEY"
max_retries = 1

[suites.tiny]
benchmarks = ["mmlu"]
limits = {{ mmlu = 1 }}
""")
    env = {**os.environ, "BAKEOFF_TEST_KEY": key}
    outputs = []
    for args in (["run"], ["ask", "Say hi", "-m", "served", "-m", "unreachable"],
                 ["runs"], ["report", "1"]):
        result = subprocess.run([sys.executable, "-m", "bakeoff", *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=600, check=False)
        outputs.append(result.stdout + result.stderr)
    assert "error" in outputs[0].lower()  # the unreachable model's error records are shown
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "bakeoff.toml"]
    assert any(p.suffix == ".sqlite" for p in files)
    assert any(p.suffix == ".md" for p in files)
    for path in files:
        assert key.encode() not in path.read_bytes(), path
    for output in outputs:
        assert key not in output
