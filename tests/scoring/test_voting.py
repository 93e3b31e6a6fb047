"""maj@k: exact expectation over k-subsets, checked against brute-force enumeration."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations

import pytest

from bakeoff.scoring.voting import (
    expected_majority_accuracy,
    first_answers,
    group_labels,
    vote_winners,
)


def brute_force(labels: Sequence[int | None], correct: set[int], k: int) -> float:
    """Enumerate every k-subset; ties score the fraction of tied groups that are correct."""
    total = Fraction(0)
    subsets = list(combinations(range(len(labels)), k))
    for subset in subsets:
        counts = Counter(labels[i] for i in subset if labels[i] is not None)
        if not counts:
            continue
        top = max(counts.values())
        tied = [label for label, count in counts.items() if count == top]
        total += Fraction(sum(label in correct for label in tied), len(tied))
    return float(total / len(subsets))


def test_k_equal_one_is_the_fraction_of_correct_samples() -> None:
    labels = [0, 1, 0, None, 2]
    assert expected_majority_accuracy(labels, {0}, 1) == pytest.approx(2 / 5)


def test_n_equal_k_is_the_plain_vote() -> None:
    assert expected_majority_accuracy([0, 1, 0, 2], {0}, 4) == 1.0
    assert expected_majority_accuracy([0, 1, 1, 2], {0}, 4) == 0.0


def test_a_tie_scores_the_fraction_of_tied_groups_that_are_correct() -> None:
    assert expected_majority_accuracy([0, 1], {0}, 2) == 0.5
    assert expected_majority_accuracy([0, 1, 2, 2, 1, 0], {1}, 6) == pytest.approx(1 / 3)
    # Order does not matter: the same answers in any order score the same.
    assert expected_majority_accuracy([1, 0], {0}, 2) == 0.5


def test_unparseable_answers_do_not_vote() -> None:
    assert expected_majority_accuracy([None, None, 0], {0}, 3) == 1.0
    assert expected_majority_accuracy([None, None, None], {0}, 2) == 0.0
    assert expected_majority_accuracy([None, None, None], set(), 3) == 0.0


def test_n_greater_than_k_matches_brute_force_on_a_hand_case() -> None:
    # Subsets of 2 from [0, 0, 1]: {0,0} right, {0,1} tie (0.5) twice -> (1 + 0.5 + 0.5) / 3.
    assert expected_majority_accuracy([0, 0, 1], {0}, 2) == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_on_random_cases(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 9)
    k = rng.randint(1, n)
    labels: list[int | None] = [rng.choice([None, 0, 1, 2, 3]) for _ in range(n)]
    correct = {label for label in range(4) if rng.random() < 0.4}
    assert expected_majority_accuracy(labels, correct, k) == pytest.approx(
        brute_force(labels, correct, k), abs=1e-12)


def test_k_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="1 <= k <= n"):
        expected_majority_accuracy([0, 1], {0}, 3)
    with pytest.raises(ValueError, match="1 <= k <= n"):
        expected_majority_accuracy([0], {0}, 0)


def test_large_n_stays_cheap() -> None:
    labels: list[int | None] = list(range(64))  # 64 distinct answers, no agreement at all
    assert expected_majority_accuracy(labels, {0}, 8) == pytest.approx(1 / 64)


def test_group_labels_use_the_equivalence_and_first_appearance() -> None:
    answers = ["0.5", None, "1/2", "3", "0.50"]
    def same(first: str, second: str) -> bool:
        return Fraction(first) == Fraction(second)

    assert group_labels(answers, same) == [0, None, 0, 1, 0]
    assert group_labels([None, None], same) == [None, None]


def test_vote_winners_lists_ties_in_order_of_appearance() -> None:
    assert vote_winners([1, 0, 0, 1, None]) == [1, 0]
    assert vote_winners([2, 0, 2]) == [2]
    assert vote_winners([None]) == []


def test_first_answers_keeps_each_groups_first_member() -> None:
    assert first_answers([0, None, 0, 1], ["$5", None, "5", "6"]) == {0: "$5", 1: "6"}
