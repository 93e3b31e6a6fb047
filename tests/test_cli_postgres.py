"""`bakeoff` commands on a PostgreSQL store (a private server on 127.0.0.1, see
tests/helpers/postgres.py) against a real chat server: a run killed with SIGKILL resumes and
scores every sample once, a suite gives the same report as on SQLite, and the store URL's
password is shown nowhere: output, reports, the recorded command, errors, `bakeoff runs`."""

from __future__ import annotations

import json
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg

from bakeoff.store import open_store
from tests.helpers.chat_server import chat_server
from tests.helpers.cli import BAKEOFF, bakeoff
from tests.helpers.gate import gate_to
from tests.helpers.postgres import PASSWORD, PostgresServer
from tests.helpers.projects import CAPITALS, write_project

SUITE = '[suites.caps]\nbenchmarks = ["capitals"]\n'
# What differs between two runs of one suite whatever the store: when they ran, and how long
# the chat server took.
VARYING = {"created_at", "finished_at", "generated_at", "wall_seconds"}


def _config(base_url: str, store: str | None = None) -> str:
    where = f'store = "{store}"\n' if store else ""
    return (f'{where}[[models]]\nname = "served"\nprovider = "openai"\nbase_url = "{base_url}"\n'
            f'concurrency = 1\n\n[benchmarks.capitals]\nkind = "generative"\n'
            f'path = "data/capitals.jsonl"\nmetric = "contains"\n{SUITE}')


def test_a_run_killed_with_sigkill_resumes_and_scores_every_sample_once(
        tmp_path: Path, postgres_url: str) -> None:
    with chat_server("Paris") as url, gate_to(url) as gate:
        write_project(tmp_path, _config(gate.base_url))
        gate.hold_after(2)
        killed = subprocess.Popen([*BAKEOFF, "run", "-s", "caps", "--store", postgres_url],
                                  cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        try:
            gate.wait_until_held()  # two answers came back; the third is on its way
        finally:
            killed.kill()
            killed.communicate(timeout=120)
        gate.open()
        resumed = bakeoff("run", "-s", "caps", "--store", postgres_url, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "run 1 resumed" in resumed.stdout
    with closing(open_store(postgres_url)) as store:
        assert [(run.id, run.status) for run in store.runs()] == [(1, "finished")]
        scored = [(score.sample_id, score.metric) for score in store.scores(1)]
    assert len(scored) == len(set(scored))  # no sample scored twice
    assert len({sample for sample, _ in scored}) == len(CAPITALS)


def test_a_suite_gives_the_same_report_on_postgresql_as_on_sqlite(
        tmp_path: Path, postgres_url: str) -> None:
    reports = {}
    with chat_server("Paris") as url:
        for name, store in (("sqlite", None), ("postgres", postgres_url)):
            project = tmp_path / name
            project.mkdir()
            write_project(project, _config(url, store))
            ran = bakeoff("run", "-s", "caps", cwd=project)
            assert ran.returncode == 0, ran.stderr
            written = project / "bakeoff-results" / "reports" / "run-1.json"
            reports[name] = _without_varying(json.loads(written.read_text(encoding="utf-8")))
    assert reports["postgres"] == reports["sqlite"]


def test_the_store_password_is_shown_nowhere(tmp_path: Path,
                                             postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    assert PASSWORD in url
    with chat_server("Paris") as served:
        write_project(tmp_path, _config(served))
        ran = bakeoff("run", "-s", "caps", "--store", url, cwd=tmp_path)
        listed = bakeoff("runs", "--store", url, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert listed.returncode == 0, listed.stderr
    shown = url.replace(PASSWORD, "***")
    assert shown in listed.stdout
    with closing(open_store(url)) as store:
        [run] = store.runs()
    assert run.environment["command"] == f"bakeoff run --suite caps --store '{shown}'"
    written = [path.read_text(encoding="utf-8")
               for path in (tmp_path / "bakeoff-results").rglob("*") if path.is_file()]
    assert written
    for text in [ran.stdout, ran.stderr, listed.stdout, listed.stderr, *written,
                 _everything_in(url)]:
        assert PASSWORD not in text


def test_a_wrong_password_is_one_line_and_exit_2(tmp_path: Path,
                                                 postgres_server: PostgresServer) -> None:
    wrong = postgres_server.url(password="wrong-" + PASSWORD)
    write_project(tmp_path, _config("http://127.0.0.1:9/v1"))
    for args in (["runs", "--store", wrong], ["run", "-s", "caps", "--store", wrong]):
        ran = bakeoff(*args, cwd=tmp_path)
        assert ran.returncode == 2
        [line] = ran.stderr.strip().splitlines()
        assert "password authentication failed" in line and PASSWORD not in line
        assert f"postgresql://bakeoff:***@127.0.0.1:{postgres_server.port}/postgres" in line


def test_the_config_may_name_the_store(tmp_path: Path, postgres_url: str) -> None:
    with chat_server("Paris") as url:
        write_project(tmp_path, _config(url, postgres_url))
        ran = bakeoff("run", "-s", "caps", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert not (tmp_path / "bakeoff-results" / "bakeoff.sqlite").exists()
    assert (tmp_path / "bakeoff-results" / "reports" / "run-1.md").exists()
    with closing(open_store(postgres_url)) as store:
        assert [run.status for run in store.runs()] == ["finished"]


def _without_varying(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_varying(v) for k, v in value.items() if k not in VARYING}
    if isinstance(value, list):
        return [_without_varying(v) for v in value]
    return value


def _everything_in(url: str) -> str:
    """Every row of every table in the database, as text."""
    with psycopg.connect(url) as db:
        tables = [name for (name,) in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(str(row) for table in tables
                         for row in db.execute(f"SELECT * FROM {table}"))
