"""Trial cases through the runner: a multi-turn chat (tool call -> tool result -> answer), its
transcript stored beside its checks, a re-run answered from the store, too-long cases not run.

The provider is scripted: it must call the tool on the first turn and use the result on the
second, every time, which no real model does on demand. Real models run trials end to end in
the trial families' tests and in the demo."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from bakeoff.engine.runner import ModelSlot, Runner
from bakeoff.providers.base import StreamEvent, collect
from bakeoff.store import Store
from bakeoff.trials.base import Case, Check, Transcript, TrialInfo, case_rng
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    Timing,
    Tool,
    ToolCall,
    Usage,
)
from tests.helpers.fakes import EchoBenchmark

THERMOMETER = Tool.function("temperature", "Temperature in a city, in degrees C",
                            {"type": "object", "properties": {"city": {"type": "string"}},
                             "required": ["city"]})


class WeatherTrial:
    """Ask for a city's temperature; the tool's answer is computed from the seed."""

    info = TrialInfo("weather", "Function calling", "the answer holds the tool's number",
                     "one tool call, then the answer", full_count=4, quick_count=2)

    def cases(self, seed: int, count: int) -> list[Case]:
        cities = ["Oslo", "Lima", "Pune", "Graz", "Kobe"]
        cases = []
        for index in range(count):
            rng = case_rng(self.info.name, seed, index)
            city, degrees = rng.choice(cities), rng.randint(-10, 35)
            length = "100000" if index == 2 else "50"  # the third case is too long
            cases.append(Case(f"weather/{index}", (Message("user", f"Temperature in {city}?"),),
                              expected=json.dumps({"city": city, "degrees": degrees}),
                              tools=(THERMOMETER,), max_turns=2,
                              metadata=(("length", length),)))
        return cases

    def mode_for(self, abilities: Abilities) -> str:
        return "native tools"

    def opening(self, case: Case, abilities: Abilities) -> Case:
        return case

    def reply(self, case: Case, transcript: Transcript) -> tuple[Message, ...]:
        calls = transcript.final.tool_calls
        degrees = case.truth()["degrees"]
        return tuple(Message("tool", json.dumps({"degrees": degrees}), tool_call_id=c.id)
                     for c in calls)

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        said = str(case.truth()["degrees"]) in transcript.final.content
        return [Check.of(said, "the answer has the tool's number" if said
                         else "the answer does not use the tool's result")]


class ToolUser:
    """Calls the tool on a user turn; on a tool turn, repeats the tool's number."""

    kind = "tool-user"
    model_id = "tool-user"
    abilities = Abilities(tools=True, endpoint="chat")

    def __init__(self) -> None:
        self.calls = 0

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        self.calls += 1
        last = request.messages[-1]
        now = time.time()
        if last.role == "tool":
            text, calls = f"It is {json.loads(last.content)['degrees']} degrees.", ()
        else:
            city = last.content.removeprefix("Temperature in ").rstrip("?")
            text, calls = "", (ToolCall("call_0", "temperature", json.dumps({"city": city})),)
        yield Completion(text, Usage(5, 3), Timing(now, now, now), "stop", tool_calls=calls)

    async def generate(self, request: GenerationRequest) -> Completion:
        return await collect(self.stream(request))

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        return []

    async def aclose(self) -> None:
        pass


def run(store: Store, run_id: int, provider: ToolUser, cases: list[Case]) -> None:
    slot = ModelSlot("m", provider, "tool-user|1", concurrency=1, context_window=4096)
    trial = WeatherTrial()
    asyncio.run(Runner(store, run_id).run([slot], {}, {"weather": (trial, cases)}))


def test_a_trial_chat_is_checked_stored_and_replayed_from_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    cases = WeatherTrial().cases(seed=7, count=3)
    run_id = store.create_run("h", "s", {"models": [{"name": "m"}]}, {})
    provider = ToolUser()
    run(store, run_id, provider, cases)

    scores = {r.sample_id: (r.value, r.extracted, r.mode, len(r.completion_keys))
              for r in store.scores(run_id)}
    assert scores == {f"weather/{i}": (1.0, "the answer has the tool's number", "native tools", 2)
                      for i in range(2)}
    assert provider.calls == 4  # two turns for each case that fits
    [error] = store.errors(run_id)
    assert (error.sample_id, error.kind) == ("weather/2", "unsupported")
    assert "context window is 4096" in error.message

    transcript = store.transcript(run_id, "m", "weather", "weather/0")
    assert transcript is not None
    assert [m.role for m in transcript] == ["user", "assistant", "tool", "assistant"]
    assert transcript[1].tool_calls[0].name == "temperature"
    assert transcript[2].tool_call_id == "call_0"

    again = store.create_run("h2", "s", {"models": [{"name": "m"}]}, {})
    replay = ToolUser()
    run(store, again, replay, cases)
    assert replay.calls == 0  # every turn answered from the store
    assert len(store.scores(again)) == 2


def test_the_same_seed_gives_the_same_cases() -> None:
    trial = WeatherTrial()
    assert trial.cases(3, 4) == trial.cases(3, 4)
    assert trial.cases(3, 4)[:2] == trial.cases(3, 2)
    assert trial.cases(3, 4) != trial.cases(4, 4)


def test_benchmarks_and_trials_share_one_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "s", {"models": [{"name": "m"}]}, {})
    bench = EchoBenchmark(2)
    slot = ModelSlot("m", ToolUser(), "tool-user|1", concurrency=1)
    cases = WeatherTrial().cases(seed=1, count=1)
    asyncio.run(Runner(store, run_id).run([slot], {"echo": (bench, bench.samples)},
                                         {"weather": (WeatherTrial(), cases)}))
    assert {r.benchmark for r in store.scores(run_id)} == {"echo", "weather"}
