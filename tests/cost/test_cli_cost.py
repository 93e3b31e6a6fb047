"""`bakeoff run --estimate`, `bakeoff run --max-cost` and `bakeoff models --cards` as a user
runs them: the command's exit code and its output (in this process, tests/helpers/cli.py)."""

import json
from pathlib import Path

from tests.helpers.cli import Ran
from tests.helpers.cli import bakeoff as run_bakeoff

WIDE = {"COLUMNS": "250"}


def bakeoff(*args: str, cwd: Path) -> Ran:
    """A wide terminal, so table cells are not wrapped mid-word."""
    return run_bakeoff(*args, cwd=cwd, env=WIDE)


CONFIG = """
[[models]]
name = "mini"
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
card = "gpt-4o-mini"

[[models]]
name = "smol"
provider = "llama-cpp"
bundled = "smollm2-135m-instruct"
concurrency = 1
price_input_per_mtok = 1000000.0
price_output_per_mtok = 1000000.0

[benchmarks.capitals]
kind = "generative"
path = "capitals.jsonl"

[suites.tiny]
benchmarks = ["capitals"]
"""


def _project(tmp_path: Path) -> Path:
    rows = [{"question": f"What is the capital of country {i}?", "answer": "Paris"}
            for i in range(3)]
    (tmp_path / "capitals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "bakeoff.toml").write_text(CONFIG)
    return tmp_path


def test_estimate_prints_tokens_and_cost_and_calls_nothing(tmp_path: Path) -> None:
    result = bakeoff("run", "--suite", "tiny", "--estimate", cwd=_project(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "estimate (no model called)" in result.stdout
    assert "chars/4 estimate" in result.stdout  # the remote model has no tokenizer here
    assert "total upper bound: $" in result.stdout
    assert not (tmp_path / "bakeoff-results").exists()


def test_max_cost_stops_before_spending_and_says_how_to_resume(tmp_path: Path) -> None:
    result = bakeoff("run", "--suite", "tiny", "-m", "smol", "--max-cost", "0.0001",
                     cwd=_project(tmp_path))
    assert result.returncode == 3, result.stderr
    line = [x for x in result.stderr.splitlines() if x.startswith("budget reached")]
    assert line and "spent $0.0000 of --max-cost $0.0001" in line[0]
    assert "higher --max-cost to resume" in result.stderr.replace("\n", " ")
    assert "0 samples scored, 0 calls made" in result.stdout


def test_models_shows_spec_sheets_side_by_side_with_sources(tmp_path: Path) -> None:
    result = bakeoff("models", "--cards", "llama-3.1-405b-instruct,mixtral-8x22b-instruct",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for text in ("Llama 3.1 405B", "Mixtral 8x22B", "131,072", "65,536", "Apache-2.0",
                 "sources for mixtral-8x22b-instruct:", "https://mistral.ai/news/mixtral-8x22b/"):
        assert text in result.stdout


def test_an_unknown_card_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = bakeoff("models", "--cards", "gpt-9", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("bakeoff: error: unknown model card 'gpt-9'")
