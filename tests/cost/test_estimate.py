"""`run --estimate`: tokens and cost before any call; answers in the store are not counted."""

from pathlib import Path

import pytest

from bakeoff.benchmarks.base import ModelAbilities
from bakeoff.config import ModelConfig, bundled_model_config
from bakeoff.cost.estimate import estimate_run, gguf_token_counter
from bakeoff.engine.plan import model_identity
from bakeoff.providers.bundled import ensure_model
from bakeoff.store import Store
from bakeoff.types import Completion, GenerationRequest, Timing, Usage, request_key
from tests.engine.test_runner import EchoBenchmark

CHAT = ModelAbilities(loglikelihood=False, endpoint="chat")
MINI = ModelConfig(name="mini", provider="openai", base_url="http://127.0.0.1:9/v1",
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
        key = request_key("openai", model_identity(MINI), request)
        store.put_completion(key, "openai", model_identity(MINI), request,
                             Completion("w", Usage(2, 1), Timing(0.0, 1.0)))
    [row] = estimate_run([MINI], {"echo": (bench, bench.samples)}, store)
    assert (row.requests, row.cached) == (4, 2)
    assert (row.input_tokens, row.output_tokens_max, row.output_tokens_typical) == (4, 8, 2)
    assert row.cost_typical_usd == pytest.approx((4 * 0.15 + 2 * 0.60) / 1e6)


def test_a_model_without_a_price_gets_tokens_but_no_cost() -> None:
    bare = ModelConfig(name="bare", provider="openai", base_url="http://127.0.0.1:9/v1")
    bench = EchoBenchmark(3)
    [row] = estimate_run([bare], {"echo": (bench, bench.samples)})
    assert row.input_tokens == 6 and row.cost_max_usd is None


def test_a_local_model_is_counted_with_its_own_tokenizer() -> None:
    count = gguf_token_counter(ensure_model("smollm2-135m-instruct"))
    bench = EchoBenchmark(3)
    model = bundled_model_config("smollm2-135m-instruct")
    [row] = estimate_run([model], {"echo": (bench, bench.samples)})
    assert row.input_counted_by == "tokenizer"
    [request] = bench.requests(bench.samples[0], CHAT)
    assert row.input_tokens == 3 * count(request) and count(request) >= 2
