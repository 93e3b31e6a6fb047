import json
from pathlib import Path

import pytest

from bakeoff import api
from bakeoff.config import ConfigError, default_config, parse_config
from bakeoff.engine.plan import QUICK_MMLU_SUBJECTS

CONFIG = """
[benchmarks.faq]
kind = "generative"
path = "faq.jsonl"

[suites.s]
benchmarks = ["faq"]
"""


def write_items(path: Path, answers: list[str]) -> None:
    path.write_text("".join(json.dumps({"question": f"q{i}?", "answer": a}) + "\n"
                            for i, a in enumerate(answers)))


def test_a_changed_data_file_makes_a_different_plan(tmp_path: Path) -> None:
    config_path = tmp_path / "bakeoff.toml"
    config_path.write_text(CONFIG)
    config = parse_config(CONFIG, str(config_path))
    write_items(tmp_path / "faq.jsonl", ["paris", "rome"])
    first, _ = api.prepare_run(config, ["smollm2-135m-instruct"], "s")
    again, _ = api.prepare_run(config, ["smollm2-135m-instruct"], "s")
    write_items(tmp_path / "faq.jsonl", ["paris", "oslo"])
    changed, _ = api.prepare_run(config, ["smollm2-135m-instruct"], "s")
    assert first.plan_hash() == again.plan_hash()
    assert first.plan_hash() != changed.plan_hash()


def mmlu_suite(subsets: str, limit: int = 10) -> str:
    return f"""
[suites.s]
benchmarks = ["mmlu"]
limits = {{mmlu = {limit}}}
subsets = {{mmlu = {subsets}}}
"""


def test_subsets_take_items_from_those_subjects_only() -> None:
    config = parse_config(mmlu_suite('["anatomy", "virology"]'), "bakeoff.toml")
    plan, tasks = api.prepare_run(config, ["smollm2-135m-instruct"], "s")
    _, samples = tasks.benchmarks["mmlu"]
    subjects = [sample.meta("subject") for sample in samples]
    assert len(samples) == 10
    assert subjects.count("anatomy") == subjects.count("virology") == 5
    assert plan.as_dict()["benchmarks"] == [
        {"name": "mmlu", "limit": 10, "subsets": ["anatomy", "virology"]}]


def test_an_unknown_subject_is_a_located_config_error() -> None:
    config = parse_config(mmlu_suite('["anatomy", "astrology"]'), "bakeoff.toml")
    with pytest.raises(ConfigError, match=r"bakeoff.toml: subsets.mmlu: unknown subject "
                                          r"'astrology' \(known: abstract_algebra, "):
        api.prepare_run(config, ["smollm2-135m-instruct"], "s")


def test_subsets_of_a_benchmark_outside_the_suite_are_refused() -> None:
    text = '[suites.s]\nbenchmarks = ["gsm8k"]\nsubsets = {mmlu = ["anatomy"]}\n'
    with pytest.raises(ConfigError, match="subsets names benchmarks not in the suite: mmlu"):
        parse_config(text, "bakeoff.toml")


def test_the_quick_suite_reads_twelve_items_of_each_of_its_subjects() -> None:
    _, tasks = api.prepare_run(default_config(), ["smollm2-135m-instruct"], None)
    _, samples = tasks.benchmarks["mmlu"]
    subjects = [sample.meta("subject") for sample in samples]
    assert len(samples) == 96
    assert all(subjects.count(subject) == 12 for subject in QUICK_MMLU_SUBJECTS)
