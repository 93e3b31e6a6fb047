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

Hands-on trials are scored like benchmarks (a trial's name is the `benchmark` of its score rows,
its case ids the sample ids), so their metrics, intervals and pairwise tests are in `metrics`
and `pairwise` too. `trials` says which names are trials: a name in the trial registry, or one
whose cases have stored transcripts (a user-defined trial from an older run; its category is
"Other"). Per category, `hands_on` pools each trial's main metric (its first; "pass" for most)
over the cases both models took, with the same paired test as a metric's, leaving out a trial
the two took in different modes (native and prompted tools are never ranked together), and
leaving out judged trials (TrialInfo.judged: the check only says an answer was given; their
quality is the judges' rating, bakeoff.judging.ratings). A case
that ended in an error record (among them "unsupported": longer than the model's window, so
not run) is never a fail: `trial_errors` counts them by kind.

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
from bakeoff.trials.base import PASS
from bakeoff.trials.registry import TRIALS

# Where a trial goes when the registry does not know its name (a user-defined trial of an
# older run).
OTHER = "Other"
# The hands-on categories in report order (bakeoff.trials.base.TrialInfo); others follow by
# name, then OTHER.
CATEGORY_ORDER = ("Logic puzzles", "Programs", "Function calling", "Structured output",
                  "Long context", "Instruction following", "Languages", "Safety", "Abstention",
                  "Open-ended answers")


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
    # The same union over the generation requests alone: the machine time their output
    # tokens took (prompt processing included), for a speed measured on the run itself.
    generation_wall_seconds: float = 0.0
    benchmarks: tuple[BenchmarkCost, ...] = ()
    # True when some counts are estimates (the endpoint reported no usage).
    estimated_tokens: bool = False


@dataclass(frozen=True)
class TrialEntry:
    """A hands-on trial among the scores: its category and its metrics, the main one first."""

    name: str
    category: str
    metrics: tuple[str, ...]
    # False for a name the trial registry does not know (category OTHER).
    registered: bool = True
    # A judged trial (TrialInfo.judged): its quality is the judges' rating, not its check.
    judged: bool = False

    @property
    def main_metric(self) -> str:
        return self.metrics[0]


@dataclass(frozen=True)
class CategoryPair:
    """Two models on a hands-on category: the paired test over the cases both took, pooled
    across the category's trials (main metric each); trials they took in different modes are
    left out, and `left_out` says which and why."""

    pair: Pairwise
    left_out: tuple[str, ...] = ()

    @property
    def passed_a(self) -> float:
        """Model A's passes (sum of values) on the shared cases."""
        return _count(self.pair.test.mean_a * self.pair.test.n) if self.pair.test else 0.0

    @property
    def passed_b(self) -> float:
        return _count(self.pair.test.mean_b * self.pair.test.n) if self.pair.test else 0.0


@dataclass(frozen=True)
class CategoryTotal:
    """One model's pooled main-metric result on a category: passes (sum of values) of cases."""

    passed: float
    cases: int


@dataclass(frozen=True)
class CategoryResult:
    category: str
    trials: tuple[str, ...]
    totals: dict[str, CategoryTotal]
    pairs: list[CategoryPair]
    # The model significantly better than every other on the pooled tests, if any.
    best: str | None


@dataclass
class Comparison:
    runs: list[RunRow]
    models: list[str]
    # (benchmark, metric) -> model -> summary
    metrics: dict[tuple[str, str], dict[str, MetricSummary]] = field(default_factory=dict)
    usage: dict[str, ModelUsage] = field(default_factory=dict)
    # (benchmark, metric) -> every pair of scored models, in model order
    pairwise: dict[tuple[str, str], list[Pairwise]] = field(default_factory=dict)
    # Hands-on trials by name, in category order (see the module docstring).
    trials: dict[str, TrialEntry] = field(default_factory=dict)
    # category -> pooled results, in category order
    hands_on: dict[str, CategoryResult] = field(default_factory=dict)
    # trial -> model -> error kind -> cases (cases without a counted score only)
    trial_errors: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    # (benchmark, metric) -> model -> sample id -> the score row that counts: for tests that
    # pool items across metrics (bakeoff.report.pooled)
    items: dict[tuple[str, str], dict[str, dict[str, ScoreRow]]] = field(default_factory=dict)
    # Pooled tests already computed, by what they pool (bakeoff.report.pooled fills it).
    pooled_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def benchmark_keys(self) -> list[tuple[str, str]]:
        """The (benchmark, metric) keys of standard benchmarks (no trial)."""
        return [key for key in self.metrics if key[0] not in self.trials]

    def trial_keys(self, trial: str) -> list[tuple[str, str]]:
        """A trial's (trial, metric) keys, its main metric first."""
        entry = self.trials.get(trial)
        return [] if entry is None else [(trial, m) for m in entry.metrics]

    def trial_categories(self) -> dict[str, list[TrialEntry]]:
        """category -> its trials, in report order."""
        return _by_category(self.trials)

    def significant_best(self, key: tuple[str, str]) -> str | None:
        """The model significantly better than every other model scored on this metric."""
        return significant_best(self.pairwise.get(key, []), self.models)


# Re-exported: the report's stderr was defined here first.
__all__ = ["CATEGORY_ORDER", "OTHER", "BenchmarkCost", "CategoryPair", "CategoryResult",
           "CategoryTotal", "Comparison", "MetricSummary", "ModelUsage", "Pairwise",
           "TrialEntry", "build_comparison", "mean_and_stderr", "significant_best"]


def significant_best(pairs: list[Pairwise], models: list[str]) -> str | None:
    """The model that wins a significant paired test against every model it is paired with
    (a pair without a test, e.g. of different modes, is no win): None when there is none."""
    for model in models:
        mine = [p for p in pairs if model in (p.model_a, p.model_b)]
        if mine and all(p.test is not None and p.test.significant
                        and (p.test.difference > 0) == (p.model_a == model) for p in mine):
            return model
    return None


def build_comparison(store: Store, run_ids: list[int]) -> Comparison:
    runs = [_require_run(store, run_id) for run_id in run_ids]
    models = _ordered_models(runs)
    comparison = Comparison(runs=runs, models=models)
    score_rows = [row for run in runs for row in store.scores(run.id)]
    by_item = _scores_by_item(score_rows)
    comparison.items = by_item
    comparison.metrics = _metric_summaries(by_item)
    comparison.pairwise = _pairwise(by_item, comparison.metrics, models)
    comparison.usage = _usage(store, runs, by_item)
    comparison.trials = _trials(store, runs, by_item)
    comparison.hands_on = _hands_on(comparison.trials, by_item, comparison.metrics, models)
    comparison.trial_errors = _trial_errors(store, runs, by_item, comparison.trials)
    return comparison


def _require_run(store: Store, run_id: int) -> RunRow:
    run = store.run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id} in {store.location}")
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


# One metric's items by model, its summaries by model, and a label for what it is ("" for a
# lone metric, the trial's name when a category pools several).
_Group = tuple[str, dict[str, dict[str, ScoreRow]], dict[str, MetricSummary]]


def _pair(a: str, b: str, by_model: dict[str, dict[str, ScoreRow]],
          summaries: dict[str, MetricSummary]) -> Pairwise:
    return _pooled_pair(a, b, [("", by_model, summaries)])[0]


def _one_reason(left_out: list[str]) -> str:
    """'every trial: scored in different modes (...)' when all groups were left out for the
    same reason, else each group with its reason."""
    reasons = {item.partition(": ")[2] or item for item in left_out}
    if len(left_out) > 1 and len(reasons) == 1:
        return f"every trial: {reasons.pop()}"
    return "; ".join(left_out)


def _pooled_pair(a: str, b: str, groups: list[_Group]) -> tuple[Pairwise, tuple[str, ...]]:
    """A against B on the items both were scored on, over every group both were scored in;
    a group scored in different modes or shot counts is left out (with why). Returns the pair
    and what was left out."""
    values_a: list[float] = []
    values_b: list[float] = []
    left_out: list[str] = []
    shared = 0
    for label, by_model, summaries in groups:
        if a not in by_model or b not in by_model:
            continue
        common = sorted(by_model[a].keys() & by_model[b].keys())
        shared += len(common)
        reason = _why_not_comparable(summaries[a], summaries[b])
        if reason is not None:
            left_out.append(f"{label}: {reason}" if label else reason)
            continue
        values_a += [by_model[a][i].value for i in common]
        values_b += [by_model[b][i].value for i in common]
    if not values_a:
        reason = _one_reason(left_out) or "no items scored by both"
        return Pairwise(model_a=a, model_b=b, n=shared, test=None, not_compared=reason), ()
    test = paired_test(values_a, values_b)
    return Pairwise(model_a=a, model_b=b, n=len(values_a), test=test), tuple(left_out)


def _why_not_comparable(a: MetricSummary, b: MetricSummary) -> str | None:
    if a.mode != b.mode:
        return f"scored in different modes ({a.mode} and {b.mode})"
    if a.shots != b.shots:
        return f"scored with different shot counts ({a.shots} and {b.shots})"
    return None


def _trials(store: Store, runs: list[RunRow], by_item: ItemScores) -> dict[str, TrialEntry]:
    """The names among the scores that are hands-on trials (see the module docstring), and the
    registered trials whose every case ended in an error record (shown as error counts)."""
    measured: dict[str, list[str]] = defaultdict(list)
    for benchmark, metric in by_item:
        measured[benchmark].append(metric)
    for run in runs:
        for error in store.errors(run.id):
            if error.benchmark in TRIALS:
                measured.setdefault(error.benchmark, [])
    recorded = {name: category for run in runs
                for name, category in run.environment.get("trial_categories", {}).items()}
    entries = []
    for name, metrics in measured.items():
        trial = TRIALS.get(name)
        if trial is not None:
            order = [m for m in trial.info.metrics if m in metrics or not metrics]
            entries.append(TrialEntry(name, trial.info.category,
                                      tuple(order + sorted(set(metrics) - set(order))),
                                      judged=trial.info.judged))
        elif _has_transcripts(store, runs, name, by_item):
            main = [PASS] if PASS in metrics else []
            entries.append(TrialEntry(name, recorded.get(name, OTHER),
                                      tuple(main + sorted(set(metrics) - {PASS})),
                                      registered=False))
    entries.sort(key=lambda e: (_category_rank(e.category), e.category, e.name))
    return {e.name: e for e in entries}


def _by_category(trials: dict[str, TrialEntry]) -> dict[str, list[TrialEntry]]:
    grouped: dict[str, list[TrialEntry]] = {}
    for entry in trials.values():
        grouped.setdefault(entry.category, []).append(entry)
    return grouped


def _has_transcripts(store: Store, runs: list[RunRow], name: str, by_item: ItemScores) -> bool:
    """Whether one scored case of `name` has a stored chat: trials store one, benchmarks none."""
    for (benchmark, _), by_model in by_item.items():
        if benchmark != name:
            continue
        for model, items in by_model.items():
            sample_id = next(iter(items))
            return any(store.transcript(run.id, model, name, sample_id) is not None
                       for run in runs)
    return False


def _category_rank(category: str) -> int:
    if category == OTHER:
        return len(CATEGORY_ORDER) + 1
    return CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)


def _hands_on(trials: dict[str, TrialEntry], by_item: ItemScores,
              summaries: dict[tuple[str, str], dict[str, MetricSummary]],
              models: list[str]) -> dict[str, CategoryResult]:
    results = {}
    for category, every in _by_category(trials).items():
        entries = [e for e in every if not e.judged]  # (quality from ratings, not passes)
        if not entries:
            continue
        keys = [(e.name, e.main_metric) for e in entries]
        groups: list[_Group] = [(key[0], by_item[key], summaries[key]) for key in keys
                                if key in by_item]
        totals = {}
        for model in models:
            rows = [r for key in keys for r in by_item.get(key, {}).get(model, {}).values()]
            if rows:
                totals[model] = CategoryTotal(_count(sum(r.value for r in rows)), len(rows))
        scored = [m for m in models if m in totals]
        pairs = [CategoryPair(*_pooled_pair(a, b, groups)) for a, b in combinations(scored, 2)]
        results[category] = CategoryResult(
            category, tuple(e.name for e in entries), totals, pairs,
            significant_best([p.pair for p in pairs], scored))
    return results


def _trial_errors(store: Store, runs: list[RunRow], by_item: ItemScores,
                  trials: dict[str, TrialEntry]) -> dict[str, dict[str, dict[str, int]]]:
    """Cases of each trial that ended in an error record and have no counted score, by kind
    (the latest run's record of a case counts)."""
    scored = {(model, benchmark, sample_id)
              for (benchmark, _), by_model in by_item.items() if benchmark in trials
              for model, items in by_model.items() for sample_id in items}
    latest: dict[tuple[str, str, str], str] = {}
    for run in runs:
        for error in store.errors(run.id):
            key = (error.model, error.benchmark, error.sample_id)
            if error.benchmark in trials and key not in scored:
                latest[key] = error.kind
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for (model, trial, _), kind in sorted(latest.items()):
        by_kind = counts.setdefault(trial, {}).setdefault(model, {})
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return {name: counts[name] for name in trials if name in counts}


def _count(value: float) -> float:
    """A sum of pass values as shown: float noise from a mean × n rounded away."""
    return round(value, 6)


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
        generation_wall_seconds=wall_seconds(c.timing for c in generated),
        benchmarks=tuple(benchmarks),
        estimated_tokens=any(c.usage.source == "estimate" for c in generated))


def _model_plans(runs: list[RunRow]) -> dict[str, dict[str, Any]]:
    """Each model's config as its (latest) run recorded it."""
    return {model["name"]: model for run in runs for model in run.plan["models"]}
