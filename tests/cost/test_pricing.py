"""Cost arithmetic: per request, blended price, machine time, and a run's cost per 1,000
correct answers (partial credit counts as a fraction); rates from a model's resolved figures."""

from pathlib import Path

import pytest

from bakeoff.config import parse_config
from bakeoff.cost import Rates, blended_price, rates_for, rates_from_plan, usage_cost, wall_seconds
from bakeoff.cost.pricing import per_mtok_at
from bakeoff.report.comparison import build_comparison
from bakeoff.store import Store
from bakeoff.types import Completion, GenerationRequest, Message, Score, Timing, Usage


def test_a_request_costs_its_tokens_at_the_price_per_million() -> None:
    assert usage_cost(Usage(1_000, 500), 0.15, 0.60) == pytest.approx(0.00045)
    assert usage_cost(Usage(0, 0), 5.0, 15.0) == 0.0


def test_blended_price_weights_input_three_to_one() -> None:
    assert blended_price(0.15, 0.60) == pytest.approx(0.2625)
    assert blended_price(3.0, 3.0) == 3.0
    assert Rates(2.0, 6.0).blended_per_mtok == pytest.approx(3.0)
    assert Rates(2.0, None).blended_per_mtok is None


def test_a_price_per_hour_comes_to_a_price_per_million_tokens_at_a_measured_speed() -> None:
    # $0.0864 an hour at 115.4 output tokens/s: 415,440 tokens an hour.
    assert per_mtok_at(0.0864, 115.4) == pytest.approx(0.0864 / 415_440 * 1_000_000)
    assert per_mtok_at(0.09, 50.0) == pytest.approx(0.5)


def test_machine_time_counts_overlapping_calls_once() -> None:
    timings = [Timing(0.0, 2.0), Timing(1.0, 3.0), Timing(1.0, 3.0), Timing(10.0, 11.0)]
    assert wall_seconds(timings) == pytest.approx(4.0)
    assert wall_seconds([]) == 0.0


def test_a_local_model_costs_wall_time_times_its_price_per_hour() -> None:
    calls = [Completion("", Usage(10, 5), Timing(0.0, 1800.0)),
             Completion("", Usage(10, 5), Timing(1800.0, 3600.0))]
    assert Rates(per_hour=2.0).cost(calls) == pytest.approx(2.0)
    assert Rates(1.0, 1.0, per_hour=2.0).cost(calls) == pytest.approx(2.0 + 30 / 1e6)
    assert Rates().cost(calls) is None


def _answer(store: Store, run_id: int, sample: str, value: float, tokens: tuple[int, int],
            benchmark: str = "quiz") -> None:
    request = GenerationRequest(messages=(Message("user", sample),))
    key = f"key-{benchmark}-{sample}"
    store.put_completion(key, "openai", "m", request,
                         Completion("a", Usage(*tokens), Timing(0.0, 1.0)))
    store.put_scores(run_id, "m", benchmark, "generative", 0,
                     [Score(sample, "acc", value)], [key])


def test_cost_per_1000_correct_counts_partial_credit_as_a_fraction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    plan = {"models": [{"name": "m", "price_input_per_mtok": 1.0, "price_output_per_mtok": 2.0}]}
    run_id = store.create_run("h", "t", plan, {})
    _answer(store, run_id, "a", 1.0, (1_000, 500))
    _answer(store, run_id, "b", 0.5, (1_000, 500))
    _answer(store, run_id, "c", 0.0, (1_000, 500))
    _answer(store, run_id, "z", 0.0, (2_000, 0), benchmark="hard")
    cost = build_comparison(store, [run_id]).usage["m"]
    assert cost.cost_usd == pytest.approx(3 * 0.002 + 0.002)
    quiz, hard = sorted(cost.benchmarks, key=lambda b: b.benchmark, reverse=True)
    assert (quiz.items, quiz.correct) == (3, 1.5)
    assert quiz.cost_usd == pytest.approx(0.006)
    assert quiz.per_1000_correct == pytest.approx(0.006 / 1.5 * 1000)
    assert hard.per_1000_correct is None


def test_a_plan_without_prices_takes_its_linked_cards_price() -> None:
    base = {"name": "x", "provider": "openai", "base_url": "http://x/v1"}
    assert rates_from_plan({**base, "card": "gpt-4o-mini"}) == Rates(0.15, 0.60)
    assert rates_from_plan({**base, "card": "gpt-4o-mini",
                            "price_output_per_mtok": 1.0}) == Rates(0.15, 1.0)
    assert rates_from_plan({**base, "price_per_hour": 0.5}) == Rates(per_hour=0.5)


def test_a_plan_entry_no_kind_accepts_is_read_for_its_common_keys() -> None:
    # Written by an older bakeoff (no provider key): prices, card and price per hour still count.
    assert rates_from_plan({"name": "x", "card": "gpt-4o-mini"}) == Rates(0.15, 0.60)
    assert rates_from_plan({"name": "x", "price_per_hour": 0.5,
                            "retired_key": 1}) == Rates(per_hour=0.5)
    assert rates_from_plan({"name": "x", "card": "no-such-card"}) == Rates()


def test_a_configured_model_and_its_stored_plan_cost_the_same() -> None:
    config = parse_config("""
[[models]]
name = "big"
provider = "openai"
base_url = "http://x/v1"
card = "llama-3.1-405b-instruct"
price_input_per_mtok = 6.5

[[models]]
name = "local"
provider = "llama-cpp"
path = "missing.gguf"
card = "mixtral-8x22b-instruct"
price_per_hour = 2.0
""", "bakeoff.toml")
    big, local = config.models
    assert rates_for(big) == Rates(6.5, 3.5)  # the card's output price fills the gap
    assert rates_for(local) == Rates(2.0, 6.0, per_hour=2.0)
    for model in config.models:
        plan_entry = model.model_dump(mode="json", exclude_defaults=True)
        assert rates_from_plan(plan_entry) == rates_for(model)
