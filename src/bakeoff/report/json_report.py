"""The decision report as JSON (`report_schema_version` 1): what the HTML page shows, as data.

Fields::

    report_schema_version  1; bumped whenever a field changes meaning or goes away
    generated_at           Unix seconds
    measured               false for a report of published figures only (no run)
    models                 model names, in report order
    runs                   per run: id, suite, status, created_at, finished_at, environment
    verdict                the headline: two sentences
    cards                  model -> the model card (bakeoff.catalog.ModelCard as JSON: figures,
                           sources, price, published speeds, published benchmark claims) or
                           null when none
    summaries, pairwise    as in `bakeoff export` (bakeoff.report.export), empty when unmeasured
    statistics             confidence, resamples, seed, significance
    costs                  per model, the Comparison's usage (the figures the usage and price
                           tables show): input_tokens, output_tokens, wall_seconds, cost_usd
                           (null: no price), blended_per_mtok (null: no price), benchmarks:
                           benchmark, metric, items, correct, cost_usd, per_1000_correct
    speed                  null when not measured, else source and per model: ttft_p50_s,
                           ttft_p90_s, ttft_p99_s, tokens_per_s_p50/p90/p99,
                           throughput_by_concurrency [[concurrency, tokens/s], ...]
    categories             per (benchmark, metric, category, model): mean, n
    recommendations        per profile: profile, title, choice (null: none or tied), scores,
                           reasons, excluded {model: why}, unchecked, not_measured
    faq                    question, answer, evidence (the figures the answer shows; kind,
                           and published: true when they are the cards' published figures)
    commands               commands that reproduce the report

A missing figure is null, never 0.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from bakeoff.report.comparison import ModelUsage
from bakeoff.report.data import ReportData
from bakeoff.report.export import pairwise_records, summary_records
from bakeoff.report.insights import FaqEntry, Recommendation
from bakeoff.scoring.metrics import CONFIDENCE, RESAMPLES, SEED, SIGNIFICANCE

REPORT_SCHEMA_VERSION = 1


def report_document(data: ReportData, verdict: list[str], recommendations: list[Recommendation],
                    faq: list[FaqEntry]) -> dict[str, Any]:
    comparison = data.comparison
    document: dict[str, Any] = _clean({
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": data.generated_at,
        "measured": data.measured,
        "models": data.models,
        "runs": [{"id": r.id, "suite": r.suite, "status": r.status, "created_at": r.created_at,
                  "finished_at": r.finished_at, "environment": r.environment}
                 for r in (comparison.runs if comparison else [])],
        "verdict": verdict,
        "cards": {m: None if c is None else c.model_dump(mode="json")
                  for m, c in data.cards.items()},
        "statistics": {"confidence": CONFIDENCE, "resamples": RESAMPLES, "seed": SEED,
                       "significance": SIGNIFICANCE},
        "summaries": summary_records(comparison) if comparison else [],
        "pairwise": pairwise_records(comparison) if comparison else [],
        "costs": {m: _cost_record(usage) for m in data.models
                  if comparison and (usage := comparison.usage.get(m)) is not None},
        "speed": None if data.speed is None else {
            "source": data.speed.source,
            "models": {m: asdict(s) for m, s in data.speed.models.items()}},
        "categories": [{"benchmark": b, "metric": metric, "category": category, "model": model,
                        "mean": s.mean, "n": s.n}
                       for (b, metric), by_category in data.categories.items()
                       for category, by_model in by_category.items()
                       for model, s in by_model.items()],
        "recommendations": [{"profile": r.profile.key, "title": r.profile.title,
                             "choice": r.choice, "scores": r.scores, "reasons": r.reasons,
                             "excluded": r.excluded, "unchecked": r.unchecked,
                             "not_measured": r.not_measured} for r in recommendations],
        "faq": [asdict(entry) for entry in faq],
        "commands": data.commands,
    })
    return document


def _cost_record(cost: ModelUsage) -> dict[str, Any]:
    return {"input_tokens": cost.input_tokens, "output_tokens": cost.output_tokens,
            "wall_seconds": cost.wall_seconds, "cost_usd": cost.cost_usd,
            "blended_per_mtok": cost.rates.blended_per_mtok,
            "benchmarks": [{"benchmark": b.benchmark, "metric": b.metric, "items": b.items,
                            "correct": b.correct, "cost_usd": b.cost_usd,
                            "per_1000_correct": b.per_1000_correct} for b in cost.benchmarks]}


def _clean(value: Any) -> Any:
    """NaN is not JSON: null. Tuples become lists so the document round-trips unchanged."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
