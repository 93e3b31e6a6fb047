"""Bradley–Terry on constructed games with known answers: symmetry, a 75% win rate, ties as half
wins, three simulated strengths, a preference that is only length, and the bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bakeoff.judging.bradley_terry import Game, fit, length_difference

GAP_AT_75_PERCENT = 400 * math.log10(3)  # 190.85


def games(wins_a: int, wins_b: int, ties: int = 0) -> list[Game]:
    """Games of a against b, each on its own case."""
    scores = [1.0] * wins_a + [0.0] * wins_b + [0.5] * ties
    return [Game(f"case{i}", "a", "b", s) for i, s in enumerate(scores)]


def test_symmetric_games_give_equal_ratings_at_the_anchor() -> None:
    result = fit(games(10, 10, ties=4), rounds=0)
    assert result.ratings == pytest.approx({"a": 1000.0, "b": 1000.0})
    assert result.length_coefficient is None


def test_a_model_winning_three_games_in_four_leads_by_400_log10_3() -> None:
    result = fit(games(300, 100), rounds=0)
    gap = result.ratings["a"] - result.ratings["b"]
    assert gap == pytest.approx(GAP_AT_75_PERCENT, abs=0.5)
    assert sum(result.ratings.values()) / 2 == pytest.approx(1000.0)


def test_a_tie_counts_as_half_a_win_to_each_side() -> None:
    # 200 wins and 200 ties: a scores 300 of 400, as with 300 wins and 100 losses.
    with_ties = fit(games(200, 0, ties=200), rounds=0)
    gap = with_ties.ratings["a"] - with_ties.ratings["b"]
    assert gap == pytest.approx(GAP_AT_75_PERCENT, abs=0.5)


def test_three_known_strengths_are_recovered_from_simulated_games() -> None:
    truth = {"strong": 1200.0, "middle": 1000.0, "weak": 800.0}
    rng = np.random.default_rng(7)
    simulated = []
    names = list(truth)
    for index in range(6000):
        a, b = rng.choice(3, size=2, replace=False)
        p_a = 1.0 / (1.0 + 10 ** ((truth[names[b]] - truth[names[a]]) / 400))
        simulated.append(Game(index, names[a], names[b], float(rng.random() < p_a)))
    result = fit(simulated, rounds=0)
    for name, rating in truth.items():
        assert result.ratings[name] == pytest.approx(rating, abs=25)


def test_perfectly_separated_games_stay_finite_and_ordered() -> None:
    result = fit(games(5, 0), rounds=50)
    assert all(math.isfinite(r) for r in result.ratings.values())
    assert result.ratings["a"] > result.ratings["b"]


def length_biased_games(rng: np.random.Generator, *, gamma: float | None) -> list[Game]:
    """a writes the longer answer in 80% of the games; the judge prefers the longer answer
    (always when gamma is None, else with P = sigmoid(gamma * dlen)); the models are equal."""
    simulated = []
    for index in range(3000):
        long, short = int(rng.integers(600, 900)), int(rng.integers(100, 300))
        a_longer = rng.random() < 0.8
        dlen = length_difference(*((long, short) if a_longer else (short, long)))
        chance = 1.0 / (1.0 + math.exp(-gamma * dlen)) if gamma is not None else float(dlen > 0)
        simulated.append(Game(index, "a", "b", float(rng.random() < chance), dlen))
    return simulated


def test_length_control_removes_a_preference_that_is_only_length() -> None:
    simulated = length_biased_games(np.random.default_rng(3), gamma=3.0)
    raw = fit(simulated, rounds=0)
    controlled = fit(simulated, length_controlled=True, rounds=0)
    assert raw.ratings["a"] - raw.ratings["b"] > 100
    assert abs(controlled.ratings["a"] - controlled.ratings["b"]) < 30
    assert controlled.length_coefficient == pytest.approx(3.0, abs=0.5)


def test_length_control_when_the_longer_answer_always_wins() -> None:
    # Length separates the outcomes perfectly, so no finite maximum exists: the ridge keeps
    # gamma finite and large, and the fit stays finite. Towards that limit the gap tends to
    # half the raw one (ln(4)/2 in log-odds: 2,400 games on one side, 600 on the other), so
    # the test asks for a clear reduction, not for zero.
    simulated = length_biased_games(np.random.default_rng(4), gamma=None)
    raw = fit(simulated, rounds=0)
    controlled = fit(simulated, length_controlled=True, rounds=0)
    raw_gap = raw.ratings["a"] - raw.ratings["b"]
    assert raw_gap == pytest.approx(400 * math.log10(4), abs=40)
    assert 0 <= controlled.ratings["a"] - controlled.ratings["b"] < 0.7 * raw_gap
    assert controlled.length_coefficient is not None and controlled.length_coefficient > 10


def test_length_difference_is_normalised() -> None:
    assert length_difference(300, 100) == 0.5
    assert length_difference(100, 300) == -0.5
    assert length_difference(0, 0) == 0.0


def test_the_bootstrap_resamples_cases_with_a_fixed_seed() -> None:
    # Each case holds one win and one loss: resampling cases never moves the ratings.
    paired = [Game(f"case{i}", "a", "b", s) for i in range(20) for s in (1.0, 0.0)]
    steady = fit(paired, rounds=200)
    assert steady.intervals["a"] == pytest.approx((1000.0, 1000.0))
    first = fit(games(30, 10), rounds=1000, seed=5)
    again = fit(games(30, 10), rounds=1000, seed=5)
    assert first.intervals == again.intervals
    low, high = first.intervals["a"]
    assert low < first.ratings["a"] < high
    assert high - low > 50  # 40 games leave real doubt


def test_no_games_is_an_error() -> None:
    with pytest.raises(ValueError, match="no games"):
        fit([])
