"""The arena's logic: which pair of stored answers a voter sees next, and how a vote is stored.

A contest is one case of a judged trial (TrialInfo.judged) that two models answered in the
same run. A matchup is a contest shown in one order: the model on the left is "A". The page
gets an opaque random token for the matchup (OpenMatchups), never the models' names, so
nothing in the HTML tells who wrote which answer until the vote is in. The vote is stored in
canonical order (model_a < model_b) with the model that was on the left as `first_order`.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from itertools import combinations

from bakeoff.store import HUMAN, Store, VerdictRow
from bakeoff.trials.registry import TRIALS

# The buttons of a vote page and what each means.
CHOICES = {"A": "A is better", "B": "B is better", "tie": "Tie", "both_bad": "Both bad"}
MAX_NAME = 60


@dataclass(frozen=True)
class Contest:
    """Two models' answers to one case; `model_a` sorts before `model_b`."""

    run_id: int
    trial: str
    case_id: str
    model_a: str
    model_b: str


@dataclass(frozen=True)
class Matchup:
    contest: Contest
    left: str  # the model shown as "A"
    completion_keys: tuple[str, ...]

    @property
    def right(self) -> str:
        c = self.contest
        return c.model_b if self.left == c.model_a else c.model_a


class OpenMatchups:
    """Matchups handed to vote pages, by token; a vote takes its token back (once)."""

    limit = 10_000  # the oldest open matchups are forgotten past this

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Matchup] = {}

    def open(self, matchup: Matchup) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            if len(self._open) >= self.limit:
                del self._open[next(iter(self._open))]
            self._open[token] = matchup
        return token

    def take(self, token: str) -> Matchup | None:
        with self._lock:
            return self._open.pop(token, None)


def judged_trials() -> set[str]:
    """The trials whose quality comes from pairwise verdicts."""
    return {name for name, trial in TRIALS.items() if trial.info.judged}


# The contests, and each answer's completion keys by (run, trial, case, model).
Contests = tuple[list[Contest], dict[tuple[int, str, str, str], tuple[str, ...]]]


def contests(store: Store, run_ids: Sequence[int]) -> Contests:
    """Every contest of the runs, and each answer's completion keys by (run, trial, case,
    model)."""
    judged = judged_trials()
    keys: dict[tuple[int, str, str, str], tuple[str, ...]] = {}
    models: dict[tuple[int, str, str], set[str]] = defaultdict(set)
    for run_id in run_ids:
        for row in store.scores(run_id):
            if row.benchmark in judged:
                models[(run_id, row.benchmark, row.sample_id)].add(row.model)
                keys[(run_id, row.benchmark, row.sample_id, row.model)] = row.completion_keys
    found = [Contest(run_id, trial, case_id, a, b)
             for (run_id, trial, case_id), names in sorted(models.items())
             for a, b in combinations(sorted(names), 2)]
    return found, keys


class ContestCache:
    """The contests of finished runs, read once: a run's scores can be many rows (a large
    benchmark beside the judged trial), and a finished run's answers no longer change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[int, ...], Contests] = {}

    def get(self, store: Store, run_ids: Sequence[int]) -> Contests:
        key = tuple(run_ids)
        with self._lock:
            if key in self._found:
                return self._found[key]
        found = contests(store, run_ids)
        finished = all((run := store.run(r)) is not None and run.status == "finished"
                       for r in run_ids)
        if finished:
            with self._lock:
                self._found[key] = found
        return found


def next_matchup(store: Store, run_ids: Sequence[int], voter: str, rng: random.Random,
                 cache: ContestCache | None = None) -> Matchup | None:
    """A contest this voter has not voted on if any is left (else any), in a random order."""
    found, keys = (cache or ContestCache()).get(store, run_ids)
    voted = {(v.run_id, v.trial, v.case_id, v.model_a, v.model_b)
             for v in store.verdicts(list(run_ids), judge=HUMAN) if v.voter == voter}
    pool = [c for c in found if astuple(c) not in voted] or found
    if not pool:
        return None
    contest = rng.choice(pool)
    left = rng.choice((contest.model_a, contest.model_b))
    answer_keys = (keys[(contest.run_id, contest.trial, contest.case_id, contest.model_a)]
                   + keys[(contest.run_id, contest.trial, contest.case_id, contest.model_b)])
    return Matchup(contest, left, answer_keys)


def outcome_of(matchup: Matchup, choice: str) -> str:
    """The choice on the page ("A", "B", "tie", "both_bad") in canonical a/b terms."""
    if choice in ("tie", "both_bad"):
        return choice
    winner = matchup.left if choice == "A" else matchup.right
    return "a" if winner == matchup.contest.model_a else "b"


def record_vote(store: Store, matchup: Matchup, choice: str, voter: str) -> VerdictRow:
    c = matchup.contest
    row = VerdictRow(run_id=c.run_id, trial=c.trial, case_id=c.case_id, model_a=c.model_a,
                     model_b=c.model_b, judge=HUMAN, outcome=outcome_of(matchup, choice),
                     voter=voter, first_order=matchup.left,
                     completion_keys=matchup.completion_keys, created_at=time.time())
    store.put_verdict(row)
    return row


def clean_name(typed: str) -> str | None:
    """A voter's name as typed, trimmed; None when empty, too long or holding control
    characters."""
    name = " ".join(typed.split())
    if not name or len(name) > MAX_NAME or any(not ch.isprintable() for ch in name):
        return None
    return name
