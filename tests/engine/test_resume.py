"""A run killed with SIGKILL part-way resumes: nothing stored is asked for again, and the
results equal those of a run that was never interrupted. Real processes, a real server.

A gate (tests/helpers/gate.py) between bakeoff and the server lets two answers through and
holds the third, so the kill lands at a known point and every request is counted exactly.
"""

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.gate import Gate, gate_to
from tests.helpers.projects import CONFIG, write_project
from tests.servers import LlamaServer

pytestmark = pytest.mark.server

# Two custom benchmarks with short prompts (tests/helpers/projects.py), asked in this order.
SUITE = """
[suites.resume]
benchmarks = ["support_faq", "capitals"]
limits = { support_faq = 3, capitals = 2 }
"""
COMPLETIONS = 3 + 2  # one per sample
BEFORE_THE_KILL = 2  # part-way through the first benchmark


def write_config(directory: Path, base_url: str, model: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_project(directory, f"""
default_suite = "resume"

[[models]]
name = "smollm-server"
provider = "openai"
base_url = "{base_url}"
model = "{model}"
concurrency = 1
{CONFIG}
{SUITE}
""")


def run_to_the_end(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bakeoff", "run"], cwd=directory,
                          capture_output=True, text=True, timeout=600, check=False)


def stored(directory: Path, query: str) -> int:
    with sqlite3.connect(directory / "bakeoff-results" / "bakeoff.sqlite") as db:
        return int(db.execute(query).fetchone()[0])


def results(directory: Path) -> list[tuple[str, ...]]:
    path = directory / "bakeoff-results" / "bakeoff.sqlite"
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT s.benchmark, s.sample_id, s.metric, s.value, s.extracted, c.text"
            " FROM scores s JOIN completions c ON s.completion_keys_json = json_array(c.key)"
            " ORDER BY 1, 2, 3").fetchall()


def kill_when_held(directory: Path, gate: Gate) -> None:
    """Start `bakeoff run`, let BEFORE_THE_KILL answers through, SIGKILL it at the next."""
    gate.hold_after(BEFORE_THE_KILL)
    process = subprocess.Popen([sys.executable, "-m", "bakeoff", "run"], cwd=directory,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        gate.wait_until_held()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    gate.open()


def test_a_killed_run_resumes_without_asking_twice(tmp_path: Path,
                                                   llama_server: LlamaServer) -> None:
    interrupted, clean = tmp_path / "interrupted", tmp_path / "clean"
    with gate_to(llama_server.base_url) as gate:
        write_config(interrupted, gate.base_url, llama_server.model)
        llama_server.reset_reused_prefix()
        kill_when_held(interrupted, gate)
        assert stored(interrupted, "SELECT count(*) FROM completions") == BEFORE_THE_KILL
        assert gate.forwarded == BEFORE_THE_KILL

        second = run_to_the_end(interrupted)
        assert second.returncode == 0, second.stderr
        assert "resumed" in second.stdout
        # Only what was missing was asked for: one request per completion not stored before.
        assert gate.forwarded == COMPLETIONS
        assert stored(interrupted, "SELECT count(*) FROM completions") == COMPLETIONS
        assert stored(interrupted, "SELECT count(*) FROM runs") == 1

    # The server saw the same requests in the same order, from the same starting state.
    write_config(clean, llama_server.base_url, llama_server.model)
    llama_server.reset_reused_prefix()
    uninterrupted = run_to_the_end(clean)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert results(interrupted) == results(clean)
    assert len({(row[0], row[1]) for row in results(clean)}) == COMPLETIONS
