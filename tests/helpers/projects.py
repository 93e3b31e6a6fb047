"""A small project of custom benchmarks (JSON Lines files and a bakeoff.toml): a support FAQ
by multiple choice and country capitals by generation. Short prompts keep end-to-end runs
against a real model to seconds."""

from __future__ import annotations

import json
from pathlib import Path

FAQ = [
    {"question": "What colour is a clear daytime sky?", "choices": ["green", "blue"],
     "answer": 1},
    {"question": "How many legs does a cat have?", "choices": ["four", "two", "ten"],
     "answer": "A"},
    {"question": "What do bees make?", "choices": ["honey", "steel"], "answer": 0},
    {"question": "Which is a fruit?", "choices": ["brick", "apple"], "answer": "b"},
    {"question": "What is frozen water?", "choices": ["ice", "sand"], "answer": 0},
]
CAPITALS = [
    {"question": "What is the capital of France?", "answer": "Paris"},
    {"question": "What is the capital of Italy?", "answer": "Rome"},
    {"question": "What is the capital of Spain?", "answer": ["Madrid"]},
    {"question": "What is the capital of Germany?", "answer": "Berlin"},
    {"question": "What is the capital of Japan?", "answer": "Tokyo"},
]
CONFIG = """
[benchmarks.support_faq]
kind = "multiple_choice"
path = "data/faq.jsonl"

[benchmarks.capitals]
kind = "generative"
path = "data/capitals.jsonl"
metric = "contains"
shots = 1

[suites.mysuite]
benchmarks = ["support_faq", "capitals"]
"""


def write_project(root: Path, config: str = CONFIG, faq: list[object] | None = None) -> None:
    (root / "data").mkdir(exist_ok=True)
    for name, rows in (("faq", FAQ if faq is None else faq), ("capitals", CAPITALS)):
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        (root / "data" / f"{name}.jsonl").write_text(lines, encoding="utf-8")
    (root / "bakeoff.toml").write_text(config, encoding="utf-8")
