"""Majority voting over sampled answers: maj@k, computed exactly from n >= k samples.

Each of the n samples gives one answer, or None when nothing could be read out of it
(unparseable). Answers are grouped by an equivalence test (string equality after
normalisation for GSM8K, math-verify for MATH); `group_labels` gives each sample its group.

maj@k is the EXPECTED accuracy of a majority vote over k samples drawn without replacement
from the n, i.e. the mean over all C(n, k) k-subsets. With n == k it is the vote over all
samples; with k == 1 it is the fraction of correct samples.

In one k-subset:
- unparseable samples do not vote; a subset with no parseable answer scores 0;
- the group with the most votes wins; a TIE between several top groups scores the fraction
  of the tied groups that are correct (the expected score of breaking the tie uniformly at
  random), so the result does not depend on the order the samples came in.

The expectation is exact (rational arithmetic): only the number of votes each group gets
matters, so subsets are counted by a dynamic programme over groups instead of enumerated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb
from typing import Generic, TypeVar

Answer = TypeVar("Answer")


def group_labels(answers: Sequence[Answer | None],
                 equivalent: Callable[[Answer, Answer], bool]) -> list[int | None]:
    """A group number per answer (None for unparseable), in order of first appearance.

    An answer joins the first earlier group whose first member is equivalent to it.
    """
    representatives: list[Answer] = []
    labels: list[int | None] = []
    for answer in answers:
        if answer is None:
            labels.append(None)
            continue
        label = next((index for index, representative in enumerate(representatives)
                      if equivalent(representative, answer)), None)
        if label is None:
            representatives.append(answer)
            label = len(representatives) - 1
        labels.append(label)
    return labels


def first_answers(labels: Sequence[int | None],
                  answers: Sequence[Answer | None]) -> dict[int, Answer]:
    """Each group's first answer (the one its later members were compared with)."""
    firsts: dict[int, Answer] = {}
    for label, answer in zip(labels, answers, strict=True):
        if label is not None and answer is not None:
            firsts.setdefault(label, answer)
    return firsts


def vote_winners(labels: Sequence[int | None]) -> list[int]:
    """The group(s) with the most votes among all samples, earliest-appearing first."""
    counts = Counter(label for label in labels if label is not None)
    if not counts:
        return []
    top = max(counts.values())
    return [label for label in counts if counts[label] == top]


def expected_majority_accuracy(labels: Sequence[int | None], correct_groups: set[int],
                               k: int) -> float:
    """maj@k: mean majority-vote score over every k-subset of the samples (see module doc)."""
    n = len(labels)
    if not 1 <= k <= n:
        raise ValueError(f"maj@k needs 1 <= k <= n, got k={k}, n={n}")
    group_sizes = Counter(label for label in labels if label is not None)
    groups = [(size, label in correct_groups) for label, size in sorted(group_sizes.items())]
    unparseable = n - sum(group_sizes.values())
    total = sum((_score_with_top_count(groups, unparseable, k, top) for top in range(1, k + 1)),
                Fraction(0))
    return float(total / comb(n, k))


@dataclass(frozen=True)
class MajorityVote(Generic[Answer]):
    winner: Answer | None  # the vote over all samples (earliest of tied groups); None: none parsed
    accuracies: list[float]  # maj@k for each k asked for, in order


def majority_vote(answers: Sequence[Answer | None], equivalent: Callable[[Answer, Answer], bool],
                  is_correct: Callable[[Answer], bool], ks: Sequence[int]) -> MajorityVote[Answer]:
    """Group the sampled answers, vote, and score maj@k for each k (see module doc)."""
    labels = group_labels(answers, equivalent)
    representatives = first_answers(labels, answers)
    correct = {label for label, answer in representatives.items() if is_correct(answer)}
    winners = vote_winners(labels)
    winner = representatives[winners[0]] if winners else None
    return MajorityVote(winner, [expected_majority_accuracy(labels, correct, k) for k in ks])


# (samples taken from parseable groups, groups tied at the top count, correct ones among them)
_State = tuple[int, int, int]


def _score_with_top_count(groups: Sequence[tuple[int, bool]], unparseable: int, k: int,
                          top: int) -> Fraction:
    """Summed score of the k-subsets whose winning group(s) got exactly `top` votes.

    A dynamic programme over the groups: each takes 0..top of its samples; the number of
    subsets reaching a state is a product of binomials. The rest of the k comes from the
    unparseable samples.
    """
    ways: dict[_State, int] = {(0, 0, 0): 1}
    for size, is_correct in groups:
        grown: dict[_State, int] = {}
        for (taken, tied, tied_correct), count in ways.items():
            for votes in range(min(size, top, k - taken) + 1):
                at_top = votes == top
                state = (taken + votes, tied + at_top, tied_correct + (at_top and is_correct))
                grown[state] = grown.get(state, 0) + count * comb(size, votes)
        ways = grown
    return sum((count * comb(unparseable, k - taken) * Fraction(tied_correct, tied)
                for (taken, tied, tied_correct), count in ways.items() if tied > 0),
               Fraction(0))
