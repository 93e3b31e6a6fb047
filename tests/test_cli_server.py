"""`bakeoff ask` and Ctrl-C, end to end against a real llama-cpp-python server on 127.0.0.1."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import LlamaServer

pytestmark = pytest.mark.server


def write_config(directory: Path, server: LlamaServer, suite: str = "") -> None:
    (directory / "bakeoff.toml").write_text(f"""
[[models]]
name = "served"
provider = "openai"
base_url = "{server.base_url}"
model = "{server.model}"
concurrency = 1  # the server interrupts a request when another arrives
price_input_per_mtok = 0.5
price_output_per_mtok = 1.5

[[models]]
name = "served-completions"
provider = "openai"
base_url = "{server.base_url}"
model = "{server.model}"
concurrency = 1  # the server interrupts a request when another arrives
endpoint = "completions"
{suite}
""")


def test_ask_shows_each_answer_with_latency_tokens_and_cost(tmp_path: Path,
                                                            llama_server: LlamaServer) -> None:
    write_config(tmp_path, llama_server)
    result = subprocess.run(
        [sys.executable, "-m", "bakeoff", "ask", "What is the capital of France?",
         "-m", "served", "-m", "smollm2-135m-instruct", "--max-tokens", "24"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "served" in out and "smollm2-135m-instruct" in out
    assert "first token" in out
    assert "tokens in / out" in out
    assert "$0.0000" in out  # priced model: a cost; the local model has none
    assert "no price" in out
    assert "error (" not in out


def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path: Path,
                                                  llama_server: LlamaServer) -> None:
    write_config(tmp_path, llama_server, """
[suites.s]
benchmarks = ["gsm8k"]
limits = { gsm8k = 6 }
""")
    store = tmp_path / "bakeoff-results" / "bakeoff.sqlite"
    process = subprocess.Popen([sys.executable, "-m", "bakeoff", "run", "-m", "served", "-s", "s"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 240
    while not _has_completions(store):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted: run 1 keeps what finished" in stderr
    assert "Traceback" not in stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    again = subprocess.run([sys.executable, "-m", "bakeoff", "run", "-m", "served", "-s", "s"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600,
                           check=False)
    assert again.returncode == 0, again.stderr
    assert "run 1 resumed" in again.stdout
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("finished",)]
        assert db.execute("SELECT count(DISTINCT sample_id) FROM scores").fetchone() == (6,)


def _has_completions(store: Path) -> bool:
    if not store.exists():
        return False
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return bool(db.execute("SELECT count(*) FROM completions").fetchone()[0])
    except sqlite3.OperationalError:
        return False
