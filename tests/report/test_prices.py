"""A model billed by the hour gets a price per 1M output tokens from its measured speed, labelled
as derived, and the use cases, the FAQ and the price table compare it; without a measured speed
it gets none, and the report says why.

The golden store (tests/report/stored.py) with prices per hour written into its run plan, as a
run of bakeoff.toml models with `price_per_hour` records them: alpha keeps its list price
(blended $1.25 per 1M, over the tight-budget limit of $1); beta's one generation request made
450 output tokens in 2.5 s; gamma was scored by loglikelihood alone (no output tokens).
"""

import json
import sqlite3
from pathlib import Path

import pytest

from bakeoff.api import render_report
from bakeoff.report.data import ModelSpeed, ReportData, SpeedFigures, build_report_data
from bakeoff.report.insights import decide, faq, load_profiles, recommend, verdict_details
from bakeoff.report.prices import compared_price, hourly_price
from bakeoff.report.tables import methodology_lines, price_table
from tests.report.stored import MODELS, PLAN, build_store

DERIVED_BETA = ("$0.5 per 1M output tokens at the measured 50.0 tok/s and $0.09/hour "
                "(derived)")


def _data(tmp_path: Path, per_hour: dict[str, float],
          speed: dict[str, float] | None = None) -> ReportData:
    """The golden store's run with `per_hour` in its plan; `speed`: the speed pass's output
    tokens/s p50 by model."""
    path = tmp_path / "bakeoff.sqlite"
    store, run_id = build_store(path)
    models = [{**m, "price_per_hour": per_hour[m["name"]]} if m["name"] in per_hour else m
              for m in MODELS]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET plan_json = ? WHERE id = ?",
                   (json.dumps({**PLAN, "models": models}), run_id))
    figures = None if speed is None else SpeedFigures(
        {m: ModelSpeed(tokens_per_s_p50=v) for m, v in speed.items()}, "speed run 1")
    return build_report_data(store, [run_id], speed=figures, generated_at=0.0)


def _row(data: ReportData, model: str) -> dict[str, str]:
    header, rows = price_table(data)
    return dict(zip(header, next(r for r in rows if r[0] == model), strict=True))


def test_a_price_per_hour_at_the_speed_pass_speed_is_a_labelled_price_per_token(
        tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09}, speed={"beta": 50.0})
    price = compared_price(data, "beta")
    # $0.09 / (50 tokens/s × 3,600 s) × 1,000,000
    assert price is not None and price.per_mtok == pytest.approx(0.5)
    assert price.text == DERIVED_BETA
    row = _row(data, "beta")
    assert row["$ per 1M output tokens, derived from $/hour"] == DERIVED_BETA
    assert row["price from"] == "assumed machine price (configurable: price_per_hour): $0.09/hour"
    assert row["run cost"] != "no price"  # machine time × price per hour
    assert row["blended $ per 1M (3:1)"] == "—"  # never shown as a list price
    assert ("beta price per token, derived from its assumed machine price (configurable: "
            "price_per_hour): $0.09/hour ÷ (50.0 output tokens/s × 3,600 s) × 1,000,000 = "
            "$0.5 per 1M output tokens; speed from speed run 1: output tokens/s p50 of single "
            "requests") in methodology_lines(data)


def test_without_a_speed_pass_the_runs_own_generation_gives_the_speed(tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09})
    hourly = hourly_price(data, "beta")
    assert hourly is not None and hourly.rate is not None
    assert hourly.rate.tokens_per_s == pytest.approx(450 / 2.5)
    assert hourly.rate.source == ("the run's generation requests: 450 output tokens in 2.5 s "
                                  "of machine time, token counts estimated")
    assert hourly.per_mtok == pytest.approx(0.09 / (180 * 3600) * 1_000_000)
    assert hourly.text == ("$0.139 per 1M output tokens at the measured 180.0 tok/s and "
                           "$0.09/hour (derived)")


def test_without_a_measured_speed_there_is_no_price_per_token_and_the_report_says_why(
        tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09, "gamma": 0.05}, speed={"beta": 50.0})
    assert compared_price(data, "gamma") is None
    why = ("assumed machine price (configurable: price_per_hour) $0.05/hour, but no output "
           "speed was measured")
    assert _row(data, "gamma")["$ per 1M output tokens, derived from $/hour"] == \
        f"no price per token: {why}"
    answer = next(e.answer for e in faq(data) if e.question == "Which is cheaper, beta or gamma?")
    assert answer == f"No price per token for gamma ({why}): no price ratio."
    budget = next(r for r in recommend(data, load_profiles()) if r.profile.key == "tight-budget")
    assert f"gamma: max blended price per mtok unknown ({why})" in budget.unchecked
    assert ("gamma: no price per token derived from its assumed machine price (configurable: "
            "price_per_hour) $0.05/hour: no output speed was measured (neither a speed pass nor "
            "a generation request of the run)") in methodology_lines(data)


def test_the_tight_budget_use_case_can_choose_a_model_billed_by_the_hour(tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09, "gamma": 0.05}, speed={"beta": 50.0})
    budget = next(r for r in recommend(data, load_profiles()) if r.profile.key == "tight-budget")
    # alpha's list price is over the limit; beta's derived price is under it; gamma has none.
    assert budget.excluded == {"alpha": "blended $1.25 > $1 per 1M"}
    assert budget.choice == "beta"
    assert f"price of beta: {DERIVED_BETA}" in budget.reasons
    assert budget.reasons[0] == (
        "decided by price $0.5 per 1M output tokens, derived from $/hour at the measured "
        "speed vs no price for gamma")
    efficiency = verdict_details(data, recommend(data, load_profiles()))[-1]
    assert efficiency.startswith("For tight budget, choose beta (")
    assert DERIVED_BETA in efficiency


def test_a_derived_price_over_the_limit_is_excluded_with_its_derivation(tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09}, speed={"beta": 2.0})  # $12.5 per 1M output tokens
    budget = next(r for r in recommend(data, load_profiles()) if r.profile.key == "tight-budget")
    assert budget.excluded["beta"] == ("$12.5 per 1M output tokens at the measured 2.0 tok/s and "
                                       "$0.09/hour (derived) > $1 per 1M")


def test_the_faq_compares_a_list_price_with_a_derived_one_and_says_which_is_which(
        tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09}, speed={"beta": 50.0})
    entry = next(e for e in faq(data) if e.question == "Which is cheaper, alpha or beta?")
    assert entry.answer == ("beta costs 2.5× less per 1M tokens: $0.5 vs $1.25 (alpha: "
                            f"blended $1.25 per 1M (list price); beta: {DERIVED_BETA}).")
    assert entry.evidence == {"kind": "price", "per_1m": {"alpha": 1.25, "beta": 0.5},
                              "derived": ["beta"], "ratio": 2.5}


def test_every_format_labels_the_assumed_machine_price(tmp_path: Path) -> None:
    data = _data(tmp_path, {"beta": 0.09}, speed={"beta": 50.0})
    files = render_report(data, html_name="run-1.html")
    for suffix in (".md", ".html"):
        assert "assumed machine price (configurable: price_per_hour)" in files[suffix]
        assert DERIVED_BETA in files[suffix]
    prices = json.loads(files[".json"])["prices"]
    assert prices["beta"] == {
        "compared_per_mtok": pytest.approx(0.5), "basis": "derived", "blended_per_mtok": None,
        "per_hour": 0.09, "derived_per_mtok_output": pytest.approx(0.5), "tokens_per_s": 50.0,
        "speed_source": "speed run 1: output tokens/s p50 of single requests",
        "text": DERIVED_BETA}
    assert prices["alpha"]["basis"] == "list"
    assert decide(data).recommendations  # the whole decision renders from these figures
