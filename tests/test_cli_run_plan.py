"""Against a real chat server on 127.0.0.1: `bakeoff run` says what it will run before it
starts (models, tasks, items and a time estimate once the store has measured the models), and
`bakeoff speed` marks the percentiles its few requests cannot give."""

import re
from pathlib import Path

from bakeoff.store import Store
from tests.helpers.chat_server import chat_server
from tests.helpers.cli import bakeoff
from tests.helpers.projects import write_project

SUITE = """
[suites.caps]
benchmarks = ["capitals"]

[suites.three]
benchmarks = ["capitals"]
limits = { capitals = 3 }
"""


def _config(base_url: str) -> str:
    return (f'[[models]]\nname = "served"\nprovider = "openai"\nbase_url = "{base_url}"\n'
            f"concurrency = 2\n\n[benchmarks.capitals]\nkind = \"generative\"\n"
            f'path = "data/capitals.jsonl"\nmetric = "contains"\n{SUITE}')


def _plan_line(stdout: str) -> str:
    [line] = [x for x in stdout.splitlines() if x.startswith("plan: ")]
    return line


def test_the_plan_line_comes_first_and_learns_the_time_from_the_first_run(
        tmp_path: Path) -> None:
    with chat_server("Paris") as url:
        write_project(tmp_path, _config(url))
        first = bakeoff("run", "-s", "caps", cwd=tmp_path, env={"COLUMNS": "60"})
        again = bakeoff("run", "-s", "caps", cwd=tmp_path, env={"COLUMNS": "60"})
        fewer = bakeoff("run", "-s", "three", cwd=tmp_path, env={"COLUMNS": "60"})
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("plan: ")
    assert _plan_line(first.stdout) == (
        "plan: 1 model (served) × 1 benchmark, 5 items each (5 in all); time: unknown "
        "(no earlier run or speed run of served)")
    # Not a terminal: no bars drawn, so a plain line says how far the run got (its task ended).
    assert re.search(r"^progress: 5/5 items, 0:00:\d\d elapsed, done$", first.stdout, re.M)
    assert again.returncode == 0, again.stderr
    assert _plan_line(again.stdout).endswith(
        "time: seconds (run 1 asked the same: its stored answers are reused)")
    assert fewer.returncode == 0, fewer.stderr
    assert re.fullmatch(r"plan: 1 model \(served\) × 1 benchmark, 3 items each \(3 in all\); "
                        r"time: about \d+ s \(from earlier runs\)", _plan_line(fewer.stdout))


def test_speed_with_three_runs_marks_its_p90_and_p99(tmp_path: Path) -> None:
    with chat_server("one two three four") as url:
        write_project(tmp_path, _config(url))
        result = bakeoff("speed", "-m", "served", "--runs", "3", "--warmup", "0",
                         "--max-tokens", "8", cwd=tmp_path, env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"│ \d+\.\d+/\d+\.\d+\*/\d+\.\d+\* ", result.stdout)
    assert "* taken over fewer values than the percentile needs (p50 2, p90 10, p99 100)" \
        in result.stdout


def test_a_run_records_the_command_that_made_it_for_its_report(tmp_path: Path) -> None:
    with chat_server("Paris") as url:
        write_project(tmp_path, _config(url))
        result = bakeoff("run", "-s", "three", "-m", "served", "--max-cost", "2.5",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    try:
        run = store.run(1)
    finally:
        store.close()
    assert run is not None
    command = "bakeoff run --model served --suite three --max-cost 2.5"
    assert run.environment["command"] == command
    report = (tmp_path / "bakeoff-results" / "reports" / "run-1.md").read_text()
    assert command in report  # the report's methodology names it
