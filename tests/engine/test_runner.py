"""The runner's bookkeeping: caching, skipping done work, error records never scored.

A scripted provider stands in for a model here only to produce failures on demand; the
real-model paths are covered by the resume and server tests.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.engine.runner import ModelSlot, Runner
from bakeoff.providers.base import StreamEvent
from bakeoff.store import Store
from bakeoff.types import (
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

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        return [GenerationRequest(config=GenerationConfig(max_tokens=4),
                                  messages=(Message("user", sample.input),))]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        text = completions[0].text
        return Score(sample.id, "exact_match", float(text == sample.target), text)


class ScriptedProvider:
    kind = "scripted"
    model_id = "scripted"
    supports_loglikelihood = False
    preferred_endpoint = "chat"

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
        await asyncio.sleep(0.01)
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


def run_once(store: Store, run_id: int, provider: ScriptedProvider, bench: EchoBenchmark,
             concurrency: int = 3) -> Runner:
    runner = Runner(store, run_id)
    slot = ModelSlot("m", provider, "scripted|m", concurrency, in_process=False)
    asyncio.run(runner.run([slot], {"echo": (bench, bench.samples)}))
    return runner


def test_failed_calls_become_error_records_and_are_never_scored(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    bench = EchoBenchmark(6)
    runner = run_once(store, run_id, ScriptedProvider({"word2"}, {"word4"}), bench)
    scored = {s.sample_id: s.value for s in store.scores(run_id)}
    assert "echo/2" not in scored
    assert scored["echo/4"] == 0.0 and scored["echo/0"] == 1.0
    assert [(e.sample_id, e.kind, e.attempts) for e in store.errors(run_id)] == [
        ("echo/2", "server_error", 5)]
    assert runner.counts.errors == 1 and runner.counts.scored == 5


def test_a_rerun_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    bench = EchoBenchmark(5)
    run_once(store, run_id, ScriptedProvider({"word3"}), bench)
    healed = ScriptedProvider(set())
    run_once(store, run_id, healed, bench)
    assert healed.calls == ["word3"]
    assert store.errors(run_id) == []
    assert len(store.scores(run_id)) == 5


def test_a_new_run_reuses_cached_completions(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    bench = EchoBenchmark(4)
    run_once(store, store.create_run("h", "t", {"models": []}, {}), ScriptedProvider(set()), bench)
    second = ScriptedProvider(set())
    runner = run_once(store, store.create_run("h", "t", {"models": []}, {}), second, bench)
    assert second.calls == []
    assert runner.counts.cache_hits == 4


def test_concurrency_is_bounded_per_model(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    provider = ScriptedProvider(set())
    run_once(store, store.create_run("h", "t", {"models": []}, {}), provider,
             EchoBenchmark(20), concurrency=3)
    assert provider.most_in_flight == 3
