"""Load levels: warm-up, then a concurrency sweep and optional Poisson arrivals.

At concurrency c, max(runs, c) requests are sent with at most c in flight (each worker sends
its next request as soon as its last one ends). Poisson arrivals send requests at exponential
inter-arrival times of mean 1/rate from a seeded RNG, whatever is still in flight, until
`requests` have been sent or `max_duration_s` has passed; requests in flight then finish.
Throughput = total output tokens ÷ wall time (first send to last finish) of a level.

An in-process model runs one request at a time (one llama thread behind one lock), so its
throughput stays flat as concurrency grows while latency grows with the queue: that is what
such a model does under load, and it is measured as it is.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bakeoff.providers.base import Provider
from bakeoff.speed.measure import MeasuredRequest, measure_request, settle_tokens
from bakeoff.speed.tokens import TokenCounter
from bakeoff.speed.workloads import SpeedPrompt, speed_request

LevelMode = Literal["concurrency", "poisson"]
# Bounds on what a user may ask for: beyond them a sweep would never finish (each level
# starts that many tasks at once) and nothing more would be learned.
MAX_CONCURRENCY = 1024
MAX_REQUESTS = 100_000
MAX_RATE = 10_000.0


@dataclass(frozen=True)
class SpeedSettings:
    workloads: tuple[str, ...] = ("short",)
    runs: int = 5
    warmup: int = 1
    concurrency: tuple[int, ...] = (1,)
    rate: float | None = None  # Poisson arrivals per second; None: no Poisson level
    requests: int = 20  # Poisson requests to send at most
    max_duration_s: float = 300.0  # Poisson: stop sending new requests after this
    max_tokens: int = 128
    seed: int = 1234

    def __post_init__(self) -> None:
        if self.runs < 1 or self.warmup < 0 or self.max_tokens < 1 or self.requests < 1:
            raise ValueError("runs, requests and max_tokens must be at least 1, warmup at "
                             "least 0")
        if max(self.runs, self.warmup, self.requests) > MAX_REQUESTS:
            raise ValueError(f"runs, warmup and requests must be at most {MAX_REQUESTS}")
        if not self.concurrency or min(self.concurrency) < 1:
            raise ValueError("concurrency levels must be at least 1")
        if max(self.concurrency) > MAX_CONCURRENCY:
            raise ValueError(f"concurrency levels must be at most {MAX_CONCURRENCY}")
        if self.rate is not None and not 0 < self.rate <= MAX_RATE:
            raise ValueError("the Poisson rate must be above 0 and at most "
                             f"{MAX_RATE} requests per second")
        if not math.isfinite(self.max_duration_s):
            raise ValueError("the Poisson duration must be a finite number of seconds")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LevelRun:
    """One load level of one workload: its measured requests and its wall time."""

    workload: str
    mode: LevelMode
    concurrency: int | None
    rate: float | None
    wall_s: float
    requests: tuple[MeasuredRequest, ...]
    warmups: tuple[MeasuredRequest, ...] = ()

    @property
    def output_tokens(self) -> int:
        return sum(r.output_tokens or 0 for r in self.requests if r.error is None)


class _Requests:
    """Numbers each request of a workload, so that no two share a prompt."""

    def __init__(self, provider: Provider, prompt: SpeedPrompt, max_tokens: int) -> None:
        self._provider, self._prompt, self._max_tokens = provider, prompt, max_tokens
        self._next = 0

    async def send(self, *, warmup: bool = False) -> MeasuredRequest:
        index, self._next = self._next, self._next + 1
        request = speed_request(self._prompt, index, self._max_tokens,
                                self._provider.abilities.endpoint)
        return await measure_request(self._provider, request, index, warmup=warmup)


async def sweep_workload(provider: Provider, prompt: SpeedPrompt, settings: SpeedSettings,
                         counter: TokenCounter | None) -> AsyncIterator[LevelRun]:
    """Warm up, then yield each load level of this workload as it finishes."""
    requests = _Requests(provider, prompt, settings.max_tokens)
    warmups = [await requests.send(warmup=True) for _ in range(settings.warmup)]
    for level in settings.concurrency:
        measured, wall = await _closed_loop(requests, level, max(settings.runs, level))
        yield await _settled(LevelRun(prompt.workload, "concurrency", level, None, wall,
                                      tuple(measured), tuple(warmups)), counter)
        warmups = []
    if settings.rate is not None:
        rng = random.Random(settings.seed)
        measured, wall = await _poisson(requests, settings.rate, settings.requests,
                                        settings.max_duration_s, rng.expovariate)
        yield await _settled(LevelRun(prompt.workload, "poisson", None, settings.rate, wall,
                                      tuple(measured)), counter)


async def _closed_loop(requests: _Requests, concurrency: int,
                       count: int) -> tuple[list[MeasuredRequest], float]:
    remaining = iter(range(count))
    results: list[MeasuredRequest] = []

    async def worker() -> None:
        for _ in remaining:  # shared iterator: each number is taken by one worker
            results.append(await requests.send())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _in_order(results), _wall(results)


async def _poisson(requests: _Requests, rate: float, count: int, max_duration_s: float,
                   gap: Callable[[float], float]) -> tuple[list[MeasuredRequest], float]:
    started = time.time()
    deadline = started + max_duration_s
    due = started
    in_flight: list[asyncio.Task[MeasuredRequest]] = []
    for _ in range(count):
        due += gap(rate)
        if due > deadline:
            break
        await asyncio.sleep(max(0.0, due - time.time()))
        in_flight.append(asyncio.create_task(requests.send()))
    results = list(await asyncio.gather(*in_flight))
    return _in_order(results), _wall(results)


async def _settled(level: LevelRun, counter: TokenCounter | None) -> LevelRun:
    measured = tuple([await settle_tokens(r, counter) for r in level.requests])
    warmups = tuple([await settle_tokens(r, counter) for r in level.warmups])
    return LevelRun(level.workload, level.mode, level.concurrency, level.rate, level.wall_s,
                    measured, warmups)


def _in_order(results: list[MeasuredRequest]) -> list[MeasuredRequest]:
    return sorted(results, key=lambda r: r.index)


def _wall(results: list[MeasuredRequest]) -> float:
    """From the first send to the last finish."""
    if not results:
        return 0.0
    return max(r.finished for r in results) - min(r.sent for r in results)
