"""What a run will ask for and cost, worked out before any model is called (`run --estimate`).

For each model and benchmark: the requests the run would send, how many are already answered
in the store (those cost nothing), and for the rest:
- input tokens, counted with the model's own tokenizer for a local GGUF (the text of the
  prompt or messages; a chat template's few extra tokens are not counted), else estimated as
  characters / 4 and labelled an estimate;
- output tokens as an upper bound (each generation request's max_tokens; loglikelihood
  scoring generates none), and a typical figure when the store holds answers this model gave
  to the same benchmark: their mean output tokens. No typical figure is guessed without them;
- cost at the model's token prices, for the upper bound and the typical figure. A model priced
  per hour gets no estimate here: its time per call is unknown until it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bakeoff.benchmarks.base import Benchmark, ModelAbilities
from bakeoff.config import ModelConfig
from bakeoff.cost.budget import estimated_input_tokens, max_output_tokens, request_text
from bakeoff.cost.pricing import Rates, rates_for
from bakeoff.engine.plan import model_identity
from bakeoff.store import Store
from bakeoff.types import Completion, Request, Sample, request_key

Counter = Callable[[Request], int]


@dataclass(frozen=True)
class Estimate:
    model: str
    benchmark: str
    requests: int
    cached: int
    input_tokens: int
    input_counted_by: Literal["tokenizer", "estimate"]
    output_tokens_max: int
    output_tokens_typical: int | None
    cost_max_usd: float | None
    cost_typical_usd: float | None


def estimate_run(models: Sequence[ModelConfig], work: dict[str, tuple[Benchmark, list[Sample]]],
                 store: Store | None = None,
                 counters: dict[str, Counter] | None = None) -> list[Estimate]:
    """One Estimate per model and benchmark; `counters` replaces a model's token counter."""
    rows = []
    for model in models:
        counter, counted_by = _counter(model, (counters or {}).get(model.name))
        for name, (benchmark, samples) in work.items():
            rows.append(_estimate(model, name, benchmark, samples, store, counter, counted_by))
    return rows


def _estimate(model: ModelConfig, name: str, benchmark: Benchmark, samples: list[Sample],
              store: Store | None, counter: Counter,
              counted_by: Literal["tokenizer", "estimate"]) -> Estimate:
    abilities = abilities_of(model)
    identity = model_identity(model)
    requests = [r for sample in samples for r in benchmark.requests(sample, abilities)]
    keys = [request_key(model.provider, identity, r) for r in requests]
    answered = store.completions(keys) if store is not None else {}
    todo = [r for r, k in zip(requests, keys, strict=True) if k not in answered]
    input_tokens = sum(counter(r) for r in todo)
    output_max = sum(max_output_tokens(r) for r in todo)
    typical = _typical_output(list(answered.values()), todo)
    rates = rates_for(model)
    return Estimate(model=model.name, benchmark=name, requests=len(requests),
                    cached=len(requests) - len(todo), input_tokens=input_tokens,
                    input_counted_by=counted_by, output_tokens_max=output_max,
                    output_tokens_typical=typical,
                    cost_max_usd=_token_cost(rates, input_tokens, output_max),
                    cost_typical_usd=None if typical is None
                    else _token_cost(rates, input_tokens, typical))


def abilities_of(model: ModelConfig) -> ModelAbilities:
    """What the model's provider will be able to do, without starting it."""
    if model.provider == "llama-cpp":
        return ModelAbilities(loglikelihood=True, endpoint="completions")
    return ModelAbilities(loglikelihood=bool(getattr(model, "prompt_logprobs", False)),
                          endpoint=model.endpoint)


def _typical_output(answered: list[Completion], todo: Sequence[Request]) -> int | None:
    generated = [c for c in answered if c.logprob is None]
    asking = [r for r in todo if max_output_tokens(r) > 0]
    if not generated or not asking:
        return None if asking else 0
    mean = sum(c.usage.output_tokens for c in generated) / len(generated)
    return round(mean * len(asking))


def _token_cost(rates: Rates, input_tokens: int, output_tokens: int) -> float | None:
    return rates.token_cost(input_tokens, output_tokens) if rates.has_token_prices else None


def _counter(model: ModelConfig,
             given: Counter | None) -> tuple[Counter, Literal["tokenizer", "estimate"]]:
    if given is not None:
        return given, "tokenizer"
    if model.provider == "llama-cpp":
        return gguf_token_counter(_gguf_path(model)), "tokenizer"
    return estimated_input_tokens, "estimate"


def _gguf_path(model: ModelConfig) -> Path:
    from bakeoff.providers.bundled import ensure_model

    path = ensure_model(model.bundled) if model.bundled else model.path
    assert path is not None
    return path


def gguf_token_counter(path: Path) -> Counter:
    """Counts a request's tokens with the GGUF's tokenizer (vocabulary only, no weights)."""
    from llama_cpp import Llama

    vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)

    def count(request: Request) -> int:
        tokens: list[int] = vocab.tokenize(request_text(request).encode("utf-8"),
                                           add_bos=True, special=False)
        return len(tokens)

    return count
