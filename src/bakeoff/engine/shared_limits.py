"""Limits that hold across worker processes: concurrency and rate caps of an endpoint.

When a run is spread over several processes (bakeoff.engine.ray_executor), each process has
its own runner and its own pacer, so a model's `concurrency` and an endpoint's
`requests_per_minute` / `tokens_per_minute` would each hold per process. `EndpointLimits` keeps
them for all processes together: one instance per endpoint (base URL + key variable, as the
pacer keys endpoints) lives in one place (a Ray actor) and grants permits; `LimitedProvider`
wraps a model's provider in each worker and takes a permit around every call.

A permit holds one of the model's `concurrency` places until the call returns. The rate caps
book start times as the pacer does (providers/pacing.py): requests `60 / rpm` s apart, and a
call's tokens reserved at the mean of the calls so far, corrected once its usage is known.
Each worker's own pacing by the server's headers and 429s stays as it is.

A worker that dies holding permits would keep them forever: its permits are given back by
`forget(holder)`, and a permit granted later to a holder forgotten is not taken.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bakeoff.providers.base import Provider, StreamEvent
from bakeoff.types import Completion, GenerationRequest, LoglikelihoodRequest

_MINUTE_S = 60.0


@dataclass(frozen=True)
class Caps:
    """What one endpoint allows: places per model, and rate caps for the endpoint."""

    concurrency: Mapping[str, int]  # model name -> calls in flight at most
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None


class EndpointLimits:
    """Permits for the calls to one endpoint, from every worker (see the module docstring).

    Its methods are coroutines of one event loop (a Ray async actor runs them so)."""

    def __init__(self, caps: Caps, clock: Callable[[], float] = time.monotonic) -> None:
        self.caps = caps
        self.clock = clock
        self._in_use: Counter[str] = Counter()  # model -> places taken
        self._held: dict[str, Counter[str]] = {}  # holder -> model -> places it holds
        self._forgotten: set[str] = set()
        self._freed = asyncio.Condition()
        self._requests_next_at = -math.inf
        self._tokens_next_at = -math.inf
        self._mean_tokens = 0.0
        self._answered = 0
        self.most_in_flight = 0  # the largest number of calls in flight at once, for tests

    async def acquire(self, model: str, holder: str, requests: int = 1) -> float:
        """Wait for a place of `model`; book `requests` starts. Returns the seconds the caller
        waits before it sends (its booked start), holding the place meanwhile."""
        async with self._freed:
            limit = self.caps.concurrency.get(model, 1)
            await self._freed.wait_for(
                lambda: holder in self._forgotten or self._in_use[model] < limit)
            if holder in self._forgotten:
                return 0.0  # a dead worker's late call: it takes nothing
            self._in_use[model] += 1
            self._held.setdefault(holder, Counter())[model] += 1
            self.most_in_flight = max(self.most_in_flight, sum(self._in_use.values()))
        return self._book(requests)

    async def release(self, model: str, holder: str, tokens: int | None = None) -> None:
        """The call is back: free its place; `tokens` it used, where known."""
        async with self._freed:
            held = self._held.get(holder, Counter())
            if held[model] > 0:
                held[model] -= 1
                self._in_use[model] -= 1
                self._freed.notify_all()
        if tokens is not None:
            self._charge(tokens)

    async def forget(self, holder: str) -> None:
        """The holder's process is gone: its places are free, later grants to it void."""
        async with self._freed:
            self._forgotten.add(holder)
            for model, count in self._held.pop(holder, Counter()).items():
                self._in_use[model] -= count
            self._freed.notify_all()

    async def peak(self) -> int:
        return self.most_in_flight

    def _book(self, requests: int) -> float:
        """The seconds until `requests` may start under the rate caps, booked."""
        now = self.clock()
        start = now
        rpm, tpm = self.caps.requests_per_minute, self.caps.tokens_per_minute
        if rpm:
            start = max(start, self._requests_next_at)
            self._requests_next_at = start + requests * _MINUTE_S / rpm
        if tpm:
            token_start = max(now, self._tokens_next_at)
            self._tokens_next_at = token_start + requests * self._mean_tokens * _MINUTE_S / tpm
            start = max(start, token_start)
        return start - now

    def _charge(self, tokens: int) -> None:
        """Book what the call's tokens missed (or give back what the mean overbooked)."""
        tpm = self.caps.tokens_per_minute
        reserved = self._mean_tokens
        self._answered += 1
        self._mean_tokens += (tokens - self._mean_tokens) / self._answered
        if tpm:
            self._tokens_next_at += (tokens - reserved) * _MINUTE_S / tpm


class Permits(Protocol):
    """A model's way to its endpoint's limits, from one worker."""

    async def acquire(self, requests: int) -> None:
        """Wait for a place and for the booked start."""
        ...

    def release(self, tokens: int | None) -> None:
        """Give the place back (without waiting); `tokens` the call used, where known."""
        ...


class LimitedProvider:
    """A provider whose every call takes a permit of the endpoint's shared limits."""

    def __init__(self, inner: Provider, permits: Permits) -> None:
        self.inner = inner
        self.permits = permits
        self.kind = inner.kind
        self.model_id = inner.model_id
        self.abilities = inner.abilities

    async def generate(self, request: GenerationRequest) -> Completion:
        await self.permits.acquire(1)
        completion = None
        try:
            completion = await self.inner.generate(request)
            return completion
        finally:
            self.permits.release(_tokens(completion))

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        # One place for the item's choices, as the local runner counts one unit.
        await self.permits.acquire(len(requests))
        try:
            return await self.inner.loglikelihood(requests)
        finally:
            self.permits.release(None)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        await self.permits.acquire(1)
        final = None
        try:
            async for event in self.inner.stream(request):
                if isinstance(event, Completion):
                    final = event
                yield event
        finally:
            self.permits.release(_tokens(final))

    async def aclose(self) -> None:
        await self.inner.aclose()


def _tokens(completion: Completion | None) -> int | None:
    if completion is None:
        return None
    return completion.usage.input_tokens + completion.usage.output_tokens
