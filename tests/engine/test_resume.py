"""A run killed with SIGKILL part-way resumes: nothing stored is asked for again, and the
results equal those of a run that was never interrupted. Real processes, a real server."""

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

SUITE = """
[suites.resume]
benchmarks = ["mmlu", "gsm8k"]
limits = { mmlu = 6, gsm8k = 4 }
"""


def write_config(directory: Path, server: LlamaServer) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bakeoff.toml"
    path.write_text(f"""
default_suite = "resume"

[[models]]
name = "smollm-server"
provider = "openai"
base_url = "{server.base_url}"
model = "{server.model}"
concurrency = 1
{SUITE}
""")
    return path


def start_run(directory: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bakeoff", "run"], cwd=directory,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


def stored(directory: Path, query: str) -> int:
    path = directory / "bakeoff-results" / "bakeoff.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # tables not created yet


def settled_request_count(server: LlamaServer) -> int:
    """The server's request count once it has stopped changing (calls in flight logged)."""
    count, stable_since = server.request_count(), time.monotonic()
    while time.monotonic() - stable_since < 3:
        time.sleep(0.2)
        now = server.request_count()
        if now != count:
            count, stable_since = now, time.monotonic()
    return count


def results(directory: Path) -> list[tuple[str, ...]]:
    path = directory / "bakeoff-results" / "bakeoff.sqlite"
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT s.benchmark, s.sample_id, s.metric, s.value, s.extracted, c.text"
            " FROM scores s JOIN completions c ON s.completion_keys_json = json_array(c.key)"
            " ORDER BY 1, 2, 3").fetchall()


def test_a_killed_run_resumes_without_asking_twice(tmp_path: Path,
                                                   llama_server: LlamaServer) -> None:
    interrupted = tmp_path / "interrupted"
    write_config(interrupted, llama_server)
    process = start_run(interrupted)
    deadline = time.monotonic() + 240
    while stored(interrupted, "SELECT count(*) FROM completions") < 4:
        assert process.poll() is None, "the run stopped by itself"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    completions_before = stored(interrupted, "SELECT count(*) FROM completions")
    requests_before = settled_request_count(llama_server)
    assert completions_before < 10, "the run finished before it could be killed"

    second = subprocess.run([sys.executable, "-m", "bakeoff", "run"], cwd=interrupted,
                            capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 0, second.stderr
    assert "resumed" in second.stdout
    completions_after = stored(interrupted, "SELECT count(*) FROM completions")
    requests_after = settled_request_count(llama_server)
    # Every request of the second process produced a completion that was not stored before.
    assert requests_after - requests_before == completions_after - completions_before
    assert completions_after == 10
    assert stored(interrupted, "SELECT count(*) FROM runs") == 1

    clean = tmp_path / "clean"
    write_config(clean, llama_server)
    uninterrupted = subprocess.run([sys.executable, "-m", "bakeoff", "run"], cwd=clean,
                                   capture_output=True, text=True, timeout=600, check=False)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert results(interrupted) == results(clean)
    assert len(results(clean)) == 6 + 4 * 2  # gsm8k stores flexible and strict scores
