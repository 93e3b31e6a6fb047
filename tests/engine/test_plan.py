import json
from pathlib import Path

from bakeoff import api
from bakeoff.config import parse_config

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
