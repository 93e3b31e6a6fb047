"""Load levels, storage and summary, with a scripted provider that streams fixed pieces.

The provider stands in for load-level bookkeeping only (how many requests, warm-ups,
Poisson bounds, what is stored); timing against a real server is in test_speed_server.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bakeoff.providers.base import StreamDelta, StreamEvent
from bakeoff.speed.api import level_row, request_row
from bakeoff.speed.summary import speed_summary
from bakeoff.speed.sweep import LevelRun, SpeedSettings, sweep_workload
from bakeoff.speed.workloads import SpeedPrompt
from bakeoff.store import Store
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    ProviderError,
    Timing,
    Usage,
)

PROMPT = SpeedPrompt(workload="short", target_tokens=100, text="Tell a story.", tokens=4,
                     token_source="tokenizer", clipped_from=None)


class ScriptedProvider:
    """Streams three pieces per request; counts requests in flight; fails where told."""

    kind = "scripted"
    model_id = "scripted"
    abilities = Abilities(loglikelihood=False, endpoint="chat")

    def __init__(self, fail_indexes: Sequence[int] = ()) -> None:
        self.fail_indexes = set(fail_indexes)
        self.seen: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        text = request.messages[0].content
        self.seen.append(text)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            started = time.time()
            if int(text.split()[1].rstrip(".")) in self.fail_indexes:
                raise ProviderError("server_error", "HTTP 500")
            for piece in ("a", "b", "c"):
                await asyncio.sleep(0)
                yield StreamDelta(piece, time.time())
            yield Completion("abc", Usage(4, 6, "server"),
                             Timing(started, time.time(), started), "length")
        finally:
            self.in_flight -= 1

    async def generate(self, request: GenerationRequest) -> Completion:
        raise NotImplementedError

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def sweep(provider: ScriptedProvider, settings: SpeedSettings) -> list[LevelRun]:
    async def main() -> list[LevelRun]:
        return [level async for level in sweep_workload(provider, PROMPT, settings, None)]
    return asyncio.run(main())


def test_levels_send_max_of_runs_and_concurrency_after_the_warm_ups() -> None:
    provider = ScriptedProvider()
    levels = sweep(provider, SpeedSettings(runs=3, warmup=2, concurrency=(1, 4)))
    assert [(lv.concurrency, len(lv.requests), len(lv.warmups)) for lv in levels] == [
        (1, 3, 2), (4, 4, 0)]
    assert provider.most_in_flight == 4
    assert len(set(provider.seen)) == 2 + 3 + 4  # every request has its own prompt
    assert levels[1].output_tokens == 4 * 6


def test_poisson_level_is_bounded_by_its_request_count() -> None:
    provider = ScriptedProvider()
    levels = sweep(provider, SpeedSettings(runs=1, warmup=0, concurrency=(1,), rate=500.0,
                                           requests=5, seed=7))
    poisson = levels[-1]
    assert (poisson.mode, poisson.rate, len(poisson.requests)) == ("poisson", 500.0, 5)


def test_poisson_level_stops_sending_at_its_time_limit() -> None:
    provider = ScriptedProvider()
    levels = sweep(provider, SpeedSettings(runs=1, warmup=0, rate=0.001, requests=5,
                                           max_duration_s=0.01))
    assert levels[-1].requests == ()  # the first arrival falls after the limit


def test_stored_levels_summarise_without_warm_ups_and_count_errors(
        store_location: Path | str) -> None:
    provider = ScriptedProvider(fail_indexes=[2])
    levels = sweep(provider, SpeedSettings(runs=3, warmup=1, concurrency=(1, 2)))
    store = Store(store_location)
    try:
        run_id = store.create_speed_run({"runs": 3}, {"python": "3.11"})
        for level in levels:
            store.put_speed_level(level_row(run_id, "m", "scripted|m", PROMPT, level),
                                  [request_row(r) for r in (*level.warmups, *level.requests)])
        store.set_speed_run_status(run_id, "finished")
        summary = speed_summary(store, run_id)
        stored_requests = store.speed_requests(store.speed_levels(run_id)[0].id)
    finally:
        store.close()
    assert summary.status == "finished"
    first, second = summary.models[0].levels
    assert (first.requests, first.errors, second.requests, second.errors) == (3, 1, 3, 0)
    assert first.ttft_s is not None and first.ttft_s.count == 2  # warm-up and error left out
    assert first.output_tokens == 2 * 6
    assert first.throughput_tps == pytest.approx(first.output_tokens / first.wall_s)
    assert first.token_sources == ("server",)
    assert [r.warmup for r in stored_requests] == [True, False, False, False]
    assert stored_requests[2].error == "server_error: HTTP 500"
    assert len(stored_requests[1].chunk_arrivals) == 3


def test_summary_of_a_missing_run_is_a_lookup_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "bakeoff.sqlite")
    try:
        with pytest.raises(LookupError, match="no speed run 9"):
            speed_summary(store, 9)
    finally:
        store.close()
