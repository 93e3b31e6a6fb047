"""Two runs side by side: per (model, task, metric) present in both, the mean in each run, the
difference and a paired test on the items both runs scored (McNemar's exact test for
right/wrong scores, the paired bootstrap otherwise; bakeoff.scoring.metrics)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bakeoff.scoring.metrics import SIGNIFICANCE, is_binary, mcnemar_exact_p, paired_test
from bakeoff.store import ScoreRow

Key = tuple[str, str, str]  # model, task, metric


@dataclass(frozen=True)
class RunDifference:
    model: str
    task: str
    metric: str
    mean_a: float  # over every item run A scored
    mean_b: float
    n_a: int
    n_b: int
    shared: int  # items both runs scored
    test: str | None  # "mcnemar-exact" or "paired-bootstrap"; None without shared items
    p_value: float | None

    @property
    def difference(self) -> float:
        """Run B's mean minus run A's."""
        return self.mean_b - self.mean_a

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


def compare_runs(scores_a: Sequence[ScoreRow], scores_b: Sequence[ScoreRow]
                 ) -> list[RunDifference]:
    by_a, by_b = _values(scores_a), _values(scores_b)
    return [_difference(key, by_a[key], by_b[key]) for key in sorted(set(by_a) & set(by_b))]


def _values(scores: Sequence[ScoreRow]) -> dict[Key, dict[str, float]]:
    values: dict[Key, dict[str, float]] = defaultdict(dict)
    for row in scores:
        values[(row.model, row.benchmark, row.metric)][row.sample_id] = row.value
    return values


def _difference(key: Key, a: dict[str, float], b: dict[str, float]) -> RunDifference:
    shared = sorted(set(a) & set(b))
    pairs_a, pairs_b = [a[i] for i in shared], [b[i] for i in shared]
    test: str | None = None
    p_value: float | None = None
    if shared and is_binary(pairs_a) and is_binary(pairs_b):
        only_b = sum(1 for x, y in zip(pairs_a, pairs_b, strict=True) if y > x)
        only_a = sum(1 for x, y in zip(pairs_a, pairs_b, strict=True) if x > y)
        test, p_value = "mcnemar-exact", mcnemar_exact_p(only_b, only_a)
    elif shared:
        result = paired_test(pairs_b, pairs_a)
        test, p_value = result.test, result.p_value
    model, task, metric = key
    return RunDifference(model, task, metric, _mean(a.values()), _mean(b.values()), len(a),
                         len(b), len(shared), test, p_value)


def _mean(values: Iterable[float]) -> float:
    numbers = list(values)
    return math.fsum(numbers) / len(numbers)
