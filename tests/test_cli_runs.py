"""`bakeoff runs` on a real store file: a row per run with the items it scored so far (a run
still going included) and its tasks named briefly, or all of them with --all-tasks; printed
120 columns wide where no terminal or COLUMNS gives a width."""

import os
import subprocess
from pathlib import Path

from bakeoff import cli
from bakeoff.store import Store
from bakeoff.types import Score
from tests.helpers.cli import BAKEOFF, bakeoff

TASKS = [f"task_{n}" for n in range(1, 9)]


def _store(path: Path) -> None:
    store = Store(path)
    try:
        plan = {"suite": "quick", "models": [{"name": "a"}, {"name": "b"}],
                "benchmarks": [{"name": name} for name in TASKS]}
        run_id = store.create_run("plan-1", "quick", plan, {})  # left running
        for model, sample_ids in (("a", ["1", "2", "3"]), ("b", ["1"])):
            for sample_id in sample_ids:
                store.put_scores(run_id, model, "task_2", "generative", 0,
                                 [Score(sample_id, "pass", 1.0), Score(sample_id, "f1", 0.5)],
                                 [])
    finally:
        store.close()


def test_runs_counts_items_scored_so_far_and_names_a_few_tasks(tmp_path: Path) -> None:
    _store(tmp_path / "s.sqlite")
    result = bakeoff("runs", "--store", str(tmp_path / "s.sqlite"), cwd=tmp_path,
                     env={"COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("│ 1 ")]
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    assert cells[2:] == ["running", "4", "quick", "a, b",
                         "8 tasks: task_1, task_2, task_3, task_4, … (+4)"]
    assert "tasks: the first 4 of each run; --all-tasks names them all" in result.stdout


def test_all_tasks_names_every_task(tmp_path: Path) -> None:
    _store(tmp_path / "s.sqlite")
    result = bakeoff("runs", "--all-tasks", "--store", str(tmp_path / "s.sqlite"),
                     cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert ", ".join(TASKS) + " │" in result.stdout and "--all-tasks" not in result.stdout


def test_without_a_terminal_or_columns_tables_are_120_wide(tmp_path: Path) -> None:
    _store(tmp_path / "s.sqlite")
    env = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    done = subprocess.run([*BAKEOFF, "runs", "--all-tasks", "--store", str(tmp_path / "s.sqlite")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) == cli.PLAIN_WIDTH  # not 80
