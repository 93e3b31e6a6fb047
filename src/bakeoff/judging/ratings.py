"""Ratings from pairwise verdicts: one table per judge model, one for people's votes, and how
often a judge agrees with the people.

Each stored verdict is one game for the Bradley–Terry fit (bakeoff.judging.bradley_terry):
outcome "a" is a win for model_a, "b" a win for model_b, "tie" half a win to each. A person's
"both_bad" vote counts as a tie in the fit (neither answer was preferred). Judge verdicts and
human votes are never pooled: each source gets its own table.

Every table has a raw fit and a length-controlled one: the covariate is the normalised
difference in characters of the two final answers, (len_a - len_b) / (len_a + len_b), read
from the stored transcripts; the length-controlled fit is left out (None) when a transcript is
missing. Intervals come from a bootstrap over cases (prompts).

A judge's position bias is the share of its pairs whose verdict flipped when the answers
swapped places (the pair then counts as a tie). Agreement compares, per (run, case, model pair),
the people's majority outcome (both_bad read as tie; no single majority is a tie) with the
judge's outcome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bakeoff.judging.bradley_terry import ROUNDS, Fit, Game, fit, length_difference
from bakeoff.store import HUMAN, Store, VerdictRow

SCORE_OF_OUTCOME = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}


@dataclass(frozen=True)
class Rating:
    model: str
    rating: float  # Bradley–Terry, base 10, scale 400, anchored so the models' mean is 1000
    low: float  # 95% bootstrap percentile interval (resampling prompts/cases)
    high: float


@dataclass(frozen=True)
class RatingTable:
    source: str  # the judge model's name, or HUMAN
    raw: tuple[Rating, ...]  # best first
    length_controlled: tuple[Rating, ...] | None  # answer length as a covariate
    length_coefficient: float | None  # fitted effect of the length difference
    pairs: int  # verdicts used (case × model pair; votes for human)
    flips: int  # judge: pairs whose verdict flipped with the order
    position_bias: float | None  # flips / pairs for a judge; None for human votes
    self_judged: tuple[str, ...]  # contestants that are the judge model itself
    voters: int  # distinct voters (human); 0 for a judge


@dataclass(frozen=True)
class Agreement:
    judge: str
    pairs: int  # (case, model pair) with both a judge verdict and >= 1 human vote
    agreeing: int  # human majority outcome == judge outcome

    @property
    def rate(self) -> float:
        return self.agreeing / self.pairs


@dataclass(frozen=True)
class Ratings:
    judges: tuple[RatingTable, ...]
    human: RatingTable | None
    agreement: tuple[Agreement, ...]


def ratings_for(store: Store, run_ids: Sequence[int], *, rounds: int = ROUNDS,
                seed: int = 0) -> Ratings | None:
    """Every source's ratings over the runs' verdicts; None when the runs hold no verdicts."""
    verdicts = store.verdicts(list(run_ids))
    if not verdicts:
        return None
    lengths = AnswerLengths(store)
    human_votes = [v for v in verdicts if v.judge == HUMAN]
    judge_names = sorted({v.judge for v in verdicts} - {HUMAN})
    judges = tuple(rating_table(name, [v for v in verdicts if v.judge == name], lengths,
                                rounds=rounds, seed=seed) for name in judge_names)
    human = (rating_table(HUMAN, human_votes, lengths, rounds=rounds, seed=seed)
             if human_votes else None)
    agreements = (agreement(name, [v for v in verdicts if v.judge == name], human_votes)
                  for name in judge_names)
    return Ratings(judges=judges, human=human,
                   agreement=tuple(a for a in agreements if a.pairs))


class AnswerLengths:
    """Characters of each model's final answer to a case, read once from its transcript."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._known: dict[tuple[int, str, str, str], int | None] = {}

    def __call__(self, run_id: int, trial: str, case_id: str, model: str) -> int | None:
        key = (run_id, trial, case_id, model)
        if key not in self._known:
            messages = self._store.transcript(run_id, model, trial, case_id)
            answers = [m.content for m in messages or () if m.role == "assistant"]
            self._known[key] = len(answers[-1]) if answers else None
        return self._known[key]


def rating_table(source: str, verdicts: Sequence[VerdictRow], lengths: AnswerLengths, *,
                 rounds: int = ROUNDS, seed: int = 0) -> RatingTable:
    """The raw and length-controlled fits of one source's verdicts, with its bias figures."""
    games = [Game((v.trial, v.case_id), v.model_a, v.model_b, SCORE_OF_OUTCOME[v.outcome])
             for v in verdicts]
    raw = fit(games, rounds=rounds, seed=seed)
    timed = _with_lengths(games, verdicts, lengths)
    controlled = (fit(timed, length_controlled=True, rounds=rounds, seed=seed)
                  if timed is not None else None)
    is_judge = source != HUMAN
    flips = sum(1 for v in verdicts if v.first_order is not None
                and v.second_order is not None and v.first_order != v.second_order)
    contestants = {v.model_a for v in verdicts} | {v.model_b for v in verdicts}
    return RatingTable(
        source=source, raw=_ranked(raw),
        length_controlled=_ranked(controlled) if controlled is not None else None,
        length_coefficient=controlled.length_coefficient if controlled is not None else None,
        pairs=len(verdicts), flips=flips if is_judge else 0,
        position_bias=flips / len(verdicts) if is_judge else None,
        self_judged=(source,) if is_judge and source in contestants else (),
        voters=0 if is_judge else len({v.voter for v in verdicts}))


def _with_lengths(games: Sequence[Game], verdicts: Sequence[VerdictRow],
                  lengths: AnswerLengths) -> list[Game] | None:
    """The games with their length difference; None when an answer's transcript is missing."""
    timed = []
    for game, v in zip(games, verdicts, strict=True):
        length_a = lengths(v.run_id, v.trial, v.case_id, v.model_a)
        length_b = lengths(v.run_id, v.trial, v.case_id, v.model_b)
        if length_a is None or length_b is None:
            return None
        timed.append(Game(game.cluster, game.model_a, game.model_b, game.score,
                          length_difference(length_a, length_b)))
    return timed


def _ranked(result: Fit) -> tuple[Rating, ...]:
    ratings = [Rating(model, rating, *result.intervals[model])
               for model, rating in result.ratings.items()]
    return tuple(sorted(ratings, key=lambda r: (-r.rating, r.model)))


def agreement(judge: str, verdicts: Sequence[VerdictRow],
              votes: Sequence[VerdictRow]) -> Agreement:
    """How often the judge's outcome is the people's majority outcome, over the pairs both
    rated."""
    by_pair: dict[tuple[int, str, str, str, str], Counter[str]] = {}
    for vote in votes:
        by_pair.setdefault(_pair(vote), Counter())[_as_judged(vote.outcome)] += 1
    rated = [(v, by_pair[_pair(v)]) for v in verdicts if _pair(v) in by_pair]
    agreeing = sum(1 for v, counts in rated if _majority(counts) == _as_judged(v.outcome))
    return Agreement(judge=judge, pairs=len(rated), agreeing=agreeing)


def _pair(verdict: VerdictRow) -> tuple[int, str, str, str, str]:
    return (verdict.run_id, verdict.trial, verdict.case_id, verdict.model_a, verdict.model_b)


def _as_judged(outcome: str) -> str:
    """A judge says a, b or tie: "both bad" is a tie."""
    return "tie" if outcome == "both_bad" else outcome


def _majority(counts: Counter[str]) -> str:
    """The most frequent outcome; "tie" when two outcomes share the top count."""
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "tie"
    return ranked[0][0]
