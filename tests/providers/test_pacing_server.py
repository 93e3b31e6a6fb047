"""Pacing against a real loopback server that enforces its limit with 429 + Retry-After.

A 1,200 requests-per-minute limit with a burst of 4 stands in for a minute-scale one: the
counts (every request answered, few 429s) are what is asserted, never the seconds taken.
Both the server's budget and the pacer run on the real clock, so how many 429s a run meets
depends on scheduling: these cases run with `make test-all` (marked slow), and the pacing
logic itself is checked on a virtual clock in test_pacing.py.
"""

from __future__ import annotations

import asyncio

import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.openai_kind import OpenAIModelConfig
from bakeoff.providers.pacing import Pacer, endpoint_pacer
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import Completion, GenerationConfig, GenerationRequest, Message
from tests.helpers.rate_limited_server import RateLimitedServer

pytestmark = pytest.mark.slow

REQUEST = GenerationRequest(messages=(Message("user", "Capital of France?"),),
                            config=GenerationConfig(max_tokens=8))
REQUESTS = 40
CONCURRENCY = 8


async def send_all(server: RateLimitedServer, pacer: Pacer | None) -> list[Completion]:
    """REQUESTS requests, CONCURRENCY at a time, as the runner sends them."""
    provider = OpenAICompatProvider("m", base_url=server.base_url,
                                    retry=RetryPolicy(max_attempts=8, pacer=pacer))
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> Completion:
        async with gate:
            return await provider.generate(REQUEST)

    try:
        return list(await asyncio.gather(*(one() for _ in range(REQUESTS))))
    finally:
        await provider.aclose()


def run(server: RateLimitedServer, pacer: Pacer | None) -> list[Completion]:
    async def main() -> list[Completion]:
        await server.start()
        try:
            return await send_all(server, pacer)
        finally:
            await server.stop()

    return asyncio.run(main())


def test_a_learned_rate_gets_every_request_through_with_few_429s() -> None:
    server = RateLimitedServer(rpm=1200, burst=4)
    pacer = Pacer()
    answers = run(server, pacer)
    assert [answer.text for answer in answers] == ["Paris"] * REQUESTS
    assert server.answered == REQUESTS
    assert pacer.rate_limited == server.refused
    # Unpaced, every request beyond the burst would meet a 429, most of them several.
    assert server.refused <= 12
    assert pacer.learned_per_s is not None


def test_the_servers_headers_keep_429s_rare() -> None:
    server = RateLimitedServer(rpm=1200, burst=4, headers=True)
    pacer = Pacer()
    run(server, pacer)
    assert server.answered == REQUESTS
    assert server.refused <= 6
    assert pacer.learned_per_s is None  # the server said its limit: nothing to learn


def test_a_configured_cap_holds_from_the_first_request() -> None:
    server = RateLimitedServer(rpm=1200, burst=2)
    pacer = Pacer(requests_per_minute=1000)
    run(server, pacer)
    assert server.answered == REQUESTS
    assert server.refused <= 2  # only if the machine stalls the client past the burst


def test_a_model_built_from_its_config_is_paced_by_its_endpoints_pacer() -> None:
    server = RateLimitedServer(rpm=600, burst=1)

    async def main() -> list[Completion]:
        await server.start()
        config = OpenAIModelConfig(name="m", provider="openai", base_url=server.base_url,
                                   requests_per_minute=1000)
        provider = config.build()
        try:
            return [await provider.generate(REQUEST) for _ in range(3)]
        finally:
            await provider.aclose()
            await server.stop()

    assert [answer.text for answer in asyncio.run(main())] == ["Paris"] * 3
    assert server.answered == 3
    shared = endpoint_pacer(server.base_url, None)
    assert shared.requests_per_minute == 1000
    assert shared.rate_limited == server.refused
