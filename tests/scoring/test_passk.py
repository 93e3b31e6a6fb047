from __future__ import annotations

from math import comb

import pytest

from bakeoff.scoring.passk import pass_at_k


def by_combinations(n: int, c: int, k: int) -> float:
    return 1.0 - comb(n - c, k) / comb(n, k)


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (10, 0, 1, 0.0),     # nothing passes
    (10, 0, 10, 0.0),
    (10, 10, 1, 1.0),    # everything passes
    (10, 10, 10, 1.0),
    (10, 3, 1, 0.3),     # pass@1 is the fraction that passes
    (10, 1, 10, 1.0),    # k = n: one passing sample is enough
    (10, 8, 5, 1.0),     # n - c = 2 < k: every 5-subset holds a pass
    (1, 1, 1, 1.0),
    (1, 0, 1, 0.0),
    (5, 2, 2, 0.7),      # 1 - C(3,2)/C(5,2) = 1 - 3/10
])
def test_hand_made_cases(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)
    assert pass_at_k(n, c, k) == pytest.approx(by_combinations(n, c, k), abs=1e-12)


def test_agrees_with_the_combinations_formula_everywhere_small() -> None:
    for n in range(1, 25):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(by_combinations(n, c, k), abs=1e-9)


def test_n_minus_c_below_k_is_exactly_one() -> None:
    assert pass_at_k(200, 199, 2) == 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(5, 2, 6), (5, 2, 0), (5, 6, 1), (5, -1, 1)])
def test_impossible_arguments_are_errors(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)
