"""RetryPolicy delays, Retry-After parsing and the retry loop. Sleeping is injected, never real."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from bakeoff.providers.retry import RetryPolicy, call_with_retries, parse_retry_after
from bakeoff.types import ErrorKind, ProviderError


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Flaky:
    """Fails with the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: ProviderError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def retryable(kind: ErrorKind = "server_error",
              retry_after_s: float | None = None) -> ProviderError:
    return ProviderError(kind, "boom", retryable=True, retry_after_s=retry_after_s)


def test_backoff_ceiling_doubles_until_max_delay() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=3.0)
    ceilings = [policy.delay_s(n, rng=lambda: 1.0) for n in range(1, 6)]
    assert ceilings == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_scales_the_ceiling_by_the_random_draw() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=30.0)
    assert policy.delay_s(3, rng=lambda: 0.0) == 0.0
    assert policy.delay_s(3, rng=lambda: 0.25) == 1.0


def test_server_wait_replaces_backoff_but_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=10.0)
    assert policy.delay_s(1, retry_after_s=4.0, rng=lambda: 0.0) == 4.0
    assert policy.delay_s(1, retry_after_s=3600.0) == 10.0
    assert policy.delay_s(1, retry_after_s=-5.0) == 0.0


def test_bad_response_gets_fewer_attempts() -> None:
    policy = RetryPolicy(max_attempts=5, bad_response_attempts=3)
    assert policy.attempts_for("bad_response") == 3
    assert policy.attempts_for("server_error") == 5
    assert RetryPolicy(max_attempts=2).attempts_for("bad_response") == 2


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=-1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the finer header wins
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after({"Retry-After": header}, now=now) == 42.0
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now=now) == 0.0


def test_retries_until_success_and_sleeps_between() -> None:
    sleep = RecordingSleep()
    flaky = Flaky(retryable(retry_after_s=2.0), retryable(retry_after_s=3.0))
    result = asyncio.run(call_with_retries(flaky, RetryPolicy(max_delay_s=30), sleep=sleep))
    assert result == "ok"
    assert flaky.calls == 3
    assert sleep.waits == [2.0, 3.0]


def test_last_failure_is_raised_with_attempt_count() -> None:
    sleep = RecordingSleep()
    flaky = Flaky(*(retryable() for _ in range(10)))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(call_with_retries(flaky, RetryPolicy(max_attempts=4), sleep=sleep))
    assert caught.value.attempts == 4
    assert flaky.calls == 4
    assert len(sleep.waits) == 3


def test_non_retryable_error_is_raised_at_once() -> None:
    sleep = RecordingSleep()
    flaky = Flaky(ProviderError("auth", "no"))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(call_with_retries(flaky, RetryPolicy(), sleep=sleep))
    assert (caught.value.kind, caught.value.attempts, flaky.calls) == ("auth", 1, 1)
    assert sleep.waits == []


def test_bad_response_stops_at_its_cap() -> None:
    flaky = Flaky(*(retryable("bad_response") for _ in range(10)))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(call_with_retries(flaky, RetryPolicy(max_attempts=5), sleep=RecordingSleep()))
    assert caught.value.attempts == 3
