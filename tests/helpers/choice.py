"""Shared by the multiple-choice benchmark tests (HellaSwag, ARC, TruthfulQA, WinoGrande, the
okapi multilingual tasks): fixture rows, completions, lm-eval's shot sampler written out, and
one end-to-end pass through a real provider (the `smollm2` fixture, tests/benchmarks/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.choice import ChoiceBenchmark
from bakeoff.types import Abilities, Completion, LoglikelihoodRequest, Timing, Usage

FIXTURES = Path(__file__).parents[1] / "benchmarks" / "fixtures"
LOGLIKELIHOOD = Abilities(loglikelihood=True, endpoint="completions")
COMPLETIONS = Abilities(loglikelihood=False, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")


def fixture_rows(name: str) -> list[dict[str, Any]]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def completion(text: str = "", logprob: float | None = None) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0), logprob=logprob)


def logprobs(*values: float) -> list[Completion]:
    return [completion(logprob=value) for value in values]


def metric_values(benchmark: ChoiceBenchmark, sample: Any,
                  completions: Sequence[Completion]) -> dict[str, float]:
    return {score.metric: score.value for score in benchmark.score_all(sample, completions)}


def replay_lm_eval(docs: Sequence[Mapping[str, Any]], pool: Sequence[Mapping[str, Any]],
                   count: int, drawn: int) -> list[list[Mapping[str, Any]]]:
    """lm-eval's ContextSampler.get_context, written out on the row lists themselves."""
    rng = random.Random(1234)
    return [[row for row in rng.sample(pool, drawn) if row != doc][:count] for doc in docs]


def run_end_to_end(provider: Any, benchmark: ChoiceBenchmark, count: int = 2) -> list[float]:
    """Score the first `count` samples by loglikelihood; return every logprob seen."""
    seen: list[float] = []
    for sample in benchmark.load_samples(limit=count):
        requests = benchmark.requests(sample, LOGLIKELIHOOD)
        assert all(isinstance(request, LoglikelihoodRequest) for request in requests)
        values = asyncio.run(provider.loglikelihood(requests))
        scores = benchmark.score_all(sample, [completion(logprob=v) for v in values])
        assert [score.metric for score in scores] == list(benchmark.metrics)
        assert all(score.value in (0.0, 1.0) and score.extracted for score in scores)
        seen += values
    assert all(value < 0.0 for value in seen)
    return seen
