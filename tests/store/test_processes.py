"""Several processes on one store file: a new store is migrated once however many processes
open it at once, a newer store is refused untouched, and a run belongs to one live process."""

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bakeoff.store import NewRun, RunInProgress, Store, StoreError, open_store
from bakeoff.store.migrations import MIGRATIONS
from tests.helpers.postgres import PASSWORD

# Each process waits for the start file, then opens the store: they all start together.
OPEN_WHEN_TOLD = """
import sys, time
from pathlib import Path
from bakeoff.store import Store
start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.001)
Store(Path(sys.argv[1])).close()
"""
NEW = NewRun("quick", {"models": []}, {})


@pytest.mark.parametrize("processes", [2, 3, 6])
def test_processes_opening_a_new_store_at_once_migrate_it_once(tmp_path: Path,
                                                               processes: int) -> None:
    path, start = tmp_path / "bakeoff.sqlite", tmp_path / "start"
    started = [subprocess.Popen([sys.executable, "-c", OPEN_WHEN_TOLD, str(path), str(start)],
                                stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    start.touch()
    for process in started:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'runs'"
                          ).fetchone()[0] == 1


def test_a_store_from_a_newer_bakeoff_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "bakeoff.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE later (x)")
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer bakeoff"):
        Store(path)
    assert path.read_bytes() == before
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()


def test_a_run_held_by_a_live_process_is_refused_until_that_process_is_gone(
        store_location: Path | str) -> None:
    store = open_store(store_location)
    first = store.claim_run("plan", NEW)
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        _hand_over(store, first.run_id, other.pid, socket.gethostname())
        with pytest.raises(RunInProgress) as refused:
            store.claim_run("plan", NEW)
        assert str(refused.value) == (
            f"run {first.run_id} of this plan is in progress in process {other.pid} on "
            f"{socket.gethostname()}; wait for it to end, or stop it and run this again to "
            "resume")
    finally:
        other.communicate(b"")  # it ends, and is reaped: its pid is gone
    again = store.claim_run("plan", NEW)
    assert again.run_id == first.run_id and again.resumed
    assert len(store.runs()) == 1
    store.close()


def test_a_run_held_on_another_host_counts_as_live(store_location: Path | str) -> None:
    store = open_store(store_location)
    first = store.claim_run("plan", NEW)
    _hand_over(store, first.run_id, 1, "elsewhere.invalid")
    with pytest.raises(RunInProgress, match=r"process 1 on elsewhere\.invalid"):
        store.claim_run("plan", NEW)
    store.close()


def test_a_released_run_is_resumed_and_a_finished_one_reopened_only_when_asked(
        store_location: Path | str) -> None:
    store = open_store(store_location)
    first = store.claim_run("plan", NEW)
    assert not first.resumed
    store.release_run(first.run_id)
    assert store.claim_run("plan", NEW) == first.__class__(first.run_id, resumed=True)
    store.set_run_status(first.run_id, "finished")
    store.release_run(first.run_id)
    reopened = store.claim_run("plan", NEW, reopen=lambda run_id: run_id == first.run_id)
    assert reopened.run_id == first.run_id and reopened.resumed
    run = store.run(first.run_id)
    assert run is not None and run.status == "running" and run.finished_at is None
    store.set_run_status(first.run_id, "finished")
    fresh = store.claim_run("plan", NEW, reopen=lambda run_id: False)
    assert fresh.run_id != first.run_id and not fresh.resumed
    store.close()


def _hand_over(store: Store, run_id: int, pid: int, host: str) -> None:
    """Record another process as the run's holder, as its own claim would have."""
    if store.path is None:  # PostgreSQL: the test server's URL holds the password
        with psycopg.connect(_url_of(store)) as pg:
            pg.execute("UPDATE runs SET owner_pid = %s, owner_host = %s WHERE id = %s",
                       (pid, host, run_id))
        return
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE runs SET owner_pid = ?, owner_host = ? WHERE id = ?",
                   (pid, host, run_id))
    db.close()


def _url_of(store: Store) -> str:
    return store.location.replace(":***@", f":{PASSWORD}@")
