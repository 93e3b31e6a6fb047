"""The per-endpoint pacer on a virtual clock: caps, 429 pauses, the learned rate, headers."""

from __future__ import annotations

import asyncio

import pytest

from bakeoff.providers.pacing import (
    Pacer,
    Ticket,
    endpoint_pacer,
    observe_response,
    parse_duration,
)
from bakeoff.providers.retry import RetryPolicy, call_with_retries, parse_retry_after
from bakeoff.types import Completion, ProviderError, Timing, Usage


class VirtualTime:
    """A clock that only moves when someone sleeps; the sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def pacer(**caps: float) -> tuple[Pacer, VirtualTime]:
    time = VirtualTime()
    return Pacer(**caps, clock=time.clock, sleep=time.sleep), time


def starts(pacer: Pacer, time: VirtualTime, count: int) -> list[float]:
    """When each of `count` requests, taken one after another, may start."""
    async def take() -> list[float]:
        moments = []
        for _ in range(count):
            await pacer.acquire()
            moments.append(time.now)
        return moments

    return asyncio.run(take())


def test_parse_duration_reads_openai_reset_forms() -> None:
    assert parse_duration("1s") == 1.0
    assert parse_duration("6m0s") == 360.0
    assert parse_duration("20ms") == pytest.approx(0.02)
    assert parse_duration("1h2m3.5s") == pytest.approx(3723.5)
    assert parse_duration("0.5") == 0.5
    assert parse_duration("soon") is None
    assert parse_duration("1s later") is None
    assert parse_duration(None) is None


def test_without_limits_requests_start_at_once() -> None:
    paced, time = pacer()
    assert starts(paced, time, 5) == [0.0] * 5


def test_a_requests_cap_spaces_requests_from_the_first() -> None:
    paced, time = pacer(requests_per_minute=120)
    assert starts(paced, time, 4) == [0.0, 0.5, 1.0, 1.5]


def test_a_tokens_cap_charges_the_tokens_each_answer_used() -> None:
    paced, time = pacer(tokens_per_minute=600)  # 10 tokens a second
    async def two() -> None:
        first = await paced.acquire()
        paced.succeeded(first, tokens=20)
        await paced.acquire()

    asyncio.run(two())
    assert time.now == pytest.approx(2.0)


def test_a_429_pauses_every_request_for_its_wait() -> None:
    paced, time = pacer()
    ticket = asyncio.run(paced.acquire())
    paced.limited(ticket, wait_s=3.0, retry_after_s=3.0)
    assert starts(paced, time, 1) == [3.0]
    assert paced.rate_limited == 1


def test_the_first_429_sets_the_rate_from_retry_after_and_later_ones_cut_it() -> None:
    paced, _ = pacer()
    in_flight = [asyncio.run(paced.acquire()) for _ in range(3)]
    paced.limited(in_flight[0], wait_s=0.25, retry_after_s=0.25)
    assert paced.learned_per_s == pytest.approx(0.98 * 4.0)  # 2% under what was hinted
    paced.limited(in_flight[2], wait_s=0.25, retry_after_s=0.25)  # sent before the cut
    assert paced.learned_per_s == pytest.approx(0.98 * 4.0)
    later = asyncio.run(paced.acquire())
    paced.limited(later, wait_s=0.25, retry_after_s=0.25)
    assert paced.learned_per_s == pytest.approx(0.8 * 0.98 * 4.0)


def test_the_rate_climbs_fast_far_below_the_last_429_and_gently_near_it() -> None:
    paced, _ = pacer()
    paced.limited(asyncio.run(paced.acquire()), wait_s=0.25, retry_after_s=0.25)
    paced.limited(asyncio.run(paced.acquire()), wait_s=0.25, retry_after_s=0.25)
    refused_at = 0.98 * 4.0
    assert paced.learned_per_s == pytest.approx(0.8 * refused_at)
    # 0.8 -> 0.9 of where the 429 came, a thirtieth of a request a second per success: 12
    for _ in range(12):
        paced.succeeded(asyncio.run(paced.acquire()))
    climbed = paced.learned_per_s
    assert climbed == pytest.approx(0.8 * refused_at + 12 / 30)
    assert climbed >= 0.9 * refused_at
    paced.succeeded(asyncio.run(paced.acquire()))  # near it: a hundredth of the step
    assert paced.learned_per_s == pytest.approx(climbed + 1 / 3000)


def test_the_first_429_without_retry_after_uses_the_last_minutes_successes() -> None:
    paced, _ = pacer()
    for _ in range(30):
        paced.succeeded(asyncio.run(paced.acquire()))
    paced.limited(asyncio.run(paced.acquire()), wait_s=1.0, retry_after_s=None)
    assert paced.learned_per_s == pytest.approx(0.98 * 0.5)


def test_a_spent_header_budget_paces_at_the_refill_rate() -> None:
    paced, time = pacer()
    told = asyncio.run(paced.acquire())
    # 8 or 9 in use (remaining is rounded down), back in 4 s: 2 a second, kept 2% under.
    paced.observe(told, {"x-ratelimit-limit-requests": "11",
                         "x-ratelimit-remaining-requests": "2",
                         "x-ratelimit-reset-requests": "4s"})
    assert starts(paced, time, 4) == [0.0, 0.0, 0.0, pytest.approx(1 / (0.98 * 2.0))]


def test_a_spent_budget_without_a_limit_waits_for_the_reset() -> None:
    paced, time = pacer()
    told = asyncio.run(paced.acquire())
    paced.observe(told, {"x-ratelimit-remaining-requests": "0",
                         "x-ratelimit-reset-requests": "1m"})
    assert starts(paced, time, 1) == [60.0]


def test_an_older_answer_does_not_override_a_newer_one() -> None:
    paced, time = pacer()
    older, newer = asyncio.run(paced.acquire()), asyncio.run(paced.acquire())
    paced.observe(newer, {"x-ratelimit-remaining-requests": "5"})
    paced.observe(older, {"x-ratelimit-remaining-requests": "0",
                          "x-ratelimit-reset-requests": "9s"})
    assert starts(paced, time, 1) == [0.0]


def test_models_on_one_endpoint_share_its_pacer_and_the_lower_cap() -> None:
    url = "http://pacing.test/v1"
    first = endpoint_pacer(url, "KEY_A", requests_per_minute=600)
    second = endpoint_pacer(url + "/", "KEY_A", requests_per_minute=300)
    assert first is second
    assert first.requests_per_minute == 300
    assert endpoint_pacer(url, "KEY_B") is not first


def test_retry_after_falls_back_to_a_spent_budgets_reset() -> None:
    assert parse_retry_after({"x-ratelimit-remaining-requests": "0",
                              "x-ratelimit-reset-requests": "1.5s",
                              "x-ratelimit-remaining-tokens": "900",
                              "x-ratelimit-reset-tokens": "20s"}) == 1.5
    assert parse_retry_after({"x-ratelimit-remaining-requests": "3",
                              "x-ratelimit-reset-requests": "1.5s"}) is None


def completion() -> Completion:
    return Completion(text="ok", usage=Usage(7, 3), timing=Timing(started=0.0, finished=0.0))


def test_call_with_retries_paces_a_429_and_reports_headers_and_usage() -> None:
    paced, time = pacer(tokens_per_minute=6000)
    answers: list[ProviderError | None] = [
        ProviderError("rate_limited", "HTTP 429", retryable=True, retry_after_s=2.0), None]

    async def call() -> Completion:
        observe_response({"x-ratelimit-remaining-requests": "50"})
        failure = answers.pop(0)
        if failure is not None:
            raise failure
        return completion()

    result = asyncio.run(call_with_retries(call, RetryPolicy(pacer=paced), sleep=time.sleep))
    assert result.text == "ok"
    assert paced.rate_limited == 1
    assert time.sleeps == [2.0]  # the pacer's pause only: the retry loop did not sleep too
    ticket = asyncio.run(paced.acquire())
    assert ticket == Ticket(seq=3, tokens=10.0)


def test_a_429_is_an_error_only_when_the_retries_run_out() -> None:
    paced, time = pacer()

    async def refused() -> Completion:
        raise ProviderError("rate_limited", "HTTP 429", retryable=True, retry_after_s=0.5)

    policy = RetryPolicy(max_attempts=3, pacer=paced)
    with pytest.raises(ProviderError) as raised:
        asyncio.run(call_with_retries(refused, policy, sleep=time.sleep))
    assert (raised.value.kind, raised.value.attempts) == ("rate_limited", 3)
    assert paced.rate_limited == 3
