"""A run's items for the viewer: every model's scores on each item of a task, and the filters
(models disagree, errors, failed checks) that pick the items worth reading."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bakeoff.store import ErrorRow, ScoreRow


@dataclass
class Item:
    sample_id: str
    # model -> metric -> score row
    scores: dict[str, dict[str, ScoreRow]] = field(default_factory=dict)
    errors: dict[str, ErrorRow] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return sorted(set(self.scores) | set(self.errors))

    def disagree(self) -> bool:
        """Two models scored differently on some metric."""
        metrics = {m for by_metric in self.scores.values() for m in by_metric}
        return any(len({by_metric[m].value for by_metric in self.scores.values()
                        if m in by_metric}) > 1 for m in metrics)

    def failed(self) -> bool:
        """Some model's check failed (a score below 1)."""
        return any(row.value < 1.0 for by_metric in self.scores.values()
                   for row in by_metric.values())

    def errored(self) -> bool:
        return bool(self.errors)


FILTERS: dict[str, tuple[str, Callable[[Item], bool]]] = {
    "all": ("all", lambda item: True),
    "disagree": ("models disagree", Item.disagree),
    "errors": ("errors", Item.errored),
    "failed": ("failed checks", Item.failed),
}


def tasks_of(scores: Sequence[ScoreRow], errors: Sequence[ErrorRow]) -> list[str]:
    return sorted({row.benchmark for row in scores} | {row.benchmark for row in errors})


def task_items(scores: Sequence[ScoreRow], errors: Sequence[ErrorRow], task: str) -> list[Item]:
    """The task's items in natural order (item 2 before item 10)."""
    items: dict[str, Item] = {}
    for row in scores:
        if row.benchmark == task:
            item = items.setdefault(row.sample_id, Item(row.sample_id))
            item.scores.setdefault(row.model, {})[row.metric] = row
    for error in errors:
        if error.benchmark == task:
            items.setdefault(error.sample_id, Item(error.sample_id)).errors[error.model] = error
    return [items[key] for key in sorted(items, key=natural_key)]


def model_means(items: Sequence[Item]) -> dict[str, dict[str, float]]:
    """Each model's mean per metric over the items it was scored on."""
    values: dict[str, dict[str, list[float]]] = {}
    for item in items:
        for model, by_metric in item.scores.items():
            for metric, row in by_metric.items():
                values.setdefault(model, {}).setdefault(metric, []).append(row.value)
    return {model: {metric: math.fsum(v) / len(v) for metric, v in sorted(by_metric.items())}
            for model, by_metric in sorted(values.items())}


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.split(r"(\d+)", text) if part)
