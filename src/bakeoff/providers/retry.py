"""How bakeoff retries a failed provider call: exponential backoff with full jitter.

Only a `ProviderError` marked `retryable` is retried. When the server says how long to wait
(Retry-After, OpenAI's retry-after-ms, or the reset of a spent x-ratelimit budget) that wait is
used instead of the backoff. A policy with a `Pacer` (providers/pacing.py) takes a start slot
from it before every attempt and tells it of each answer, so that a 429 slows every request to
the endpoint, not only the one that got it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from bakeoff.providers.pacing import (
    Pacer,
    Ticket,
    attempt_context,
    end_attempt,
    header_number,
    parse_duration,
)
from bakeoff.types import Completion, ErrorKind, ProviderError

T = TypeVar("T")

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` calls in all; waits grow from `base_delay_s` up to `max_delay_s`.

    A malformed response rarely fixes itself, so it gets at most `bad_response_attempts`.
    `pacer`, where set, paces the attempts of every request to the same endpoint.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    bad_response_attempts: int = 3
    pacer: Pacer | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays must not be negative")

    def attempts_for(self, kind: ErrorKind) -> int:
        if kind == "bad_response":
            return min(self.max_attempts, self.bad_response_attempts)
        return self.max_attempts

    def delay_s(self, failed_attempts: int, retry_after_s: float | None = None,
                rng: Callable[[], float] = random.random) -> float:
        """The wait after `failed_attempts` failures (1 after the first failure).

        A server-given wait is honoured as is, but never beyond `max_delay_s`, so a buggy
        header cannot stall a run for hours. Otherwise full jitter: a uniform draw in
        [0, min(max_delay_s, base_delay_s * 2**(failed_attempts - 1))].
        """
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (failed_attempts - 1))
        return rng() * ceiling


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date), else
    from the `x-ratelimit-reset-*` of a budget whose `x-ratelimit-remaining-*` is 0."""
    lowered = {name.lower(): value for name, value in headers.items()}
    milliseconds = header_number(lowered.get("retry-after-ms"))
    if milliseconds is not None:
        return max(milliseconds / 1000.0, 0.0)
    value = lowered.get("retry-after")
    if value is None:
        return _spent_budget_reset(lowered)
    seconds = header_number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    return _seconds_until_http_date(value, time.time() if now is None else now)


def _spent_budget_reset(lowered: Mapping[str, str]) -> float | None:
    resets = [parse_duration(lowered.get(f"x-ratelimit-reset-{kind}"))
              for kind in ("requests", "tokens")
              if header_number(lowered.get(f"x-ratelimit-remaining-{kind}")) == 0]
    known = [reset for reset in resets if reset is not None]
    return max(known) if known else None


def _seconds_until_http_date(text: str, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT; an unmarked one is read as such
        return None
    return max(moment.timestamp() - now, 0.0)


async def call_with_retries(fn: Callable[[], Awaitable[T]], policy: RetryPolicy, *,
                            sleep: Sleep = asyncio.sleep) -> T:
    """Await `fn()` until it succeeds, retrying retryable `ProviderError`s per `policy`.

    The error that ends the loop is raised with `attempts` set to the calls made. With a
    pacer, a 429's wait becomes the pacer's pause, which every request to the endpoint waits.
    """
    pacer = policy.pacer
    attempt = 1
    while True:
        ticket = await pacer.acquire() if pacer else None
        try:
            return await _attempt(fn, pacer, ticket)
        except ProviderError as error:
            error.attempts = attempt
            wait = policy.delay_s(attempt, error.retry_after_s)
            paced = pacer is not None and error.kind == "rate_limited"
            if pacer is not None and ticket is not None and paced:
                pacer.limited(ticket, wait, error.retry_after_s)
            if not error.retryable or attempt >= policy.attempts_for(error.kind):
                raise
            log.info("attempt %d failed (%s: %s); retrying in %.2fs",
                     attempt, error.kind, error.message, wait)
            if not paced:
                await sleep(wait)
            attempt += 1


async def _attempt(fn: Callable[[], Awaitable[T]], pacer: Pacer | None,
                   ticket: Ticket | None) -> T:
    """One call of `fn`; a pacer learns of its answer's headers and of its success."""
    if pacer is None or ticket is None:
        return await fn()
    context = attempt_context(pacer, ticket)
    try:
        result = await fn()
    finally:
        end_attempt(context)
        pacer.finished(ticket)
    usage = result.usage if isinstance(result, Completion) else None
    pacer.succeeded(ticket, usage.input_tokens + usage.output_tokens if usage else None)
    return result
