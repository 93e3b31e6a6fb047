"""The pairwise judge: a model compares two models' answers to the same prompt, in both orders.

For every judged trial of a run (TrialInfo.judged), every case and every pair of models with a
stored answer (the final assistant message of the case's transcript; an empty answer is judged
too, and should lose), the judge is asked twice: with model_a's answer as Answer A, then with
the answers swapped. Each order's verdict is mapped back to the models (first_order,
second_order: "a", "b" or "tie" for model_a / model_b) and the pair's outcome is a win only
when both orders agree; otherwise it is a tie, and the pair counts as flipped (position bias).

A judge call goes through the store's completion cache, keyed like every other call
(bakeoff.types.request_key over the judge's provider kind, identity and request), greedy: the
same answers never cost a second call, and judging a run again replaces its verdicts with the
same ones. An order without a verdict line leaves the pair out (counted as unparsable), and a
failed call of the judge model leaves it out too (counted as failed): neither is ever a tie.
When the judge is also a contestant its verdicts are stored like any other; the ratings name it
as self-judged (bakeoff.judging.ratings). Under `--max-cost` each call is admitted by the
run's spending cap first; once a call would pass it, the pairs not yet judged are left out
(counted as capped) and a rerun with a higher cap judges them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from bakeoff.engine.spending import SpendingCap, SpendingCapReached
from bakeoff.judging.prompt import format_request, judge_request, parse_verdict
from bakeoff.providers.base import Provider
from bakeoff.store import Store, VerdictRow
from bakeoff.trials.registry import TRIALS
from bakeoff.types import Completion, GenerationRequest, Message, ProviderError, request_key

SWAPPED = {"a": "b", "b": "a", "tie": "tie"}


@dataclass(frozen=True)
class JudgeModel:
    """The judge as the judging needs it: its name (as configured), provider and cache
    identity, and how many calls it may have in flight."""

    name: str
    provider: Provider
    identity: str
    concurrency: int = 1


@dataclass
class JudgeSummary:
    """What judging a run did. `failures` holds one line per distinct judge error."""

    judge: str
    trials: tuple[str, ...] = ()
    verdicts: int = 0
    flips: int = 0
    unparsable: int = 0
    failed: int = 0
    # Pairs left out because a call would have passed the spending cap (--max-cost).
    capped: int = 0
    calls: int = 0
    cache_hits: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Matchup:
    """One case, two models' answers, and the request they answered."""

    trial: str
    case_id: str
    model_a: str
    model_b: str
    request: str
    answer_a: str
    answer_b: str


def judged_trials(names: Iterable[str]) -> tuple[str, ...]:
    """The names among `names` of trials whose answers are judged."""
    return tuple(n for n in names if n in TRIALS and TRIALS[n].info.judged)


def matchups(store: Store, run_id: int, trials: Sequence[str]) -> list[Matchup]:
    """Every (case, model pair) of the run's judged trials where both models have an answer."""
    answered: dict[tuple[str, str], dict[str, tuple[Message, ...]]] = {}
    for row in store.scores(run_id):
        if row.benchmark in trials:
            messages = store.transcript(run_id, row.model, row.benchmark, row.sample_id)
            if messages and messages[-1].role == "assistant":
                answered.setdefault((row.benchmark, row.sample_id), {})[row.model] = messages
    found = []
    for (trial, case_id), by_model in sorted(answered.items()):
        for model_a, model_b in combinations(sorted(by_model), 2):
            turns = by_model[model_a][:-1]
            found.append(Matchup(trial, case_id, model_a, model_b, format_request(turns),
                                 by_model[model_a][-1].content, by_model[model_b][-1].content))
    return found


async def judge_run(store: Store, run_id: int, judge: JudgeModel, trials: Sequence[str],
                    budget: SpendingCap | None = None) -> JudgeSummary:
    """Judge every matchup of the run's `trials` in both orders and store the verdicts; with
    `budget`, no call starts that would pass the spending cap."""
    summary = JudgeSummary(judge=judge.name, trials=tuple(trials))
    # An in-process judge decodes `concurrency` requests together (parallel local decoding).
    limit = asyncio.Semaphore(max(judge.concurrency, 1))

    async def complete(request: GenerationRequest) -> tuple[Completion, str]:
        key = request_key(judge.provider.kind, judge.identity, request)
        cached = store.completion(key)
        if cached is not None:
            summary.cache_hits += 1
            return cached, key
        async with limit:
            reservation = budget.reserve(judge.name, [request]) if budget else 0.0
            try:
                completion = await judge.provider.generate(request)
            except ProviderError:
                if budget:
                    budget.release(reservation)
                raise
        if budget:
            budget.charge(judge.name, reservation, [completion])
        summary.calls += 1
        store.put_completion(key, judge.provider.kind, judge.identity, request, completion)
        return completion, key

    async def one(matchup: Matchup) -> None:
        try:
            first, first_key = await complete(
                judge_request(matchup.request, matchup.answer_a, matchup.answer_b))
            second, second_key = await complete(
                judge_request(matchup.request, matchup.answer_b, matchup.answer_a))
        except SpendingCapReached:
            summary.capped += 1
            return
        except ProviderError as error:
            summary.failed += 1
            line = f"{error.kind}: {error.message}"
            if line not in summary.failures:
                summary.failures.append(line)
            return
        first_order, swapped = parse_verdict(first.text), parse_verdict(second.text)
        if first_order is None or swapped is None:
            summary.unparsable += 1
            return
        second_order = SWAPPED[swapped]
        agreed = first_order == second_order
        store.put_verdict(VerdictRow(
            run_id, matchup.trial, matchup.case_id, matchup.model_a, matchup.model_b,
            judge=judge.name, outcome=first_order if agreed else "tie",
            first_order=first_order, second_order=second_order,
            completion_keys=(first_key, second_key)))
        summary.verdicts += 1
        summary.flips += not agreed

    await asyncio.gather(*(one(m) for m in matchups(store, run_id, trials)))
    return summary
