"""A run's cost from measured usage, and cost per 1,000 correct answers per benchmark.

Each benchmark metric is costed on the completions behind its scores (each completion once,
even when several metrics or items share it; when runs are combined, a later run's score of
an item replaces an earlier one, as in the report). "Correct answers" is the sum of the
metric's scores, so partial credit counts as a fraction of an answer: an item scored 0.5
counts half. Cost per 1,000 correct = that benchmark's cost ÷ correct × 1,000; None when
nothing was correct or the model has no price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bakeoff.cost.pricing import Rates, rates_from_plan, wall_seconds
from bakeoff.store import RunRow, ScoreRow, Store


@dataclass(frozen=True)
class BenchmarkCost:
    benchmark: str
    metric: str
    items: int
    correct: float
    cost_usd: float | None

    @property
    def per_1000_correct(self) -> float | None:
        if self.cost_usd is None or self.correct <= 0:
            return None
        return self.cost_usd / self.correct * 1000


@dataclass(frozen=True)
class ModelCost:
    model: str
    rates: Rates
    input_tokens: int
    output_tokens: int
    wall_seconds: float
    cost_usd: float | None
    benchmarks: tuple[BenchmarkCost, ...]


def run_costs(store: Store, run_ids: list[int]) -> dict[str, ModelCost]:
    """Every model's cost over the given runs, priced with the rates each run's plan recorded."""
    runs = [_run(store, run_id) for run_id in run_ids]
    rates = {m["name"]: rates_from_plan(m) for run in runs for m in run.plan["models"]}
    rows = _latest_rows([row for run in runs for row in store.scores(run.id)])
    return {model: _model_cost(store, model, model_rates,
                               [r for r in rows if r.model == model])
            for model, model_rates in rates.items()}


def _run(store: Store, run_id: int) -> RunRow:
    run = store.run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id} in {store.path}")
    return run


def _latest_rows(rows: list[ScoreRow]) -> list[ScoreRow]:
    latest: dict[tuple[str, str, str, str], ScoreRow] = {}
    for row in rows:
        latest[(row.model, row.benchmark, row.metric, row.sample_id)] = row
    return list(latest.values())


def _model_cost(store: Store, model: str, rates: Rates, rows: list[ScoreRow]) -> ModelCost:
    all_keys = sorted({key for row in rows for key in row.completion_keys})
    completions = store.completions(all_keys)
    by_metric: dict[tuple[str, str], list[ScoreRow]] = defaultdict(list)
    for row in rows:
        by_metric[(row.benchmark, row.metric)].append(row)
    benchmarks = []
    for (benchmark, metric), group in sorted(by_metric.items()):
        keys = {key for row in group for key in row.completion_keys}
        cost = rates.cost(completions[k] for k in keys if k in completions)
        benchmarks.append(BenchmarkCost(benchmark, metric, len(group),
                                        sum(r.value for r in group), cost))
    everything = list(completions.values())
    return ModelCost(model=model, rates=rates,
                     input_tokens=sum(c.usage.input_tokens for c in everything),
                     output_tokens=sum(c.usage.output_tokens for c in everything),
                     wall_seconds=wall_seconds(c.timing for c in everything),
                     cost_usd=rates.cost(everything), benchmarks=tuple(benchmarks))
