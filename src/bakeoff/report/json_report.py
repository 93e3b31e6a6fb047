"""The decision report as JSON (`report_schema_version` 2): what the HTML page shows, as data.

Fields::

    report_schema_version  2; bumped whenever a field changes meaning or goes away (2: the
                           hands_on section; the verdict's quality sentence is about standard
                           benchmarks and a hands-on sentence may follow it; recommendations
                           may weigh the hands_on criterion)
    generated_at           Unix seconds
    measured               false for a report of published figures only (no run)
    models                 model names, in report order
    runs                   per run: id, suite, status, created_at, finished_at, environment
    verdict                the headline: the quality sentence (standard benchmarks), then, when
                           trials were run, the hands-on sentence (a clause per category), then
                           the efficiency sentence
    cards                  model -> the model card (bakeoff.catalog.ModelCard as JSON: figures,
                           sources, price, published speeds, published benchmark claims) or
                           null when none
    summaries, pairwise    as in `bakeoff export` (bakeoff.report.export), empty when unmeasured;
                           benchmark and trial metrics alike (a trial's name is the benchmark)
    statistics             confidence, resamples, seed, significance
    costs                  per model, the Comparison's usage (the figures the usage and price
                           tables show): input_tokens, output_tokens, wall_seconds, cost_usd
                           (null: no price), blended_per_mtok (null: no price), benchmarks:
                           benchmark, metric, items, correct, cost_usd, per_1000_correct
    speed                  null when not measured, else source and per model: ttft_p50_s,
                           ttft_p90_s, ttft_p99_s, tokens_per_s_p50/p90/p99,
                           throughput_by_concurrency [[concurrency, tokens/s], ...]
    categories             per (benchmark, metric, category, model): mean, n (the item
                           categories of standard benchmarks, e.g. MMLU's subjects)
    hands_on               the hands-on trials (empty lists and nulls when none were run):
      categories           per category, in report order: category, trials [trial, registered
                           (false: not in the trial registry, category "Other"), main_metric,
                           metrics [metric, best (the model significantly better than every
                           other, or null), models {model: mean, stderr, ci_low, ci_high, mode,
                           n}]], totals {model: passed, cases} (main metric of each trial, every
                           case taken), pairwise [model_a, model_b, n (cases both took, pooled
                           over the trials both took in one mode), passed_a, passed_b (on those
                           cases), test, difference, ci_low, ci_high, p_value, significant,
                           not_compared (why there is no test, else null), left_out (trials
                           left out of the pooled test, with why)], best
      errors               per trial, model and error kind: cases that ended in an error record
                           and have no score (kind "unsupported": longer than the model's window,
                           not run); never counted as fails
      failures_by_rule     null, or for the "Function calling" trials: trials, rules (most
                           frequent first), models {model: {rule: failed cases}}, cases {model:
                           cases checked}
      long_context         null, or for the "Long context" trials: trials, threshold (0.85),
                           lengths, depths, models {model: cells [length, depth, mean, n],
                           not_run [length, depth, cases], length_means [length, mean],
                           effective_length (tokens, or null when below the threshold at the
                           shortest length)}
      languages            null, or for the "Languages" trials: trials, rows [language, model,
                           metric, mean, n]
      abstention           per model, over the "Abstention" trials' cases: cases, correct,
                           incorrect, not_attempted, accuracy_given_attempted, correct_rate,
                           abstention_recall, f1 (null where there is nothing to divide)
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

from bakeoff.report.comparison import CategoryResult, Comparison, ModelUsage, TrialEntry
from bakeoff.report.data import ReportData
from bakeoff.report.export import pairwise_records, summary_records
from bakeoff.report.hands_on import HandsOn, HeatMap
from bakeoff.report.insights import FaqEntry, Recommendation
from bakeoff.scoring.metrics import CONFIDENCE, RESAMPLES, SEED, SIGNIFICANCE

REPORT_SCHEMA_VERSION = 2


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
        "hands_on": _hands_on(comparison, data.hands_on),
    })
    return document


def _hands_on(comparison: Comparison | None, hands_on: HandsOn) -> dict[str, Any]:
    trials = comparison.trials if comparison else {}
    errors = comparison.trial_errors if comparison else {}
    failures = hands_on.failures
    languages = hands_on.languages
    return {
        "categories": [] if comparison is None else [
            _category_record(comparison, category, entries)
            for category, entries in comparison.trial_categories().items()],
        "errors": [{"trial": trial, "model": model, "kind": kind, "cases": n}
                   for trial, by_model in errors.items() if trial in trials
                   for model, by_kind in by_model.items() for kind, n in by_kind.items()],
        "failures_by_rule": None if failures is None else {
            "trials": failures.trials, "rules": failures.rules, "models": failures.counts,
            "cases": failures.cases},
        "long_context": None if hands_on.heat_map is None else _heat_map(hands_on.heat_map),
        "languages": None if languages is None else {
            "trials": languages.trials,
            "rows": [{"language": language, "model": model, "metric": metric,
                      "mean": rate.mean, "n": rate.n}
                     for language, by_model in languages.rates.items()
                     for model, by_metric in by_model.items()
                     for metric, rate in by_metric.items()]},
        "abstention": {model: {key: None if math.isnan(value) else value
                               for key, value in figures.items()}
                       for model, figures in hands_on.abstention.items()},
    }


def _category_record(comparison: Comparison, category: str,
                     entries: list[TrialEntry]) -> dict[str, Any]:
    result: CategoryResult | None = comparison.hands_on.get(category)
    return {
        "category": category,
        "trials": [{"trial": e.name, "registered": e.registered, "main_metric": e.main_metric,
                    "metrics": [{"metric": metric,
                                 "best": comparison.significant_best((e.name, metric)),
                                 "models": {m: {"mean": s.mean, "stderr": s.stderr,
                                                "ci_low": s.ci_low, "ci_high": s.ci_high,
                                                "mode": s.mode, "n": s.n}
                                            for m, s in comparison.metrics.get(
                                                (e.name, metric), {}).items()}}
                                for metric in e.metrics]}
                   for e in entries],
        "totals": {} if result is None else {
            m: {"passed": t.passed, "cases": t.cases} for m, t in result.totals.items()},
        "pairwise": [] if result is None else [
            {"model_a": cp.pair.model_a, "model_b": cp.pair.model_b, "n": cp.pair.n,
             "passed_a": cp.passed_a if cp.pair.test else None,
             "passed_b": cp.passed_b if cp.pair.test else None,
             "test": cp.pair.test.test if cp.pair.test else None,
             "difference": cp.pair.test.difference if cp.pair.test else None,
             "ci_low": cp.pair.test.ci_low if cp.pair.test else None,
             "ci_high": cp.pair.test.ci_high if cp.pair.test else None,
             "p_value": cp.pair.test.p_value if cp.pair.test else None,
             "significant": cp.pair.test.significant if cp.pair.test else None,
             "not_compared": cp.pair.not_compared, "left_out": cp.left_out}
            for cp in result.pairs],
        "best": None if result is None else result.best,
    }


def _heat_map(heat_map: HeatMap) -> dict[str, Any]:
    return {
        "trials": heat_map.trials, "threshold": heat_map.threshold,
        "lengths": heat_map.lengths, "depths": heat_map.depths,
        "models": {model: {
            "cells": [{"length": length, "depth": depth, "mean": rate.mean, "n": rate.n}
                      for (length, depth), rate in grid.cells.items()],
            "not_run": [{"length": length, "depth": depth, "cases": n}
                        for (length, depth), n in grid.not_run.items()],
            "length_means": [{"length": length, "mean": mean}
                             for length, mean in grid.length_means.items()],
            "effective_length": grid.effective_length}
            for model, grid in heat_map.models.items()},
    }


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
