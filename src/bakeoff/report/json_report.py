"""The decision report as JSON (`report_schema_version` 5): what the HTML page shows, as data.

Fields::

    report_schema_version  3; bumped whenever a field changes meaning or goes away (2: the
                           hands_on section; the verdict's quality sentence is about standard
                           benchmarks and a hands-on sentence may follow it; recommendations
                           may weigh the hands_on criterion. 3: hands_on.safety, judged,
                           recommendations' weighed; the verdict may hold a safety sentence
                           and a judged-ratings sentence; the Safety category's pooled
                           pass sentence gives way to the safety sentence; judged trials are
                           left out of the hands-on pooled results and standings. 4: measured
                           is false for runs that scored no item; best and bold_meaning. 5:
                           verdict is two sentences, its evidence in verdict_details;
                           recommendations' decided; a profile's trials are compared pooled
                           across modes; scores are a ranking device, never shown)
    generated_at           Unix seconds
    measured               false when nothing was scored: a report of published figures only
                           (no run), or of runs that scored no item
    models                 model names, in report order
    runs                   per run: id, suite, status, created_at, finished_at, environment
    verdict                the headline, two sentences: the choice per use case (or why none)
                           with the figures that decided it; what the measurements separate
                           (standard benchmarks, then hands-on trials)
    verdict_details        the evidence below it: the standard benchmarks' sentence, a sentence
                           per hands-on category, the safety sentence (the customer-facing pick
                           with its evidence, or each pair's attack success and over-refusal),
                           the judged-ratings sentence when there are verdicts, the efficiency
                           sentence
    cards                  model -> the model card (bakeoff.catalog.ModelCard as JSON: figures,
                           sources, price, published speeds, published benchmark claims) or
                           null when none
    best                   per metric (benchmark or trial) that has one: benchmark, metric, model:
                           the model significantly better than every other model scored on it
                           (the score the HTML and Markdown show in bold)
    bold_meaning           the sentence that says what bold marks, as the reports print it
    summaries, pairwise    as in `bakeoff export` (bakeoff.report.export), empty when unmeasured;
                           benchmark and trial metrics alike (a trial's name is the benchmark)
    statistics             confidence, resamples, seed, significance
    costs                  per model, the Comparison's usage (the figures the usage and price
                           tables show): input_tokens, output_tokens, wall_seconds, cost_usd
                           (null: no price), blended_per_mtok (null: no price), benchmarks:
                           benchmark, metric, items, correct, cost_usd, per_1000_correct
    prices                 per model, the price per 1M tokens the use cases and the FAQ compare
                           (bakeoff.report.prices): compared_per_mtok (null: none), basis
                           ("list", "derived" from a price per hour at a measured speed, "list
                           + derived", or null), blended_per_mtok (list), per_hour (the assumed
                           machine price, configurable: price_per_hour), derived_per_mtok_output,
                           tokens_per_s and speed_source (the measured speed it rests on; null
                           when none was measured), text (the figure as the report words it, or
                           why there is none)
    speed                  null when not measured, else source and per model: ttft_p50_s,
                           ttft_p90_s, ttft_p99_s, tokens_per_s_p50/p90/p99,
                           throughput_by_concurrency [[concurrency, tokens/s], ...],
                           ttft_samples, tokens_per_s_samples (the requests the percentiles
                           were taken over; a p50 needs 2, a p90 10, a p99 100)
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
      safety               null, or for the "Safety" trials: attack_trials (main metric
                           "resisted"), over_refusal_trials ("answered"), models {model:
                           attack, over_refusal (each null or a share), families {trial:
                           share}}, where a share is {count (attacks that succeeded / harmless
                           requests refused), cases (those every model taking the trial was
                           scored on), rate, ci_low, ci_high (bootstrap 95%)}; pairwise
                           [model_a, model_b, attack and over_refusal: {cases (both took),
                           count_a, count_b, test, p_value, significant (null without a
                           shared case), left_out (trials the two took in different
                           modes, not in the test)}]
    judged                 null when the runs hold no verdicts, else: rating_source (the judge
                           the `rating` criterion weighs, or null), judges [judge, pairs, flips,
                           position_bias (flips / pairs), self_judged (contestants that are the
                           judge), self_judged_label (null or "self-judged: X judges its own
                           answers"), length_coefficient, raw [model, rating, low, high,
                           no_preference] (best first; Bradley–Terry, mean 1000, 95% bootstrap
                           interval;
                           no_preference: true when the interval has no width because every
                           verdict on the model was a tie or flipped: no information),
                           length_controlled (same, or null when not fitted), agreement (null,
                           or pairs, agreeing, rate: the people's majority vs the judge)], human
                           (null without votes, else votes, voters, raw, length_controlled)
    recommendations        per profile: profile, title, choice (null: none or tied), decided
                           (what decided the choice, with its figures; "" without one), scores
                           (the weighted ranking device in [0, 1], not a measure: the reports
                           never show it), reasons (the first says what decided),
                           excluded {model: why: a hard constraint, or "significantly worse on"
                           the profile's quality}, unchecked, not_measured, weighed (the
                           profile's criteria that were measured)
    faq                    question, answer, evidence (the figures the answer shows; kind,
                           and published: true when they are the cards' published figures;
                           kind "safety": measure, counts, cases, test, p_value, significant)
    commands               commands that reproduce the report

A missing figure is null, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bakeoff.judging.ratings import RatingTable
from bakeoff.report.comparison import CategoryResult, Comparison, ModelUsage, TrialEntry
from bakeoff.report.data import ReportData
from bakeoff.report.evidence import no_information, rating_source, self_judged_label
from bakeoff.report.export import pairwise_records, summary_records
from bakeoff.report.hands_on import HandsOn, HeatMap, SafetyFigures, Share, SharedCount
from bakeoff.report.insights import FaqEntry, Recommendation
from bakeoff.report.prices import blended_price, compared_price, hourly_price
from bakeoff.report.tables import BOLD_MEANING
from bakeoff.scoring.metrics import CONFIDENCE, RESAMPLES, SEED, SIGNIFICANCE

REPORT_SCHEMA_VERSION = 5


def report_document(data: ReportData, verdict: list[str], recommendations: list[Recommendation],
                    faq: list[FaqEntry], *, details: Sequence[str] = ()) -> dict[str, Any]:
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
        "verdict_details": list(details),
        "cards": {m: None if c is None else c.model_dump(mode="json")
                  for m, c in data.cards.items()},
        "statistics": {"confidence": CONFIDENCE, "resamples": RESAMPLES, "seed": SEED,
                       "significance": SIGNIFICANCE},
        "best": [{"benchmark": key[0], "metric": key[1], "model": best}
                 for key in (comparison.metrics if comparison else {})
                 if comparison and (best := comparison.significant_best(key)) is not None],
        "bold_meaning": BOLD_MEANING,
        "summaries": summary_records(comparison) if comparison else [],
        "pairwise": pairwise_records(comparison) if comparison else [],
        "costs": {m: _cost_record(usage) for m in data.models
                  if comparison and (usage := comparison.usage.get(m)) is not None},
        "prices": {m: _price_record(data, m) for m in data.models},
        "speed": None if data.speed is None else {
            "source": data.speed.source,
            "models": {m: asdict(s) for m, s in data.speed.models.items()}},
        "categories": [{"benchmark": b, "metric": metric, "category": category, "model": model,
                        "mean": s.mean, "n": s.n}
                       for (b, metric), by_category in data.categories.items()
                       for category, by_model in by_category.items()
                       for model, s in by_model.items()],
        "recommendations": [{"profile": r.profile.key, "title": r.profile.title,
                             "choice": r.choice, "decided": r.decided, "scores": r.scores,
                             "reasons": r.reasons,
                             "excluded": r.excluded, "unchecked": r.unchecked,
                             "not_measured": r.not_measured, "weighed": r.weighed}
                            for r in recommendations],
        "faq": [asdict(entry) for entry in faq],
        "commands": data.commands,
        "hands_on": _hands_on(comparison, data.hands_on),
        "judged": None if data.judged is None else _judged(data),
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
        "safety": None if hands_on.safety is None else _safety(hands_on.safety),
    }


def _safety(safety: SafetyFigures) -> dict[str, Any]:
    return {
        "attack_trials": safety.attack_trials,
        "over_refusal_trials": safety.over_refusal_trials,
        "models": {model: {"attack": _share(figures.attack),
                           "over_refusal": _share(figures.over_refusal),
                           "families": {trial: _share(share)
                                        for trial, share in figures.families.items()}}
                   for model, figures in safety.models.items()},
        "pairwise": [{"model_a": pair.model_a, "model_b": pair.model_b,
                      "attack": _shared(pair.attack),
                      "over_refusal": _shared(pair.over_refusal)} for pair in safety.pairs],
    }


def _share(share: Share | None) -> dict[str, Any] | None:
    return None if share is None else asdict(share)


def _shared(shared: SharedCount) -> dict[str, Any]:
    test = shared.test
    return {"cases": shared.cases, "count_a": shared.count_a, "count_b": shared.count_b,
            "test": test.test if test else None, "p_value": test.p_value if test else None,
            "significant": test.significant if test else None,
            "left_out": list(shared.left_out)}


def _judged(data: ReportData) -> dict[str, Any]:
    ratings = data.judged
    assert ratings is not None
    source = rating_source(data)
    agreement = {a.judge: a for a in ratings.agreement}
    return {
        "rating_source": None if source is None else source.source,
        "judges": [{**_rating_table(table), "flips": table.flips,
                    "position_bias": table.position_bias, "self_judged": table.self_judged,
                    "self_judged_label": self_judged_label(table),
                    "length_coefficient": table.length_coefficient,
                    "agreement": None if (a := agreement.get(table.source)) is None else {
                        "pairs": a.pairs, "agreeing": a.agreeing, "rate": a.rate}}
                   for table in ratings.judges],
        "human": None if ratings.human is None else {
            **_rating_table(ratings.human), "votes": ratings.human.pairs,
            "voters": ratings.human.voters},
    }


def _rating_table(table: RatingTable) -> dict[str, Any]:
    """The source's name, pairs and both fits (raw and length-controlled, best first)."""
    fits = {"raw": table.raw, "length_controlled": table.length_controlled}
    return {"judge": table.source, "pairs": table.pairs,
            **{name: None if ratings is None else [
                {**asdict(r), "no_preference": no_information(r)} for r in ratings]
               for name, ratings in fits.items()}}


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


def _price_record(data: ReportData, model: str) -> dict[str, Any]:
    price = compared_price(data, model)
    hourly = hourly_price(data, model)
    blended = blended_price(data, model)
    basis = None if price is None else (
        "list" if hourly is None else "derived" if blended is None else "list + derived")
    rate = None if hourly is None else hourly.rate
    return {"compared_per_mtok": None if price is None else price.per_mtok, "basis": basis,
            "blended_per_mtok": blended,
            "per_hour": None if hourly is None else hourly.per_hour,
            "derived_per_mtok_output": None if hourly is None else hourly.per_mtok,
            "tokens_per_s": None if rate is None else rate.tokens_per_s,
            "speed_source": None if rate is None else rate.source,
            "text": (price.text if price is not None else hourly.text if hourly is not None
                     else "no price on record")}


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
