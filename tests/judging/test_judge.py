"""The judge end to end on a real store: both orders, agreement or a tie, the completion cache,
a judge with a position bias, a failing judge, an unparsable one, the self-judged label.

The judges here are fakes: each stands for a behaviour a real small model shows only by chance
(always the first answer, no verdict line, a failing endpoint)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bakeoff.judging.judge import JudgeModel, JudgeSummary, judge_run, judged_trials, matchups
from bakeoff.judging.ratings import ratings_for
from bakeoff.providers.base import StreamEvent
from bakeoff.store import Store
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    ProviderError,
    Score,
    Timing,
    Usage,
)

TRIAL = "open_ended"
ANSWERS = {"m1": "A good, clear answer.", "m2": "meh", "m3": "meh too"}


class FakeJudge:
    """Answers every judge request with `verdict(answer_a, answer_b)`, or raises it."""

    kind = "fake"
    model_id = "fake-judge"
    abilities = Abilities(loglikelihood=False, endpoint="chat")

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.calls = 0

    async def generate(self, request: GenerationRequest) -> Completion:
        self.calls += 1
        text = request.messages[-1].content
        answer_a, answer_b = re.findall(r"\[Answer [AB]\]\n(.*?)\n\[End of Answer", text, re.S)
        now = time.time()
        return Completion(self.verdict(answer_a, answer_b), Usage(100, 10), Timing(now, now, now))

    def verdict(self, answer_a: str, answer_b: str) -> str:
        if self.behaviour == "fails":
            raise ProviderError("server_error", "HTTP 503 after retries", attempts=5)
        if self.behaviour == "always A":
            return "Answer A comes first.\nVerdict: A"
        if self.behaviour == "mumbles":
            return "Both answers have merits."
        good_a, good_b = "good" in answer_a, "good" in answer_b
        winner = "A" if good_a and not good_b else "B" if good_b and not good_a else "tie"
        return f"One answer is clearer.\n**Verdict:** {winner}"

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        yield await self.generate(request)

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        raise ProviderError("unsupported", "no logprobs")

    async def aclose(self) -> None:
        pass


def answered_run(tmp_path: Path, cases: int = 3) -> tuple[Store, int]:
    """A run where m1, m2 and m3 answered `cases` open-ended prompts; m3 failed the last."""
    store = Store(tmp_path / "s.sqlite")
    run = store.create_run("hash", "quick", {}, {})
    for index in range(cases):
        for model, text in ANSWERS.items():
            if model == "m3" and index == cases - 1:
                continue  # an error record: no transcript, no matchup
            store.put_trial_result(
                run, model, TRIAL, "chat", [Score(f"c{index}", "answered", 1.0, "answered")],
                [], [Message("system", "Be brief."), Message("user", f"question {index}"),
                     Message("assistant", text)])
    return store, run


def judge(store: Store, run: int, provider: FakeJudge, name: str = "judge") -> JudgeSummary:
    model = JudgeModel(name, provider, identity="fake-judge-v1", concurrency=4)
    return asyncio.run(judge_run(store, run, model, [TRIAL]))


def test_every_pair_with_answers_is_a_matchup_of_the_judged_trials(tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    found = matchups(store, run, [TRIAL])
    assert len(found) == 3 + 3 + 1
    first = found[0]
    assert (first.case_id, first.model_a, first.model_b) == ("c0", "m1", "m2")
    assert first.request == ("(Instructions the assistants were given: Be brief.)\n\n"
                             "question 0")
    assert (first.answer_a, first.answer_b) == (ANSWERS["m1"], ANSWERS["m2"])
    assert judged_trials(["mmlu", "open_ended", "abstention"]) == ("open_ended",)


def test_a_judge_that_prefers_one_answer_gives_wins_in_both_orders(tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    provider = FakeJudge("prefers good")
    summary = judge(store, run, provider)
    assert (summary.verdicts, summary.flips, summary.unparsable, summary.failed) == (7, 0, 0, 0)
    assert summary.calls == provider.calls == 14 and summary.cache_hits == 0
    verdicts = {(v.case_id, v.model_a, v.model_b): v for v in store.verdicts([run])}
    won = verdicts[("c0", "m1", "m2")]
    assert (won.outcome, won.first_order, won.second_order) == ("a", "a", "a")
    assert len(won.completion_keys) == 2
    assert all(store.completion(key) is not None for key in won.completion_keys)
    assert verdicts[("c0", "m2", "m3")].outcome == "tie"
    ratings = ratings_for(store, [run], rounds=50)
    assert ratings is not None
    [table] = ratings.judges
    assert table.raw[0].model == "m1" and table.position_bias == 0.0
    assert table.self_judged == ()


def test_judging_again_is_answered_from_the_cache_and_replaces_the_verdicts(
        tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    judge(store, run, FakeJudge("prefers good"))
    before = [(v.case_id, v.model_a, v.model_b, v.outcome) for v in store.verdicts([run])]
    provider = FakeJudge("prefers good")
    again = judge(store, run, provider)
    assert provider.calls == 0 and (again.calls, again.cache_hits) == (0, 14)
    after = [(v.case_id, v.model_a, v.model_b, v.outcome) for v in store.verdicts([run])]
    assert sorted(after) == sorted(before) and len(after) == 7


def test_a_judge_that_always_picks_the_first_answer_flips_every_pair(tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    summary = judge(store, run, FakeJudge("always A"))
    assert (summary.verdicts, summary.flips) == (7, 7)
    verdicts = store.verdicts([run])
    assert {(v.outcome, v.first_order, v.second_order) for v in verdicts} == {("tie", "a", "b")}
    ratings = ratings_for(store, [run], rounds=50)
    assert ratings is not None
    table = ratings.judges[0]
    assert table.position_bias == 1.0 and table.flips == 7
    assert [r.rating for r in table.raw] == pytest.approx([1000.0] * 3)


def test_a_failing_judge_counts_failures_and_stores_no_verdict(tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    summary = judge(store, run, FakeJudge("fails"))
    assert (summary.verdicts, summary.failed) == (0, 7)
    assert summary.failures == ["server_error: HTTP 503 after retries"]
    assert store.verdicts([run]) == []


def test_an_answer_without_a_verdict_line_is_unparsable_not_a_tie(tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    summary = judge(store, run, FakeJudge("mumbles"))
    assert (summary.verdicts, summary.unparsable) == (0, 7)
    assert store.verdicts([run]) == []


def test_a_judge_among_the_contestants_is_named_self_judged(tmp_path: Path) -> None:
    store, run = answered_run(tmp_path)
    judge(store, run, FakeJudge("prefers good"), name="m2")
    ratings = ratings_for(store, [run], rounds=20)
    assert ratings is not None and ratings.judges[0].self_judged == ("m2",)
