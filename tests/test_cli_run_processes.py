"""`bakeoff run` processes sharing one store, against a real chat server on 127.0.0.1: runs of
the same plan started together never ask for an answer twice (one executes, the others refuse
with one line), a run is finished only once its report is written, and the exit code says
whether every sample was scored.

A gate (tests/helpers/gate.py) holds the first completion request, so the process that took
the run is known to be mid-run while the others start; it counts every request the server got.
"""

import sqlite3
import subprocess
from pathlib import Path

import pytest

from bakeoff.cli import RUN_WITH_ERRORS, _errors_line
from bakeoff.store import ErrorRow, Store
from tests.helpers.chat_server import chat_server
from tests.helpers.cli import BAKEOFF, bakeoff
from tests.helpers.gate import gate_to
from tests.helpers.projects import CAPITALS, write_project

SUITE = '[suites.caps]\nbenchmarks = ["capitals"]\n'
IN_PROGRESS = ("run 1 of this plan is in progress in process {pid} on {host}; wait for "
               "it to end, or stop it and run this again to resume")


def _config(base_url: str, key_env: str | None = None) -> str:
    key = f'api_key_env = "{key_env}"\n' if key_env else ""
    return (f'[[models]]\nname = "served"\nprovider = "openai"\nbase_url = "{base_url}"\n'
            f'{key}concurrency = 1\n\n[benchmarks.capitals]\nkind = "generative"\n'
            f'path = "data/capitals.jsonl"\nmetric = "contains"\n{SUITE}')


def _store(root: Path) -> Store:
    return Store(root / "bakeoff-results" / "bakeoff.sqlite")


@pytest.mark.parametrize(("processes", "existing"), [(2, False), (3, True)])
def test_runs_of_one_plan_started_together_ask_for_each_answer_once(
        tmp_path: Path, processes: int, existing: bool) -> None:
    if existing:
        _store(tmp_path).close()
    with chat_server("Paris") as url, gate_to(url) as gate:
        write_project(tmp_path, _config(gate.base_url))
        gate.hold_after(0)
        started = [subprocess.Popen([*BAKEOFF, "run", "-s", "caps"], cwd=tmp_path,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for _ in range(processes)]
        try:
            gate.wait_until_held()  # one process took run 1 and waits for its first answer
            holder, host = _holder(tmp_path)
            for process in (p for p in started if p.pid != holder):
                _, stderr = process.communicate(timeout=120)
                assert process.returncode == 2, stderr
                [line] = stderr.strip().splitlines()
                assert line.endswith("error: " + IN_PROGRESS.format(pid=holder, host=host))
        finally:
            for process in started:
                process.kill()  # the held request never reaches the server
                process.communicate(timeout=120)
        assert gate.forwarded == 0
        gate.open()
        resumed = bakeoff("run", "-s", "caps", cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        assert "run 1 resumed" in resumed.stdout
        assert gate.forwarded == len(CAPITALS)  # each sample asked for once in all
    store = _store(tmp_path)
    assert [(run.id, run.status) for run in store.runs()] == [(1, "finished")]
    store.close()


def test_a_finished_run_whose_report_is_gone_gets_it_rewritten_not_a_new_run(
        tmp_path: Path) -> None:
    with chat_server("Paris") as url:
        write_project(tmp_path, _config(url))
        first = bakeoff("run", "-s", "caps", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        reports = tmp_path / "bakeoff-results" / "reports"
        (reports / "run-1.md").unlink()
        again = bakeoff("run", "-s", "caps", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "run 1 resumed: 0 samples scored, 0 calls made" in again.stdout
    assert (reports / "run-1.md").exists()
    assert "finished" in (reports / "run-1.md").read_text(encoding="utf-8")
    store = _store(tmp_path)
    assert [(run.id, run.status) for run in store.runs()] == [(1, "finished")]
    store.close()


def test_a_run_whose_every_call_failed_for_one_reason_says_it_once_and_exits_non_zero(
        tmp_path: Path) -> None:
    with chat_server("Paris") as url:
        write_project(tmp_path, _config(url, key_env="BAKEOFF_TEST_KEY_NEVER_SET"))
        ran = bakeoff("run", "-s", "caps", cwd=tmp_path)
    assert ran.returncode == RUN_WITH_ERRORS == 4
    assert ran.stderr.strip().splitlines() == [
        "every call failed (5 samples): environment variable BAKEOFF_TEST_KEY_NEVER_SET is "
        "not set"]
    store = _store(tmp_path)
    [run] = store.runs()
    assert run.status == "finished"  # finished, with error records: the report says which
    store.close()


def test_error_records_are_counted_by_kind_with_the_first_message_of_each() -> None:
    records = (_error("timeout", "no answer in 60 s"), _error("http", "HTTP 500: boom"),
               _error("timeout", "no answer in 61 s"), _error("http", "HTTP 503"),
               _error("timeout", "no answer in 62 s"))
    assert _errors_line(records, every=False) == (
        "5 samples ended in an error: 3 timeout (first: no answer in 60 s); "
        "2 http (first: HTTP 500: boom)")
    assert _errors_line(records[:1], every=False) == (
        "1 sample ended in an error: no answer in 60 s")


def _error(kind: str, message: str) -> ErrorRow:
    return ErrorRow(model="m", benchmark="b", sample_id=message, kind=kind, message=message,
                    attempts=1)


def _holder(root: Path) -> tuple[int, str]:
    """The process holding the only run, and its host."""
    with sqlite3.connect(root / "bakeoff-results" / "bakeoff.sqlite") as db:
        [(pid, host)] = db.execute("SELECT owner_pid, owner_host FROM runs").fetchall()
    db.close()
    return int(pid), str(host)
