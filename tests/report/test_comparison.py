"""The Comparison: per-model intervals and pairwise tests, computed from a real store."""

from pathlib import Path

import pytest

from bakeoff.report.comparison import build_comparison, mean_and_stderr
from bakeoff.scoring.metrics import mcnemar_exact_p
from bakeoff.store import Store
from bakeoff.types import Score
from tests.report.stored import ENVIRONMENT, build_store


def test_every_model_gets_a_mean_stderr_and_interval(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    comparison = build_comparison(store, [run_id])
    mmlu = comparison.metrics[("mmlu", "acc")]
    assert list(mmlu) == ["alpha", "beta", "gamma"]
    alpha = mmlu["alpha"]
    assert (alpha.mean, alpha.n, alpha.mode, alpha.shots) == (0.75, 40, "generative", 5)
    assert alpha.stderr == pytest.approx(mean_and_stderr([1.0] * 30 + [0.0] * 10)[1])
    assert alpha.ci_low < alpha.mean < alpha.ci_high
    assert comparison.metrics[("humaneval", "pass@5")]["beta"].n == 9


def test_pairs_are_tested_on_shared_items_in_model_order(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    comparison = build_comparison(store, [run_id])
    [gsm8k] = comparison.pairwise[("gsm8k", "exact_match")]
    assert (gsm8k.model_a, gsm8k.model_b, gsm8k.n) == ("alpha", "beta", 20)
    assert gsm8k.test is not None
    assert (gsm8k.test.test, gsm8k.test.b, gsm8k.test.c) == ("mcnemar-exact", 3, 1)
    assert gsm8k.test.p_value == mcnemar_exact_p(3, 1)
    [humaneval] = comparison.pairwise[("humaneval", "pass@5")]
    assert humaneval.n == 9 and humaneval.test is not None
    assert humaneval.test.test == "paired-bootstrap"
    assert humaneval.test.significant


def test_models_scored_in_different_modes_are_not_compared(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    pairs = build_comparison(store, [run_id]).pairwise[("mmlu", "acc")]
    assert [(p.model_a, p.model_b) for p in pairs] == [
        ("alpha", "beta"), ("alpha", "gamma"), ("beta", "gamma")]
    assert pairs[0].test is not None and pairs[0].test.significant
    for pair in pairs[1:]:
        assert pair.test is None
        assert pair.not_compared == "scored in different modes (generative and loglikelihood)"


def _run(store: Store, models: list[str]) -> int:
    return store.create_run("h", "quick", {"models": [{"name": m} for m in models]},
                            ENVIRONMENT)


def test_different_shot_counts_and_disjoint_items_are_not_compared(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = _run(store, ["a", "b", "c"])
    store.put_scores(run_id, "a", "arc", "loglikelihood", 25, [Score("q1", "acc", 1.0)], [])
    store.put_scores(run_id, "b", "arc", "loglikelihood", 5, [Score("q1", "acc", 0.0)], [])
    store.put_scores(run_id, "c", "arc", "loglikelihood", 25, [Score("q2", "acc", 0.0)], [])
    reasons = [p.not_compared for p in build_comparison(store, [run_id]).pairwise[("arc", "acc")]]
    assert reasons == ["scored with different shot counts (25 and 5)",
                       "no items scored by both",
                       "scored with different shot counts (5 and 25)"]


def test_an_item_scored_in_two_runs_counts_once_from_the_later_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    first, second = _run(store, ["a"]), _run(store, ["a"])
    store.put_scores(first, "a", "b", "generative", 0, [Score("s1", "acc", 0.0)], [])
    store.put_scores(second, "a", "b", "generative", 0, [Score("s1", "acc", 1.0)], [])
    summary = build_comparison(store, [first, second]).metrics[("b", "acc")]["a"]
    assert (summary.mean, summary.n) == (1.0, 1)


def test_an_unknown_run_is_a_lookup_error(tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="no run 7"):
        build_comparison(Store(tmp_path / "s.sqlite"), [7])


def test_usage_and_cost_count_each_completion_behind_the_counted_scores_once(
        tmp_path: Path) -> None:
    """An item rescored in a later run brings only the later completion in: the usage table,
    the run cost and cost per 1,000 correct all come from that one set."""
    from bakeoff.types import Completion, GenerationRequest, Message, Timing, Usage

    store = Store(tmp_path / "s.sqlite")
    plan = {"models": [{"name": "a", "provider": "openai", "base_url": "http://x/v1",
                        "price_input_per_mtok": 1.0, "price_output_per_mtok": 2.0}]}
    first = store.create_run("h", "quick", plan, ENVIRONMENT)
    second = store.create_run("h", "quick", plan, ENVIRONMENT)
    for key, tokens, run_id, value in (("old", 1_000, first, 0.0), ("new", 500, second, 1.0),
                                       ("shared", 100, second, 0.5)):
        request = GenerationRequest(messages=(Message("user", key),))
        store.put_completion(key, "openai", "a", request,
                             Completion("x", Usage(tokens, 0), Timing(0.0, 1.0)))
        sample = "s2" if key == "shared" else "s1"
        # "shared" answers two metrics of one item: its cost counts once in the total.
        metrics = ["acc", "f1"] if key == "shared" else ["acc"]
        store.put_scores(run_id, "a", "b", "generative", 0,
                         [Score(sample, m, value) for m in metrics], [key])
    usage = build_comparison(store, [first, second]).usage["a"]
    assert (usage.calls, usage.input_tokens) == (2, 600)
    assert usage.cost_usd == pytest.approx(600 / 1e6)
    acc, f1 = usage.benchmarks
    assert (acc.metric, acc.items, acc.correct) == ("acc", 2, 1.5)
    assert acc.cost_usd == usage.cost_usd
    assert acc.per_1000_correct == pytest.approx(600 / 1e6 / 1.5 * 1000)
    assert (f1.items, f1.cost_usd) == (1, pytest.approx(100 / 1e6))
