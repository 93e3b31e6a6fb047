"""What a run will ask for and cost, worked out before any model is called (`run --estimate`).

For each model and benchmark: the requests the run would send, how many are already answered
in the store (those cost nothing), and for the rest:
- the requests are those the run's provider would get: the model kind's declared abilities
  (loglikelihood scoring or letter generation) choose them, as in the run;
- input tokens, counted with the model's own tokenizer where its kind has one (a local GGUF:
  the text of the prompt or messages, special tokens parsed, no BOS; a chat template's few
  extra tokens are not counted), else estimated as characters / 4 and labelled an estimate;
- output tokens as an upper bound (each generation request's max_tokens; loglikelihood
  scoring generates none), and a typical figure when the store holds answers this model gave
  to the same benchmark: their mean output tokens. No typical figure is guessed without them;
- cost at the model's token prices, for the upper bound and the typical figure. A model priced
  per hour gets no estimate here: its time per call is unknown until it runs.

The judge of open-ended answers gets its own rows (`estimate_judging`): two calls per case of a
judged trial and pair of contestants, each counted as the judge's prompt plus both answers at
their case's max_tokens (the answers do not exist yet, so this is an upper bound).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from bakeoff.benchmarks.base import Benchmark
from bakeoff.cost.budget import estimated_input_tokens, max_output_tokens, request_text
from bakeoff.cost.pricing import Rates, rates_for
from bakeoff.judging.prompt import JUDGE_MAX_TOKENS, format_request, judge_request
from bakeoff.providers.base import ModelConfig
from bakeoff.store import Store
from bakeoff.trials.base import Case, Trial
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
                 store: Store | None = None, counters: dict[str, Counter] | None = None,
                 trials: dict[str, tuple[Trial, list[Case]]] | None = None) -> list[Estimate]:
    """One Estimate per model and benchmark or trial; `counters` replaces a model's token
    counter. A trial case counts its first turn: later turns depend on the answers."""
    rows = []
    for model in models:
        counter, counted_by, close = _counter(model, (counters or {}).get(model.name))
        abilities = model.abilities()  # the same abilities the run's provider will declare
        try:
            for name, (benchmark, samples) in work.items():
                requests = [r for s in samples for r in benchmark.requests(s, abilities)]
                rows.append(_estimate(model, name, requests, store, counter, counted_by))
            for name, (trial, cases) in (trials or {}).items():
                openings = [trial.opening(case, abilities).request() for case in cases]
                rows.append(_estimate(model, name, openings, store, counter, counted_by))
        finally:
            close()
    return rows


def estimate_judging(judge: ModelConfig, trials: dict[str, tuple[Trial, list[Case]]],
                     contestants: int, counter: Counter | None = None) -> list[Estimate]:
    """One Estimate per judged trial: the judge's two calls (both orders) per case and pair of
    contestants, as an upper bound (see the module's docstring)."""
    pairs = contestants * (contestants - 1) // 2
    judged = {name: cases for name, (trial, cases) in trials.items() if trial.info.judged}
    if pairs == 0 or not judged:
        return []
    count, counted_by, close = _counter(judge, counter)
    rows = []
    try:
        for name, cases in judged.items():
            per_case = [count(judge_request(format_request(case.messages), "", ""))
                        + 2 * max_output_tokens(case.request()) for case in cases]
            requests = 2 * pairs * len(cases)
            input_tokens = 2 * pairs * sum(per_case)
            output_max = requests * JUDGE_MAX_TOKENS
            rows.append(Estimate(
                model=judge.name, benchmark=f"judging {name}", requests=requests, cached=0,
                input_tokens=input_tokens, input_counted_by=counted_by,
                output_tokens_max=output_max, output_tokens_typical=None,
                cost_max_usd=_token_cost(rates_for(judge), input_tokens, output_max),
                cost_typical_usd=None))
    finally:
        close()
    return rows


def _estimate(model: ModelConfig, name: str, requests: Sequence[Request],
              store: Store | None, counter: Counter,
              counted_by: Literal["tokenizer", "estimate"]) -> Estimate:
    identity = model.identity()
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


def _typical_output(answered: list[Completion], todo: Sequence[Request]) -> int | None:
    generated = [c for c in answered if c.logprob is None]
    asking = [r for r in todo if max_output_tokens(r) > 0]
    if not generated or not asking:
        return None if asking else 0
    mean = sum(c.usage.output_tokens for c in generated) / len(generated)
    return round(mean * len(asking))


def _token_cost(rates: Rates, input_tokens: int, output_tokens: int) -> float | None:
    return rates.token_cost(input_tokens, output_tokens) if rates.has_token_prices else None


def _counter(model: ModelConfig, given: Counter | None
             ) -> tuple[Counter, Literal["tokenizer", "estimate"], Callable[[], None]]:
    """The model's own tokenizer where its kind has one (it is closed after use), else the
    characters / 4 estimate."""
    if given is not None:
        return given, "tokenizer", lambda: None
    tokenizer = model.tokenizer()
    if tokenizer is None:
        return estimated_input_tokens, "estimate", lambda: None
    return (lambda request: tokenizer.count(request_text(request))), "tokenizer", tokenizer.close
