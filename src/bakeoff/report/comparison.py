"""Every number a report shows, computed once from the store. Renderers only format this."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bakeoff.store import RunRow, ScoreRow, Store


@dataclass(frozen=True)
class MetricSummary:
    """One model's result on one benchmark metric."""

    mean: float
    n: int
    stderr: float
    mode: str
    shots: int


@dataclass(frozen=True)
class ModelUsage:
    """What a model consumed in a run: tokens, time and cost of its completions."""

    calls: int
    input_tokens: int
    output_tokens: int
    generation_seconds: float
    errors: int
    cost_usd: float | None
    # True when some counts are estimates (the endpoint reported no usage).
    estimated_tokens: bool = False


@dataclass
class Comparison:
    runs: list[RunRow]
    models: list[str]
    # (benchmark, metric) -> model -> summary
    metrics: dict[tuple[str, str], dict[str, MetricSummary]] = field(default_factory=dict)
    usage: dict[str, ModelUsage] = field(default_factory=dict)


def mean_and_stderr(values: list[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sample standard deviation, n - 1)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def build_comparison(store: Store, run_ids: list[int]) -> Comparison:
    runs = [_require_run(store, run_id) for run_id in run_ids]
    models = _ordered_models(runs)
    comparison = Comparison(runs=runs, models=models)
    score_rows = [row for run in runs for row in store.scores(run.id)]
    comparison.metrics = _metric_summaries(score_rows)
    comparison.usage = _usage(store, runs, score_rows)
    return comparison


def _require_run(store: Store, run_id: int) -> RunRow:
    run = store.run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id} in {store.path}")
    return run


def _ordered_models(runs: list[RunRow]) -> list[str]:
    names: list[str] = []
    for run in runs:
        for model in run.plan["models"]:
            if model["name"] not in names:
                names.append(model["name"])
    return names


def _metric_summaries(rows: list[ScoreRow]) -> dict[tuple[str, str], dict[str, MetricSummary]]:
    grouped: dict[tuple[str, str, str], list[ScoreRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.benchmark, row.metric, row.model)].append(row)
    summaries: dict[tuple[str, str], dict[str, MetricSummary]] = defaultdict(dict)
    for (benchmark, metric, model), group in sorted(grouped.items()):
        mean, stderr = mean_and_stderr([r.value for r in group])
        summaries[(benchmark, metric)][model] = MetricSummary(
            mean=mean, n=len(group), stderr=stderr, mode=group[0].mode, shots=group[0].shots)
    return dict(summaries)


def _usage(store: Store, runs: list[RunRow],
           rows: list[ScoreRow]) -> dict[str, ModelUsage]:
    keys_by_model: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        keys_by_model[row.model].update(row.completion_keys)
    errors: dict[str, int] = defaultdict(int)
    for run in runs:
        for error in store.errors(run.id):
            errors[error.model] += 1
    prices = _prices(runs)
    usage: dict[str, ModelUsage] = {}
    for model in _ordered_models(runs):
        completions = store.completions(sorted(keys_by_model[model])).values()
        generated = [c for c in completions if c.logprob is None]
        input_tokens = sum(c.usage.input_tokens for c in generated)
        output_tokens = sum(c.usage.output_tokens for c in generated)
        price_in, price_out = prices.get(model, (None, None))
        cost = None
        if price_in is not None and price_out is not None:
            cost = (input_tokens * price_in + output_tokens * price_out) / 1_000_000
        usage[model] = ModelUsage(
            calls=len(completions), input_tokens=input_tokens, output_tokens=output_tokens,
            generation_seconds=sum(c.timing.latency_s for c in generated),
            errors=errors[model], cost_usd=cost,
            estimated_tokens=any(c.usage.source == "estimate" for c in generated))
    return usage


def _prices(runs: list[RunRow]) -> dict[str, tuple[float | None, float | None]]:
    prices: dict[str, tuple[float | None, float | None]] = {}
    for run in runs:
        for model in run.plan["models"]:
            config: dict[str, Any] = model
            prices[config["name"]] = (config.get("price_input_per_mtok"),
                                      config.get("price_output_per_mtok"))
    return prices
