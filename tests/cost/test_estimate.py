"""`run --estimate`: tokens and cost before any call; answers in the store are not counted."""

from pathlib import Path

import pytest

from bakeoff.benchmarks.base import ModelAbilities
from bakeoff.benchmarks.mmlu import MMLU
from bakeoff.config import bundled_model_config
from bakeoff.cost.budget import request_text
from bakeoff.cost.estimate import estimate_judging, estimate_run
from bakeoff.judging.prompt import JUDGE_MAX_TOKENS
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.tokenizer import GgufTokenizer
from bakeoff.providers.openai_kind import OpenAIModelConfig
from bakeoff.store import Store
from bakeoff.trials.registry import TRIALS
from bakeoff.types import (
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    Timing,
    Usage,
    request_key,
)
from tests.helpers.fakes import EchoBenchmark

CHAT = ModelAbilities(loglikelihood=False, endpoint="chat")
MINI = OpenAIModelConfig(name="mini", provider="openai", base_url="http://127.0.0.1:9/v1",
                         card="gpt-4o-mini")


def test_a_remote_model_is_estimated_from_characters_and_max_tokens() -> None:
    bench = EchoBenchmark(10)
    [row] = estimate_run([MINI], {"echo": (bench, bench.samples)})
    assert (row.requests, row.cached, row.input_counted_by) == (10, 0, "estimate")
    assert row.input_tokens == 10 * 2  # "wordN": 5 characters -> ceil(5 / 4)
    assert row.output_tokens_max == 10 * 4 and row.output_tokens_typical is None
    assert row.cost_max_usd == pytest.approx((20 * 0.15 + 40 * 0.60) / 1e6)


def test_stored_answers_cost_nothing_and_give_the_typical_output(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    bench = EchoBenchmark(4)
    for sample in bench.samples[:2]:
        [request] = bench.requests(sample, CHAT)
        assert isinstance(request, GenerationRequest)
        key = request_key("openai", MINI.identity(), request)
        store.put_completion(key, "openai", MINI.identity(), request,
                             Completion("w", Usage(2, 1), Timing(0.0, 1.0)))
    [row] = estimate_run([MINI], {"echo": (bench, bench.samples)}, store)
    assert (row.requests, row.cached) == (4, 2)
    assert (row.input_tokens, row.output_tokens_max, row.output_tokens_typical) == (4, 8, 2)
    assert row.cost_typical_usd == pytest.approx((4 * 0.15 + 2 * 0.60) / 1e6)


def test_a_model_without_a_price_gets_tokens_but_no_cost() -> None:
    bare = OpenAIModelConfig(name="bare", provider="openai", base_url="http://127.0.0.1:9/v1")
    bench = EchoBenchmark(3)
    [row] = estimate_run([bare], {"echo": (bench, bench.samples)})
    assert row.input_tokens == 6 and row.cost_max_usd is None


def test_a_local_model_is_counted_with_its_own_tokenizer() -> None:
    tokenizer = GgufTokenizer(ensure_model("smollm2-135m-instruct"))
    bench = EchoBenchmark(3)
    model = bundled_model_config("smollm2-135m-instruct")
    [row] = estimate_run([model], {"echo": (bench, bench.samples)})
    assert row.input_counted_by == "tokenizer"
    [request] = bench.requests(bench.samples[0], CHAT)
    count = tokenizer.count(request_text(request))
    assert row.input_tokens == 3 * count and count >= 2


def test_a_loglikelihood_endpoint_is_priced_as_loglikelihood_scoring() -> None:
    """An HTTP model with `loglikelihood = true` is scored by loglikelihood in the run, so the
    estimate asks for the same requests: one per choice, no generated tokens."""
    mmlu = MMLU(rows=[{"question": "2 + 2?", "answer_a": "3", "answer_b": "4", "answer_c": "5",
                       "answer_d": "6", "correct_answer": "B", "topic": "math"}] * 6)
    scoring = OpenAIModelConfig(name="vllm", provider="openai", loglikelihood=True,
                                base_url="http://127.0.0.1:9/v1", card="gpt-4o-mini")
    samples = mmlu.load_samples()
    [row] = estimate_run([scoring], {"mmlu": (mmlu, samples)})
    requests = mmlu.requests(samples[0], scoring.abilities())
    assert all(isinstance(r, LoglikelihoodRequest) for r in requests)
    assert row.requests == 4 * len(samples) and row.output_tokens_max == 0


def test_the_judge_is_estimated_two_calls_per_case_and_pair_at_its_prices() -> None:
    trial = TRIALS["open_ended"]
    cases = trial.cases(seed=1, count=2)
    [row] = estimate_judging(MINI, {"open_ended": (trial, cases)}, contestants=3,
                             counter=lambda request: 100)
    answers = sum(2 * case.config.max_tokens for case in cases)  # both answers at max_tokens
    assert (row.model, row.benchmark, row.requests, row.cached) == (
        "mini", "judging open_ended", 2 * 3 * 2, 0)
    assert row.input_tokens == 2 * 3 * (2 * 100 + answers)
    assert row.output_tokens_max == 12 * JUDGE_MAX_TOKENS
    assert row.cost_max_usd == pytest.approx(
        (row.input_tokens * 0.15 + row.output_tokens_max * 0.60) / 1e6)
    assert estimate_judging(MINI, {"open_ended": (trial, cases)}, contestants=1) == []
    unjudged = {"safety_policy": (TRIALS["safety_policy"], TRIALS["safety_policy"].cases(1, 2))}
    assert estimate_judging(MINI, unjudged, contestants=3) == []
