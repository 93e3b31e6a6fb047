"""The store on a real PostgreSQL server (tests/helpers/postgres.py starts one on 127.0.0.1):
the numbered migrations, several processes writing at once, and a password that is never
shown. The store's contract itself runs on both databases (the `any_store` tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import closing

import psycopg
import pytest

from bakeoff.store import HUMAN, NewRun, StoreError, VerdictRow, open_store, redacted
from bakeoff.store.migrations import MIGRATIONS, POSTGRES_MIGRATIONS
from bakeoff.types import Score
from tests.helpers.postgres import PASSWORD, PostgresServer

TABLES = {"runs", "completions", "samples", "scores", "errors", "speed_runs", "speed_levels",
          "speed_requests", "transcripts", "verdicts", "bakeoff_schema"}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        return {name for (name,) in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def _version(url: str) -> int:
    with psycopg.connect(url) as db:
        row = db.execute("SELECT version FROM bakeoff_schema").fetchone()
        return int(row[0]) if row else 0


def test_an_empty_database_gets_every_migration_and_reopening_changes_nothing(
        postgres_url: str) -> None:
    open_store(postgres_url).close()
    assert _tables(postgres_url) == TABLES
    assert _version(postgres_url) == len(POSTGRES_MIGRATIONS) == len(MIGRATIONS)
    with closing(open_store(postgres_url)) as store:
        run = store.create_run("plan", "quick", {}, {})
    with closing(open_store(postgres_url)) as store:
        assert [r.id for r in store.runs()] == [run]
    assert _version(postgres_url) == len(MIGRATIONS)


def test_a_database_from_a_newer_bakeoff_is_refused_unchanged(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as db:
        db.execute("CREATE TABLE bakeoff_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO bakeoff_schema VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="written by a newer bakeoff"):
        open_store(postgres_url)
    assert _tables(postgres_url) == {"bakeoff_schema"}


def test_times_and_text_order_are_kept_as_sqlite_keeps_them(postgres_url: str) -> None:
    """8-byte floats (a REAL in PostgreSQL would round times to 4 bytes) and byte order for
    text whatever the server's locale: `model_a < model_b` is checked as Python sorts."""
    with closing(open_store(postgres_url)) as store:
        run = store.create_run("plan", "quick", {}, {})
        created = store.runs()[0].created_at
        assert abs(created - time.time()) < 3600 and created % 1 != 0
        store.put_verdict(VerdictRow(run, "t", "c", "Zeta", "alpha", judge="j", outcome="a"))
        assert [v.model_a for v in store.verdicts()] == ["Zeta"]


def test_a_nul_character_is_stored_as_the_replacement_character(postgres_url: str) -> None:
    """PostgreSQL text cannot hold NUL (SQLite's can); an answer with one is still stored."""
    with closing(open_store(postgres_url)) as store:
        run = store.create_run("plan", "quick", {}, {})
        store.put_scores(run, "m", "b", "generative", 0, [Score("s1", "acc", 0.0, "a\x00b")],
                         [])
        assert store.scores(run)[0].extracted == "a\ufffdb"


# Each process opens the store and writes, from its own connection, 20 samples' scores with
# completions shared by every process (written in its own order), 20 votes and 20 errors.
WRITER = """
import sys
from bakeoff.store import HUMAN, NewCompletion, ScoredSample, VerdictRow, open_store
from bakeoff.types import (Completion, ErrorRecord, GenerationConfig, GenerationRequest,
                           Message, Score, Timing, Usage)
url, run, writer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = open_store(url)
request = GenerationRequest(config=GenerationConfig(max_tokens=4), messages=(Message("user", "q"),))
shared = [NewCompletion(f"k{n}", "openai", "m", request,
                        Completion(f"a{n}", Usage(1, 1), Timing(1.0, 2.0)))
          for n in range(10)]
order = shared if int(writer[1:]) % 2 else shared[::-1]
for n in range(20):
    store.put_scored([ScoredSample(run, "m", f"bench-{writer}", "generative", 0,
                                   [Score(f"s{n}", "acc", 1.0)], [c.key for c in order],
                                   completions=order)])
    store.put_verdict(VerdictRow(run, "t", f"c{n}", "m1", "m2", judge=HUMAN, outcome="a",
                                 voter=writer))
    store.put_error(run, "m", f"errors-{writer}", f"s{n}", ErrorRecord("timeout", "slow", 1))
store.close()
"""


@pytest.mark.parametrize("processes", [4])
def test_processes_writing_at_once_lose_nothing(postgres_url: str, processes: int) -> None:
    with closing(open_store(postgres_url)) as store:
        run = store.claim_run("plan", NewRun("quick", {}, {})).run_id
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, postgres_url, str(run),
                                 f"w{n}"], stderr=subprocess.PIPE, text=True)
               for n in range(processes)]
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 0, stderr
    with closing(open_store(postgres_url)) as store:
        assert len(store.scores(run)) == 20 * processes
        assert len(store.verdicts([run], judge=HUMAN)) == 20 * processes
        assert len(store.errors(run)) == 20 * processes
        assert len(store.completions([f"k{n}" for n in range(10)])) == 10


OPEN = "import sys\nfrom bakeoff.store import open_store\nopen_store(sys.argv[1]).close()\n"


def test_processes_opening_a_new_database_at_once_migrate_it_once(postgres_url: str) -> None:
    opening = [subprocess.Popen([sys.executable, "-c", OPEN, postgres_url],
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for process in opening:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert _version(postgres_url) == len(MIGRATIONS)


def test_a_url_is_shown_without_its_password() -> None:
    assert redacted("postgresql://ann:pw@db.example:5433/runs") == \
        "postgresql://ann:***@db.example:5433/runs"
    assert redacted("postgres://ann@db/runs?password=pw&sslmode=require") == \
        "postgres://ann@db/runs?password=***&sslmode=require"
    assert redacted("postgresql://db/runs") == "postgresql://db/runs"
    assert redacted("results/bakeoff.sqlite") == "results/bakeoff.sqlite"


def test_a_wrong_password_is_one_line_naming_the_server_not_the_password(
        postgres_server: PostgresServer) -> None:
    wrong = postgres_server.url(password="not-" + PASSWORD)
    with pytest.raises(StoreError) as refused:
        open_store(wrong)
    message = str(refused.value)
    assert "\n" not in message and PASSWORD not in message
    assert f"postgresql://bakeoff:***@127.0.0.1:{postgres_server.port}/postgres" in message
    assert "password authentication failed" in message


def test_a_server_that_is_not_there_is_one_line(postgres_server: PostgresServer) -> None:
    gone = f"postgresql://bakeoff:{PASSWORD}@127.0.0.1:1/runs"
    with pytest.raises(StoreError, match=r"^cannot connect to the PostgreSQL store "
                       r"postgresql://bakeoff:\*\*\*@127\.0\.0\.1:1/runs \(") as refused:
        open_store(gone)
    assert PASSWORD not in str(refused.value) and "\n" not in str(refused.value)


def test_the_password_may_come_from_pgpassword(postgres_server: PostgresServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    url = postgres_server.new_database().replace(f":{PASSWORD}@", "@")
    with closing(open_store(url)) as store:
        assert store.location == url and store.path is None
