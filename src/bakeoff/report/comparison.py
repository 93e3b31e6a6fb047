"""Every number a report shows, computed once from the store. Renderers only format this.

Scores are keyed by (benchmark, metric, model, sample id); when the same model scored the same
item in several of the runs compared, the run listed last counts, so no item is counted twice.
Pairwise results compare two models on the items both were scored on; models scored in
different modes or with different shot counts are not compared (the result says why).

Usage and cost (`Comparison.usage`: the usage table, the price table's run cost and cost per
1,000 correct, the JSON `costs`) are computed over one set of completions: each completion
behind the score rows counted above, once. A model's totals count each of its completions
once, even when several items or metrics share it; a benchmark metric's cost counts the
completions behind that metric's counted rows (so metrics that share completions each carry
their cost). Superseded scores of an item, from an earlier run, bring no completion in.
Errors are the error records of the runs compared. Prices come from each model's figures as
the latest run's plan recorded its config (bakeoff.catalog.resolve: configured over card).

Cost = tokens × price per 1M, plus wall time × price per hour where set; "correct answers"
is the sum of a metric's scores (partial credit counts as a fraction of an answer), and cost
per 1,000 correct = the metric's cost ÷ correct × 1,000 (None when nothing was correct or the
model has no price).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from bakeoff.cost.pricing import Rates, rates_from_plan, wall_seconds
from bakeoff.scoring.metrics import PairedTest, estimate, mean_and_stderr, paired_test
from bakeoff.store import RunRow, ScoreRow, Store


@dataclass(frozen=True)
class MetricSummary:
    """One model's result on one benchmark metric, with its bootstrap 95% interval."""

    mean: float
    n: int
    stderr: float
    mode: str
    shots: int
    ci_low: float = math.nan
    ci_high: float = math.nan


@dataclass(frozen=True)
class Pairwise:
    """Model A against model B on one benchmark metric: a paired test, or why there is none."""

    model_a: str
    model_b: str
    # Items both models were scored on.
    n: int
    test: PairedTest | None
    not_compared: str | None = None


@dataclass(frozen=True)
class BenchmarkCost:
    """What one benchmark metric cost a model, and how much it got right for it."""

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
class ModelUsage:
    """What a model consumed in the runs compared: calls, tokens, time and cost (see the module
    docstring for which completions count)."""

    calls: int
    input_tokens: int
    output_tokens: int
    # Sum of the generation requests' latencies.
    generation_seconds: float
    errors: int
    cost_usd: float | None
    rates: Rates
    # Union of all the completions' [started, finished] intervals (what a price per hour bills).
    wall_seconds: float = 0.0
    benchmarks: tuple[BenchmarkCost, ...] = ()
    # True when some counts are estimates (the endpoint reported no usage).
    estimated_tokens: bool = False


@dataclass
class Comparison:
    runs: list[RunRow]
    models: list[str]
    # (benchmark, metric) -> model -> summary
    metrics: dict[tuple[str, str], dict[str, MetricSummary]] = field(default_factory=dict)
    usage: dict[str, ModelUsage] = field(default_factory=dict)
    # (benchmark, metric) -> every pair of scored models, in model order
    pairwise: dict[tuple[str, str], list[Pairwise]] = field(default_factory=dict)


# Re-exported: the report's stderr was defined here first.
__all__ = ["BenchmarkCost", "Comparison", "MetricSummary", "ModelUsage", "Pairwise",
           "build_comparison", "mean_and_stderr"]


def build_comparison(store: Store, run_ids: list[int]) -> Comparison:
    runs = [_require_run(store, run_id) for run_id in run_ids]
    models = _ordered_models(runs)
    comparison = Comparison(runs=runs, models=models)
    score_rows = [row for run in runs for row in store.scores(run.id)]
    by_item = _scores_by_item(score_rows)
    comparison.metrics = _metric_summaries(by_item)
    comparison.pairwise = _pairwise(by_item, comparison.metrics, models)
    comparison.usage = _usage(store, runs, by_item)
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


# (benchmark, metric) -> model -> sample id -> the score row that counts
ItemScores = dict[tuple[str, str], dict[str, dict[str, ScoreRow]]]


def _scores_by_item(rows: list[ScoreRow]) -> ItemScores:
    grouped: dict[tuple[str, str], dict[str, dict[str, ScoreRow]]] = defaultdict(
        lambda: defaultdict(dict))
    for row in rows:
        grouped[(row.benchmark, row.metric)][row.model][row.sample_id] = row
    return {key: dict(by_model) for key, by_model in sorted(grouped.items())}


def _metric_summaries(by_item: ItemScores) -> dict[tuple[str, str], dict[str, MetricSummary]]:
    summaries: dict[tuple[str, str], dict[str, MetricSummary]] = {}
    for key, by_model in by_item.items():
        summaries[key] = {model: _summary(list(items.values()))
                          for model, items in sorted(by_model.items())}
    return summaries


def _summary(group: list[ScoreRow]) -> MetricSummary:
    stats = estimate([r.value for r in group])
    return MetricSummary(mean=stats.mean, n=stats.n, stderr=stats.stderr, mode=group[0].mode,
                         shots=group[0].shots, ci_low=stats.ci_low, ci_high=stats.ci_high)


def _pairwise(by_item: ItemScores, summaries: dict[tuple[str, str], dict[str, MetricSummary]],
              models: list[str]) -> dict[tuple[str, str], list[Pairwise]]:
    result: dict[tuple[str, str], list[Pairwise]] = {}
    for key, by_model in by_item.items():
        scored = [m for m in models if m in by_model]
        result[key] = [_pair(a, b, by_model, summaries[key]) for a, b in combinations(scored, 2)]
    return result


def _pair(a: str, b: str, by_model: dict[str, dict[str, ScoreRow]],
          summaries: dict[str, MetricSummary]) -> Pairwise:
    common = sorted(by_model[a].keys() & by_model[b].keys())
    reason = _why_not_comparable(summaries[a], summaries[b])
    if reason is None and not common:
        reason = "no items scored by both"
    if reason is not None:
        return Pairwise(model_a=a, model_b=b, n=len(common), test=None, not_compared=reason)
    test = paired_test([by_model[a][i].value for i in common],
                       [by_model[b][i].value for i in common])
    return Pairwise(model_a=a, model_b=b, n=len(common), test=test)


def _why_not_comparable(a: MetricSummary, b: MetricSummary) -> str | None:
    if a.mode != b.mode:
        return f"scored in different modes ({a.mode} and {b.mode})"
    if a.shots != b.shots:
        return f"scored with different shot counts ({a.shots} and {b.shots})"
    return None


def _usage(store: Store, runs: list[RunRow], by_item: ItemScores) -> dict[str, ModelUsage]:
    errors: dict[str, int] = defaultdict(int)
    for run in runs:
        for error in store.errors(run.id):
            errors[error.model] += 1
    plans = _model_plans(runs)
    # model -> (benchmark, metric) -> the counted rows
    counted: dict[str, dict[tuple[str, str], list[ScoreRow]]] = defaultdict(dict)
    for key, by_model in by_item.items():
        for model, items in by_model.items():
            counted[model][key] = list(items.values())
    return {model: _model_usage(store, rates_from_plan(plans[model]), counted[model],
                                errors[model])
            for model in _ordered_models(runs)}


def _model_usage(store: Store, rates: Rates, rows: dict[tuple[str, str], list[ScoreRow]],
                 errors: int) -> ModelUsage:
    keys = sorted({k for group in rows.values() for row in group for k in row.completion_keys})
    completions = store.completions(keys)
    everything = list(completions.values())
    generated = [c for c in everything if c.logprob is None]
    benchmarks = []
    for (benchmark, metric), group in sorted(rows.items()):
        behind = {k for row in group for k in row.completion_keys if k in completions}
        benchmarks.append(BenchmarkCost(benchmark, metric, len(group),
                                        sum(row.value for row in group),
                                        rates.cost(completions[k] for k in sorted(behind))))
    return ModelUsage(
        calls=len(everything),
        input_tokens=sum(c.usage.input_tokens for c in everything),
        output_tokens=sum(c.usage.output_tokens for c in everything),
        generation_seconds=sum(c.timing.latency_s for c in generated),
        errors=errors, cost_usd=rates.cost(everything), rates=rates,
        wall_seconds=wall_seconds(c.timing for c in everything),
        benchmarks=tuple(benchmarks),
        estimated_tokens=any(c.usage.source == "estimate" for c in generated))


def _model_plans(runs: list[RunRow]) -> dict[str, dict[str, Any]]:
    """Each model's config as its (latest) run recorded it."""
    return {model["name"]: model for run in runs for model in run.plan["models"]}
