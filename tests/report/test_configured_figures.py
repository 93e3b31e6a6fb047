"""A configured figure wins over the card's on every path: a run's report, `bakeoff report
--models` from the same folder, and `bakeoff models`.

The case: an article priced Llama 3.1 405B at $6.50 and Mixtral 8x22B at $1.56 per 1M tokens
(4.2× apart, where the shipped cards' list prices are 1.2× apart) and measured 28.4 vs 68.7
tokens/s; a bakeoff.toml that sets those figures must show them in every report.
"""

import json
from pathlib import Path

import pytest

from bakeoff.config import Config, parse_config
from bakeoff.report.data import build_report_data, report_from_cards
from bakeoff.report.insights import FaqEntry, faq
from bakeoff.store import Store
from tests.helpers.cli import bakeoff

CONFIG = """
[[models]]
name = "a"
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
card = "llama-3.1-405b-instruct"
price_input_per_mtok = 6.50
price_output_per_mtok = 6.50
published_speeds = [{ provider = "the article's host", output_tokens_per_s = 28.4, \
workload = "the article's prompts", date = 2024-07-24, source = "https://example.com/article" }]

[[models]]
name = "b"
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
card = "mixtral-8x22b-instruct"
price_input_per_mtok = 1.56
price_output_per_mtok = 1.56
published_speeds = [{ provider = "the article's host", output_tokens_per_s = 68.7, \
workload = "the article's prompts", date = 2024-07-24, source = "https://example.com/article" }]
"""

PRICE = ("b costs 4.2× less per 1M tokens: $1.56 vs $6.5 (list prices, blended 3:1 "
         "in:out).")
SPEED = ("Published, not measured: b generates 2.4× faster, 68.7 vs 28.4 tokens/s (for a, on "
         "the article's host; for b, on the article's host).")


def _stored_run(config: Config, path: Path) -> tuple[Store, int]:
    """A run of the configured models as `bakeoff run` stores its plan (nothing scored)."""
    store = Store(path)
    plan = {"models": [m.model_dump(mode="json", exclude_defaults=True) for m in config.models],
            "benchmarks": []}
    return store, store.create_run("h", "quick", plan, {"bakeoff": "test"})


def _answers(entries: list[FaqEntry], kind: str) -> list[str]:
    return [e.answer for e in entries if e.evidence.get("kind") == kind]


def test_the_run_report_and_the_models_report_give_the_configured_ratios(
        tmp_path: Path) -> None:
    config = parse_config(CONFIG, "bakeoff.toml")
    store, run_id = _stored_run(config, tmp_path / "bakeoff.sqlite")
    measured = faq(build_report_data(store, [run_id], generated_at=0.0))
    published = faq(report_from_cards(["a", "b"], generated_at=0.0, config=config))
    for entries in (measured, published):
        assert _answers(entries, "price") == [PRICE]
        assert _answers(entries, "speed") == [SPEED]


def test_a_card_name_not_configured_keeps_the_cards_figures() -> None:
    config = parse_config(CONFIG, "bakeoff.toml")
    data = report_from_cards(["llama-3.1-405b-instruct", "mixtral-8x22b-instruct"],
                             generated_at=0.0, config=config)
    [price] = _answers(faq(data), "price")
    assert price.startswith("mixtral-8x22b-instruct costs 1.2× less per 1M tokens")


@pytest.mark.parametrize("config_option", [False, True])
def test_the_cli_reads_the_config_for_both_reports(tmp_path: Path, config_option: bool) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    config_file = folder / ("mine.toml" if config_option else "bakeoff.toml")
    config_file.write_text(CONFIG, encoding="utf-8")
    results = folder / "bakeoff-results"
    results.mkdir()
    store, _ = _stored_run(parse_config(CONFIG, str(config_file)), results / "bakeoff.sqlite")
    store.close()
    option = ["--config", config_file.name] if config_option else []

    cards = bakeoff("report", "--models", "a,b", *option, cwd=folder)
    assert cards.returncode == 0, cards.stderr
    run = bakeoff("report", "1", *option, cwd=folder, env={"COLUMNS": "1000"})
    assert run.returncode == 0, run.stderr
    for stem in ("cards-a-b", "run-1"):
        markdown = (results / "reports" / f"{stem}.md").read_text(encoding="utf-8")
        assert PRICE in markdown and SPEED in markdown, stem
        assert "| a | the article's host | 28.4 |" in markdown, stem
        document = json.loads((results / "reports" / f"{stem}.json").read_text("utf-8"))
        assert document["cards"]["a"]["price"]["input_per_mtok"] == 6.5
    assert PRICE in run.stdout  # the verdict, in the terminal summary

    sheet = bakeoff("models", *option, cwd=folder, env={"COLUMNS": "400"})
    assert sheet.returncode == 0, sheet.stderr
    assert "28.4 tokens/s" in sheet.stdout and "6.5 / 6.5" in sheet.stdout
