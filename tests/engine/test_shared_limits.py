"""EndpointLimits: places per model, booked starts under rate caps, a dead holder's places
freed; LimitedProvider around a provider. Plain asyncio, no Ray (the actor that hosts the
limits in a run is tested in test_ray_executor.py); the rate tests stop the clock."""

import asyncio

import pytest

from bakeoff.engine.shared_limits import Caps, EndpointLimits, LimitedProvider
from bakeoff.types import Completion, GenerationRequest, Message, Timing, Usage


def stopped_clock() -> float:
    return 100.0


def test_a_model_gets_its_places_and_no_more() -> None:
    async def main() -> tuple[bool, int]:
        limits = EndpointLimits(Caps({"m": 2}))
        await limits.acquire("m", "w1")
        await limits.acquire("m", "w2")
        third = asyncio.create_task(limits.acquire("m", "w1"))
        await asyncio.sleep(0.01)
        waiting = not third.done()
        await limits.release("m", "w2")
        await third
        return waiting, await limits.peak()

    assert asyncio.run(main()) == (True, 2)


def test_a_forgotten_holder_frees_its_places_and_takes_no_more() -> None:
    async def main() -> tuple[int, float]:
        limits = EndpointLimits(Caps({"m": 1}))
        await limits.acquire("m", "dead")
        waiting = asyncio.create_task(limits.acquire("m", "alive"))
        late = asyncio.create_task(limits.acquire("m", "dead"))
        await limits.forget("dead")
        await waiting
        assert await late == 0.0
        await limits.release("m", "alive")
        # The dead holder's late grant took no place: another holder gets one at once.
        return await limits.peak(), await limits.acquire("m", "other")

    assert asyncio.run(main()) == (1, 0.0)


def test_requests_per_minute_spaces_the_booked_starts() -> None:
    async def main() -> list[float]:
        limits = EndpointLimits(Caps({"m": 8}, requests_per_minute=600),
                                stopped_clock)
        return [await limits.acquire("m", "w") for _ in range(3)]

    # 600 a minute: starts 0.1 s apart.
    assert asyncio.run(main()) == pytest.approx([0.0, 0.1, 0.2])


def test_tokens_per_minute_books_the_mean_tokens_and_corrects_them() -> None:
    async def main() -> tuple[float, float]:
        limits = EndpointLimits(Caps({"m": 8}, tokens_per_minute=6000),
                                stopped_clock)
        await limits.acquire("m", "w")
        await limits.release("m", "w", tokens=100)
        return await limits.acquire("m", "w"), await limits.acquire("m", "w")

    # 100 tokens at 100 a second: the first call's, charged once known, then the mean (100)
    # the next call reserved.
    assert asyncio.run(main()) == pytest.approx((1.0, 2.0))


class _Counting:
    def __init__(self) -> None:
        self.acquired: list[int] = []
        self.released: list[int | None] = []

    async def acquire(self, requests: int) -> None:
        self.acquired.append(requests)

    def release(self, tokens: int | None) -> None:
        self.released.append(tokens)


class _Answering:
    kind = "fake"
    model_id = "m"

    def __init__(self) -> None:
        from bakeoff.types import Abilities

        self.abilities = Abilities()

    async def generate(self, request: GenerationRequest) -> Completion:
        return Completion(text="hi", usage=Usage(7, 3), timing=Timing(started=0, finished=1))

    async def loglikelihood(self, requests: object) -> list[float]:
        raise RuntimeError("the server went away")


def test_the_wrapper_takes_a_permit_around_every_call_and_gives_it_back() -> None:
    permits = _Counting()
    provider = LimitedProvider(_Answering(), permits)  # type: ignore[arg-type]
    request = GenerationRequest(messages=(Message("user", "hi"),))
    assert asyncio.run(provider.generate(request)).text == "hi"
    with pytest.raises(RuntimeError):
        asyncio.run(provider.loglikelihood([]))
    assert permits.acquired == [1, 0]
    assert permits.released == [10, None]  # a failed call gives its place back too
