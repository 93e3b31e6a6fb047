"""`bakeoff ask` and Ctrl-C, end to end against a real llama-cpp-python server on 127.0.0.1."""

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import bakeoff
from tests.helpers.gate import gate_to
from tests.helpers.projects import CONFIG, write_project
from tests.servers import LlamaServer

pytestmark = pytest.mark.server


def write_config(directory: Path, base_url: str, model: str, suite: str = "") -> None:
    """Two models on one server, the custom benchmarks of tests/helpers/projects.py, `suite`."""
    write_project(directory, f"""
[[models]]
name = "served"
provider = "openai"
base_url = "{base_url}"
model = "{model}"
concurrency = 1  # the server interrupts a request when another arrives
price_input_per_mtok = 0.5
price_output_per_mtok = 1.5

[[models]]
name = "served-completions"
provider = "openai"
base_url = "{base_url}"
model = "{model}"
concurrency = 1  # the server interrupts a request when another arrives
endpoint = "completions"
{CONFIG}
{suite}
""")


def test_ask_shows_each_answer_with_latency_tokens_and_cost(tmp_path: Path,
                                                            llama_server: LlamaServer) -> None:
    write_config(tmp_path, llama_server.base_url, llama_server.model)
    result = bakeoff("ask", "What is the capital of France?", "-m", "served",
                     "-m", "smollm2-135m-instruct", "--max-tokens", "8", cwd=tmp_path,
                     env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "served" in out and "smollm2-135m-instruct" in out
    assert "first token" in out
    assert "first token —" not in out  # ask streams, so every answer has its first token
    assert "tokens in / out" in out
    assert "$0.0000" in out  # priced model: a cost; the local model has none
    assert "no price" in out
    assert "error (" not in out


def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path: Path,
                                                  llama_server: LlamaServer) -> None:
    """A real process gets SIGINT while its second request waits at the gate."""
    store = tmp_path / "bakeoff-results" / "bakeoff.sqlite"
    with gate_to(llama_server.base_url) as gate:
        write_config(tmp_path, gate.base_url, llama_server.model, """
[suites.s]
benchmarks = ["capitals"]
limits = { capitals = 2 }
""")
        gate.hold_after(1)
        process = subprocess.Popen(
            [sys.executable, "-m", "bakeoff", "run", "-m", "served", "-s", "s"], cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            gate.wait_until_held()
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stderr
        assert "interrupted: run 1 keeps what finished" in stderr
        assert "Traceback" not in stderr
        with sqlite3.connect(store) as db:
            assert db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
            assert db.execute("SELECT count(*) FROM completions").fetchone() == (1,)

        gate.open()
        again = bakeoff("run", "-m", "served", "-s", "s", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "run 1 resumed" in again.stdout
        assert gate.forwarded == 2  # the interrupted request was asked for once, on resume
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("finished",)]
        assert db.execute("SELECT count(DISTINCT sample_id) FROM scores").fetchone() == (2,)
