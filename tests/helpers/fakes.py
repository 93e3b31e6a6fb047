"""A tiny benchmark and a scripted provider, for the runner's bookkeeping and the budget.

The scripted provider stands in for a model only to produce failures on demand; the
real-model paths are covered by the resume and server tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from bakeoff.benchmarks.base import BenchmarkInfo, Mode
from bakeoff.providers.base import StreamEvent
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    ProviderError,
    Request,
    Sample,
    Score,
    Timing,
    Usage,
)


class EchoBenchmark:
    """Ask the model to repeat a word; right when the answer equals the target."""

    info = BenchmarkInfo("echo", 0, "exact_match", "repeat a word", "made in the test")

    def __init__(self, count: int) -> None:
        self.samples = [Sample(f"echo/{i}", f"word{i}", f"word{i}") for i in range(count)]

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        return self.samples[:limit]

    def mode_for(self, abilities: Abilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: Abilities) -> list[Request]:
        return [GenerationRequest(config=GenerationConfig(max_tokens=4),
                                  messages=(Message("user", sample.input),))]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        text = completions[0].text
        return Score(sample.id, "exact_match", float(text == sample.target), text)

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return [self.score(sample, completions)]


class ScriptedProvider:
    """Echoes the last message; fails (HTTP 503 after retries) or answers wrong on the words
    it is given. Counts calls and the most calls in flight at once."""

    kind = "scripted"
    model_id = "scripted"
    abilities = Abilities(loglikelihood=False, endpoint="chat")

    def __init__(self, failing: set[str], wrong: set[str] | None = None) -> None:
        self.failing = failing
        self.wrong = wrong or set()
        self.calls: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        yield await self.generate(request)

    async def generate(self, request: GenerationRequest) -> Completion:
        word = request.messages[-1].content
        self.calls.append(word)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0)  # let the other workers start their calls
        self.in_flight -= 1
        if word in self.failing:
            raise ProviderError("server_error", "HTTP 503 after retries", attempts=5)
        text = "nope" if word in self.wrong else word
        now = time.time()
        return Completion(text, Usage(2, 1), Timing(now, now, now))

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        raise ProviderError("unsupported", "no logprobs")

    async def aclose(self) -> None:
        pass
