"""Statistics: McNemar against scipy's binomial test, the bootstrap against exact answers."""

import math
import random

import pytest

from bakeoff.scoring import metrics
from bakeoff.scoring.metrics import (
    RESAMPLES,
    bootstrap_interval,
    estimate,
    mcnemar_exact_p,
    mean_and_stderr,
    paired_test,
    resampled_means,
)

# scipy.stats.binomtest(b, b + c, 0.5).pvalue, scipy 1.17.1, computed once and written here.
SCIPY_BINOMTEST = {
    (1, 0): 1.0,
    (0, 1): 1.0,
    (1, 1): 1.0,
    (7, 7): 1.0,
    (0, 5): 0.0625,
    (2, 9): 0.0654296875,
    (3, 10): 0.09228515625,
    (10, 3): 0.09228515625,
    (20, 8): 0.03569813817739487,
    (12, 30): 0.007915897334896727,
    (60, 40): 0.05688793364098089,
    (5000, 5200): 0.04878796312682234,
}


@pytest.mark.parametrize(("b", "c"), sorted(SCIPY_BINOMTEST))
def test_mcnemar_matches_scipy_binomtest(b: int, c: int) -> None:
    assert mcnemar_exact_p(b, c) == pytest.approx(SCIPY_BINOMTEST[(b, c)], rel=1e-12)


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    assert mcnemar_exact_p(0, 0) == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact_p(-1, 2)


def test_mean_and_stderr_use_n_minus_one() -> None:
    mean, stderr = mean_and_stderr([1.0, 0.0, 1.0, 1.0])
    assert mean == 0.75
    assert stderr == pytest.approx(math.sqrt(0.25 / 4))
    assert math.isnan(mean_and_stderr([1.0])[1])


def _binomial_quantile(n: int, p: float, q: float) -> int:
    """The smallest k with P(K <= k) >= q for K ~ Binomial(n, p), computed exactly."""
    total = 0.0
    for k in range(n + 1):
        total += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if total >= q:
            return k
    return n


def test_bootstrap_of_right_wrong_scores_follows_the_binomial() -> None:
    # Resampled 0/1 items: the count of 1s is Binomial(n, k / n), so the interval is known.
    n, right = 50, 30
    values = [1.0] * right + [0.0] * (n - right)
    low, high = bootstrap_interval(values)
    assert low == pytest.approx(_binomial_quantile(n, right / n, 0.025) / n, abs=1 / n)
    assert high == pytest.approx(_binomial_quantile(n, right / n, 0.975) / n, abs=1 / n)


def test_bootstrap_spread_matches_the_plug_in_standard_error() -> None:
    # The variance of a resampled mean is the population variance of the data over n.
    rng = random.Random(7)
    values = [rng.uniform(0, 1) for _ in range(400)]
    mean = sum(values) / len(values)
    plug_in = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values) ** 2)
    means = resampled_means(values)
    assert float(means.std()) == pytest.approx(plug_in, rel=0.03)
    assert float(means.mean()) == pytest.approx(mean, abs=plug_in / 10)


def test_counts_and_indices_resample_the_same_distribution(
        monkeypatch: pytest.MonkeyPatch) -> None:
    values = [1.0] * 70 + [0.0] * 30
    by_counts = bootstrap_interval(values)
    monkeypatch.setattr(metrics, "_FEW_DISTINCT", 0)
    by_indices = bootstrap_interval(values)
    assert by_counts == pytest.approx(by_indices, abs=0.011)


def test_bootstrap_is_reproducible_and_ignores_item_order() -> None:
    rng = random.Random(3)
    values = [rng.random() for _ in range(120)]
    shuffled = values[:]
    rng.shuffle(shuffled)
    assert bootstrap_interval(values) == bootstrap_interval(shuffled)
    assert bootstrap_interval(values) != bootstrap_interval(values, seed=99)


def test_constant_scores_have_a_point_interval() -> None:
    assert bootstrap_interval([0.25] * 10) == (0.25, 0.25)
    result = estimate([1.0, 1.0, 1.0])
    assert (result.mean, result.stderr, result.ci_low, result.ci_high, result.n) == (
        1.0, 0.0, 1.0, 1.0, 3)


def test_empty_input_is_refused() -> None:
    with pytest.raises(ValueError):
        estimate([])
    with pytest.raises(ValueError):
        paired_test([], [])
    with pytest.raises(ValueError, match="differ in length"):
        paired_test([1.0], [1.0, 0.0])


def test_right_wrong_pairs_use_mcnemar_with_the_discordant_counts() -> None:
    # 20 items only A got right, 8 only B, 40 both, 32 neither.
    a = [1.0] * 20 + [0.0] * 8 + [1.0] * 40 + [0.0] * 32
    b = [0.0] * 20 + [1.0] * 8 + [1.0] * 40 + [0.0] * 32
    result = paired_test(a, b)
    assert result.test == "mcnemar-exact"
    assert (result.n, result.b, result.c) == (100, 20, 8)
    assert result.p_value == pytest.approx(SCIPY_BINOMTEST[(20, 8)], rel=1e-12)
    assert result.significant
    assert (result.mean_a, result.mean_b) == (0.6, 0.48)
    assert result.difference == pytest.approx(0.12)
    assert result.ci_low < 0.12 < result.ci_high


def test_paired_bootstrap_p_value_matches_the_exact_resampling_distribution() -> None:
    # Differences are 0.1 ± 0.5 in equal halves; centred resamples move by 0.5 (2K/n - 1) with
    # K ~ Binomial(100, 1/2), so the exact p-value is P(|K - 50| >= 10).
    a = [0.6] * 50 + [0.0] * 50
    b = [0.0] * 50 + [0.4] * 50
    exact = sum(math.comb(100, k) for k in range(101) if abs(k - 50) >= 10) / 2**100
    result = paired_test(a, b)
    assert result.test == "paired-bootstrap"
    assert result.difference == pytest.approx(0.1)
    assert (result.b, result.c) == (50, 50)
    assert result.p_value == pytest.approx(exact, abs=0.01)


def test_paired_bootstrap_extremes() -> None:
    shifted = paired_test([0.5, 0.7, 0.9], [0.4, 0.6, 0.8])
    assert shifted.p_value == 1 / (RESAMPLES + 1)
    assert (shifted.ci_low, shifted.ci_high) == pytest.approx((0.1, 0.1))
    balanced = paired_test([0.5, 0.3], [0.3, 0.5])
    assert balanced.p_value == 1.0
    assert not balanced.significant
