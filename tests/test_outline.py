"""A run's outline: its size, and its time from what a real store measured before."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from bakeoff.config import bundled_model_config
from bakeoff.outline import duration, outline
from bakeoff.providers.openai_kind import OpenAIModelConfig
from bakeoff.store import NewCompletion, Store
from bakeoff.store.sqlite import SpeedLevelRow
from bakeoff.types import Completion, GenerationRequest, Message, Score, Timing, Usage

REMOTE = OpenAIModelConfig(name="remote", provider="openai", base_url="http://x/v1",
                           concurrency=2)
OTHER = OpenAIModelConfig(name="other", provider="openai", base_url="http://y/v1")
LOCAL = bundled_model_config("smollm2-135m-instruct")


def _answered(store: Store, run_id: int, model: str, task: str, item: str,
              latency_s: float) -> None:
    """One scored item whose completion took `latency_s`."""
    request = GenerationRequest(messages=(Message("user", f"{task} {item}"),))
    key = f"{model}-{task}-{item}"
    completion = Completion("x", Usage(1, 1), Timing(started=100.0, finished=100.0 + latency_s))
    store.put_scores(run_id, model, task, "generative", 0, [Score(item, "m", 1.0)], [key],
                     [NewCompletion(key, "openai", model, request, completion)])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "bakeoff.sqlite")
    run_id = opened.create_run("h", "quick", {"models": [{"name": "remote"},
                                                        {"name": "smollm2-135m-instruct"}],
                                              "benchmarks": []}, {})
    for item, latency in (("1", 2.0), ("2", 4.0)):  # 3 s an item
        _answered(opened, run_id, "remote", "mmlu", item, latency)
    _answered(opened, run_id, "remote", "gsm8k", "1", 10.0)
    _answered(opened, run_id, "smollm2-135m-instruct", "mmlu", "1", 1.0)
    yield opened
    opened.close()


def test_the_time_comes_from_earlier_items_over_the_models_concurrency(store: Store) -> None:
    plan = outline(store, (REMOTE,), {"mmlu": 10, "gsm8k": 4, "tool_simple": 2}, {"tool_simple"})
    [estimate] = plan.estimates
    # mmlu 10 x 3 s, gsm8k 4 x 10 s, tool_simple (not measured) 2 x the mean 6.5 s; over 2.
    assert estimate.seconds == pytest.approx((30 + 40 + 13) / 2)
    assert plan.line() == ("plan: 1 model (remote) × 2 benchmarks and 1 trial, 16 items each "
                           "(16 in all); time: about 42 s (from earlier runs)")


def test_local_models_add_up_and_remote_ones_overlap(store: Store) -> None:
    items = {"mmlu": 60}
    local_and_remote = outline(store, (REMOTE, LOCAL), items, set())
    # remote: 60 x 3 s / 2 = 90 s; local: 60 x 1 s / its concurrency.
    local_seconds = 60 * 1.0 / LOCAL.concurrency
    assert local_and_remote.seconds == pytest.approx(max(90.0, local_seconds))


def test_items_a_resumed_run_scored_are_not_timed_again(store: Store) -> None:
    plan = outline(store, (REMOTE,), {"mmlu": 10}, set(), done={("remote", "mmlu"): 6})
    assert plan.estimates[0].seconds == pytest.approx(4 * 3.0 / 2)
    assert "(10 in all, 6 scored already)" in plan.line()


def test_a_speed_run_stands_in_for_a_model_never_run(store: Store) -> None:
    speed_run = store.create_speed_run({}, {})
    for concurrency, wall_s in ((1, 40.0), (4, 12.0)):
        store.put_speed_level(SpeedLevelRow(
            speed_run_id=speed_run, model="other", model_identity="other", workload="short",
            mode="concurrency", concurrency=concurrency, rate=None, requests=8, errors=0,
            wall_s=wall_s, output_tokens=800, throughput_tps=None, prompt_tokens=100,
            prompt_token_source="server", clipped_from=None), [])
    plan = outline(store, (OTHER,), {"mmlu": 10}, set())
    # OTHER's concurrency is 4 (the default): 12 s / 8 requests at that level.
    assert plan.estimates[0].seconds == pytest.approx(10 * 12.0 / 8)
    assert plan.time_text() == f"about 15 s (from speed run {speed_run})"


def test_a_model_never_measured_makes_the_time_unknown(store: Store) -> None:
    plan = outline(store, (REMOTE, OTHER), {"mmlu": 1}, set())
    assert plan.seconds is None
    assert plan.time_text() == "unknown (no earlier run or speed run of other)"
    assert outline(None, (REMOTE,), {"mmlu": 1}, set()).seconds is None


@pytest.mark.parametrize(("seconds", "text"), [(0.2, "1 s"), (59.4, "59 s"), (61, "2 min"),
                                               (3600, "1 h 0 min"), (5000, "1 h 24 min")])
def test_durations_are_as_precise_as_an_estimate_deserves(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_a_finished_run_of_the_same_plan_means_its_answers_are_reused(store: Store) -> None:
    assert outline(store, (REMOTE,), {"mmlu": 1}, set(), plan_hash="h").same_as is None
    store.set_run_status(1, "finished")
    plan = outline(store, (REMOTE,), {"mmlu": 1}, set(), plan_hash="h")
    assert plan.time_text() == "seconds (run 1 asked the same: its stored answers are reused)"
