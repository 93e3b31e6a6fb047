"""Statistics over per-item scores: mean, standard error, bootstrap intervals, paired tests.

Per model and metric: the mean, its standard error (sample standard deviation, n - 1, over
sqrt(n)) and a percentile bootstrap 95% interval from 10,000 resamples of the items.

Between two models on the same items (the caller pairs them by sample id):
- right/wrong scores (every value 0 or 1): McNemar's exact test, the two-sided binomial test of
  b against b + c with p = 1/2, where b counts the items only model A got right and c those
  only model B got right;
- any other scores: a paired bootstrap of the per-item differences A - B. Its two-sided p-value
  resamples the differences centred on zero (the null of no mean difference) and counts the
  resampled means at least as far from zero as the observed one, as (count + 1) / (B + 1) so
  that it is never 0; b and c then count the items where A scored higher and lower.
Both report the mean difference A - B with a paired bootstrap percentile 95% interval.

Reproducibility: every bootstrap starts a fresh numpy PCG64 generator from a fixed seed and
sorts the values first, so a result depends only on the multiset of scores, never on item
order or on what was computed before. Resampling n items with replacement gives each distinct
value a Multinomial(n, frequency / n) count, so data with few distinct values (0/1 scores and
their differences) are resampled by drawing those counts directly: exact, and independent of n.
numpy does not promise identical streams across its major versions: the digits of an interval
may move in the third decimal after a numpy upgrade.

p-values are not adjusted for multiple comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

CONFIDENCE = 0.95
RESAMPLES = 10_000
SEED = 1234
SIGNIFICANCE = 0.05

# Up to this many distinct values, resample category counts instead of item indices.
_FEW_DISTINCT = 64
# Bound the index matrix of one resampling chunk (float64 elements), about 64 MB.
_CHUNK_ELEMENTS = 8_000_000

PairedTestName = Literal["mcnemar-exact", "paired-bootstrap"]


@dataclass(frozen=True)
class Estimate:
    """A mean with its uncertainty: standard error and a bootstrap interval."""

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class PairedTest:
    """Model A against model B on the same n items; `difference` is mean A - mean B."""

    test: PairedTestName
    n: int
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    # Discordant items: b where A alone was right (or scored higher), c where B was.
    b: int
    c: int

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sample standard deviation, n - 1)."""
    n = len(values)
    if n == 0:
        raise ValueError("no values")
    mean = math.fsum(values) / n
    if n < 2:
        return mean, math.nan
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def bootstrap_interval(values: Sequence[float], *, resamples: int = RESAMPLES,
                       confidence: float = CONFIDENCE, seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean, resampling items with replacement."""
    means = resampled_means(values, resamples=resamples, seed=seed)
    return _percentiles(means, confidence)


def estimate(values: Sequence[float], *, resamples: int = RESAMPLES,
             confidence: float = CONFIDENCE, seed: int = SEED) -> Estimate:
    mean, stderr = mean_and_stderr(values)
    low, high = bootstrap_interval(values, resamples=resamples, confidence=confidence, seed=seed)
    return Estimate(mean=mean, stderr=stderr, ci_low=low, ci_high=high, n=len(values))


def mcnemar_exact_p(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of b successes in b + c at p = 1/2."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be non-negative")
    trials = b + c
    if trials == 0:
        return 1.0
    # Exact integer arithmetic: sum C(n, i) for i <= min(b, c), one term from the last.
    term, tail = 1, 1
    for i in range(min(b, c)):
        term = term * (trials - i) // (i + 1)
        tail += term
    return min(1.0, 2 * tail / (1 << trials))


def paired_test(a: Sequence[float], b: Sequence[float], *, resamples: int = RESAMPLES,
                confidence: float = CONFIDENCE, seed: int = SEED) -> PairedTest:
    """Compare two models' scores on the same items (a[i] and b[i] are the same item)."""
    if len(a) != len(b):
        raise ValueError(f"paired scores differ in length: {len(a)} and {len(b)}")
    if not a:
        raise ValueError("no paired items")
    differences = [x - y for x, y in zip(a, b, strict=True)]
    observed = math.fsum(differences) / len(differences)
    means = resampled_means(differences, resamples=resamples, seed=seed)
    low, high = _percentiles(means, confidence)
    a_higher = sum(1 for d in differences if d > 0)
    b_higher = sum(1 for d in differences if d < 0)
    binary = is_binary(a) and is_binary(b)
    p_value = (mcnemar_exact_p(a_higher, b_higher) if binary
               else _bootstrap_p_value(means, observed, resamples))
    return PairedTest(
        test="mcnemar-exact" if binary else "paired-bootstrap", n=len(a),
        mean_a=math.fsum(a) / len(a), mean_b=math.fsum(b) / len(b), difference=observed,
        ci_low=low, ci_high=high, p_value=p_value, b=a_higher, c=b_higher)


def resampled_means(values: Sequence[float], *, resamples: int = RESAMPLES,
                    seed: int = SEED) -> NDArray[np.float64]:
    """The means of `resamples` bootstrap resamples of `values` (items with replacement)."""
    if not values:
        raise ValueError("no values")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    rng = np.random.default_rng(seed)
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    distinct, counts = np.unique(ordered, return_counts=True)
    if len(distinct) <= _FEW_DISTINCT:
        return _means_from_counts(rng, distinct, counts, resamples)
    return _means_from_indices(rng, ordered, resamples)


def _means_from_counts(rng: np.random.Generator, distinct: NDArray[np.float64],
                       counts: NDArray[np.int64], resamples: int) -> NDArray[np.float64]:
    n = int(counts.sum())
    draws = rng.multinomial(n, counts / n, size=resamples)
    means: NDArray[np.float64] = (draws @ distinct) / n
    return means


def _means_from_indices(rng: np.random.Generator, ordered: NDArray[np.float64],
                        resamples: int) -> NDArray[np.float64]:
    n = len(ordered)
    means = np.empty(resamples, dtype=np.float64)
    per_chunk = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, resamples, per_chunk):
        stop = min(resamples, start + per_chunk)
        picks = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = ordered[picks].mean(axis=1)
    return means


def _percentiles(means: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


def _bootstrap_p_value(means: NDArray[np.float64], observed: float, resamples: int) -> float:
    """Two-sided: how often a resample centred on zero lands as far out as the observation."""
    # The tolerance counts ties lost to rounding as extreme, the conservative side.
    extreme = np.abs(means - observed) >= abs(observed) - 1e-12
    return (int(extreme.sum()) + 1) / (resamples + 1)
