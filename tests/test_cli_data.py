"""`bakeoff benchmarks`, `bakeoff data`, [data] files and custom benchmarks, through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers.cli import bakeoff, one_error_line
from tests.helpers.projects import CONFIG, FAQ, write_project


def test_benchmarks_lists_built_in_and_custom_ones(tmp_path: Path) -> None:
    write_project(tmp_path)
    result = bakeoff("benchmarks", cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    mmlu = next(line for line in lines if "│ mmlu " in line)
    assert "5" in mmlu and "loglikelihood, generative" in mmlu and "cais/mmlu" in mmlu
    faq = next(line for line in lines if "support_faq" in line)
    assert "acc, acc_norm" in faq and "file data/faq.jsonl" in faq
    capitals = next(line for line in lines if "capitals" in line)
    assert "contains, exact_match" in capitals


def test_data_shows_each_source_and_which_one_a_run_uses(tmp_path: Path) -> None:
    write_project(tmp_path, CONFIG + '\n[data]\ngsm8k = "data/gsm8k.jsonl"\n')
    env = {"COLUMNS": "250", "HF_ENDPOINT": "http://127.0.0.1:9"}  # nothing listens there
    result = bakeoff("data", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    gsm8k = [line for line in rows if "│ gsm8k " in line]
    assert len(gsm8k) == 1 and "file data/gsm8k.jsonl ([data])" in gsm8k[0]
    assert "no such file" in gsm8k[0] and "→" not in gsm8k[0]
    hub = next(line for line in rows if "hub cais/mmlu" in line)
    assert "│ no " in hub
    faq = next(line for line in rows if "support_faq" in line)
    assert "→" in faq and "present" in faq


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('[data]\nmmlux = "x.jsonl"\n',
         "bakeoff: error: bakeoff.toml: data.mmlux: unknown benchmark 'mmlux' (did you mean "
         "'mmlu'? known: mmlu, "),
        ('[data]\nmmlu = "missing.jsonl"\n',
         "bakeoff: error: bakeoff.toml: data.mmlu: no such file missing.jsonl"),
        (CONFIG.replace('"generative"', '"essay"'),
         "bakeoff: error: bakeoff.toml: benchmarks.capitals.kind: Input should be "
         "'multiple_choice' or 'generative'"),
        (CONFIG.replace('"contains"', '"acc"'),
         "bakeoff: error: bakeoff.toml: benchmarks.capitals: metric 'acc' does not fit kind "
         "'generative' (use exact_match or contains)"),
        (CONFIG.replace('"capitals"]', '"capitalz"]'),
         "bakeoff: error: bakeoff.toml: suites.mysuite.benchmarks: unknown benchmark 'capitalz'"),
        (CONFIG.replace("data/faq.jsonl", "data/nope.jsonl"),
         "bakeoff: error: bakeoff.toml: benchmarks.support_faq.path: no such file "
         "data/nope.jsonl"),
    ],
)
def test_config_mistakes_are_one_located_line(tmp_path: Path, config: str,
                                              expected: str) -> None:
    write_project(tmp_path, config)
    result = bakeoff("run", "-m", "smollm2-135m-instruct", "-s", "mysuite"
                     if "mysuite" in config else "quick", cwd=tmp_path)
    assert one_error_line(result).startswith(expected)


def test_a_bad_row_names_file_and_line(tmp_path: Path) -> None:
    rows: list[object] = [*FAQ, FAQ[0], {"question": "Which?", "choices": ["a", "b"]}]
    write_project(tmp_path, faq=rows)
    result = bakeoff("run", "-m", "smollm2-135m-instruct", "-s", "mysuite", cwd=tmp_path)
    assert one_error_line(result) == "bakeoff: error: data/faq.jsonl:7: missing field 'answer'"


def test_custom_benchmarks_scored_end_to_end_with_the_bundled_model(tmp_path: Path) -> None:
    write_project(tmp_path)
    result = bakeoff("run", "-m", "smollm2-135m-instruct", "-s", "mysuite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "support_faq" in result.stdout and "capitals" in result.stdout
    with sqlite3.connect(tmp_path / "bakeoff-results" / "bakeoff.sqlite") as db:
        rows = db.execute("SELECT benchmark, metric, mode, COUNT(*) FROM scores "
                          "GROUP BY benchmark, metric, mode ORDER BY 1, 2").fetchall()
        [environment] = db.execute("SELECT environment_json FROM runs").fetchone()
    assert rows == [("capitals", "contains", "generative", 4),
                    ("capitals", "exact_match", "generative", 4),
                    ("support_faq", "acc", "loglikelihood", 5),
                    ("support_faq", "acc_norm", "loglikelihood", 5)]
    assert json.loads(environment)["data_sources"] == {
        "support_faq": "file data/faq.jsonl", "capitals": "file data/capitals.jsonl"}
