"""`bakeoff run` says what it will run before it starts: models, tasks, items and a time
estimate once the store has measured the models, against a real chat server on 127.0.0.1."""

import re
from pathlib import Path

from tests.helpers.chat_server import chat_server
from tests.helpers.cli import bakeoff
from tests.helpers.projects import write_project

SUITE = """
[suites.caps]
benchmarks = ["capitals"]
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
        second = bakeoff("run", "-s", "caps", cwd=tmp_path, env={"COLUMNS": "60"})
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("plan: ")
    assert _plan_line(first.stdout) == (
        "plan: 1 model (served) × 1 benchmark, 5 items each (5 in all); time: unknown "
        "(no earlier run or speed run of served)")
    assert second.returncode == 0, second.stderr
    assert re.fullmatch(r"plan: 1 model \(served\) × 1 benchmark, 5 items each \(5 in all\); "
                        r"time: about \d+ s \(from earlier runs\)", _plan_line(second.stdout))
