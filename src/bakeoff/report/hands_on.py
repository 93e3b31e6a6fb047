"""The hands-on trials' own figures, gathered once from the store for every renderer: each case's
whole chat and checks (the transcripts one click from a trial's score), function-calling failures
by rule, the long-context heat map with each model's effective length, and the per-language
rates. Scores, intervals and pairwise tests of the trials are in the Comparison
(bakeoff.report.comparison), like a benchmark's; this module only adds what trials have and
benchmarks do not. As in the Comparison, a case scored in several of the runs compared counts
once, from the run listed last, and a case that ended in an error record is never a fail.

- Failures by rule (trials of category "Function calling"): a case fails when its main metric
  is below 1; its rule is the first word of the check's reason, before ":" (the checker writes
  "missing_argument: city"); a reason that names no rule counts under UNLABELLED.
- Heat map (trials of category "Long context", pooled): per model, the mean of the main metric
  by (length, depth) from the cases' metadata, and the effective length as
  bakeoff.trials.long_context defines it (`effective_length` over `length_means`, threshold
  `THRESHOLD` = 0.85): the longest tested length up to which the mean over depths stays at or
  above the threshold. Lengths a model did not take (its window is shorter: an "unsupported"
  error record) are shown as not run, never as fails.
- Languages (trials of category "Languages", pooled): per language and model, the mean of each
  metric (pass, correct, in_language, ...). A case's language is its "language" metadata, else
  its trial's one language (TrialInfo.languages), else UNSTATED.
- Safety (trials of category "Safety"): attack success = 1 - "resisted" over the trials whose
  main metric is "resisted" (extraction, injection, policy), pooled and per trial; over-refusal
  = 1 - "answered" over those whose main metric is "answered". A model's rates count the cases
  of each trial that every model taking it was scored on (so the points compare like with
  like), with bootstrap 95% intervals; each pair of models gets the paired test (McNemar exact)
  over the cases both took. One rate without the other misleads (a model that refuses
  everything resists every attack), so the report shows them together.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from bakeoff.report.comparison import Comparison, TrialEntry
from bakeoff.scoring.metrics import PairedTest, estimate, paired_test
from bakeoff.store import ScoreRow, Store
from bakeoff.trials.abstention import abstention_summary
from bakeoff.trials.base import Check
from bakeoff.trials.long_context import THRESHOLD, effective_length, grid, length_means
from bakeoff.trials.registry import TRIALS
from bakeoff.trials.safety import ANSWERED, RESISTED
from bakeoff.types import Message, Sample

FUNCTION_CALLING = "Function calling"
LONG_CONTEXT = "Long context"
LANGUAGES = "Languages"
ABSTENTION = "Abstention"
SAFETY = "Safety"
UNLABELLED = "(no rule named)"
UNSTATED = "(not stated)"
# Cases per trial kept for the transcript view, and characters kept of one turn (its head and
# tail: a long-context prompt ends with its question): the page stays a bounded size.
MAX_TRANSCRIPT_CASES = 200
MAX_TURN_CHARS = 3000

_RULE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)\s*:")


@dataclass(frozen=True)
class ToolCallShown:
    name: str
    arguments: str


@dataclass(frozen=True)
class Turn:
    """One turn of a chat as shown; `hidden_chars` were cut from the middle of a long one."""

    role: str
    content: str
    tool_calls: tuple[ToolCallShown, ...] = ()
    tool_call_id: str | None = None
    hidden_chars: int = 0


@dataclass(frozen=True)
class CaseCheck:
    metric: str
    value: float
    reason: str


@dataclass(frozen=True)
class CaseResult:
    """One model on one case: how it took it, its checks and its chat (None: not stored)."""

    mode: str
    checks: tuple[CaseCheck, ...]
    turns: tuple[Turn, ...] | None


@dataclass(frozen=True)
class TrialCase:
    case_id: str
    prompt: str
    expected: str
    metadata: tuple[tuple[str, str], ...]
    results: dict[str, CaseResult]
    # model -> "kind: message" of the error record that ended the case (not scored)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialTranscripts:
    trial: str
    category: str
    cases: list[TrialCase]
    total_cases: int


@dataclass(frozen=True)
class Rate:
    mean: float
    n: int


@dataclass(frozen=True)
class RuleFailures:
    """Failed cases by rule, per model, over the function-calling trials' main metric."""

    trials: tuple[str, ...]
    # Rules by total count, most first.
    rules: tuple[str, ...]
    # model -> rule -> failed cases
    counts: dict[str, dict[str, int]]
    # model -> cases checked
    cases: dict[str, int]


@dataclass(frozen=True)
class ModelGrid:
    # (length, depth) -> mean of the main metric over the cell's cases
    cells: dict[tuple[int, float], Rate]
    # length -> mean over its depths (each depth weighs the same)
    length_means: dict[int, float]
    effective_length: int | None
    # (length, depth) -> cases not run: ended in an error record, without a score (most often
    # "unsupported": longer than the model's window)
    not_run: dict[tuple[int, float], int] = field(default_factory=dict)


@dataclass(frozen=True)
class HeatMap:
    trials: tuple[str, ...]
    threshold: float
    lengths: tuple[int, ...]
    depths: tuple[float, ...]
    models: dict[str, ModelGrid]


@dataclass(frozen=True)
class LanguageRates:
    trials: tuple[str, ...]
    languages: tuple[str, ...]
    metrics: tuple[str, ...]
    # language -> model -> metric -> rate
    rates: dict[str, dict[str, dict[str, Rate]]]


@dataclass
class HandsOn:
    transcripts: list[TrialTranscripts] = field(default_factory=list)
    failures: RuleFailures | None = None
    heat_map: HeatMap | None = None
    languages: LanguageRates | None = None
    # model -> the protocol's abstention figures (bakeoff.trials.abstention.abstention_summary:
    # cases, correct, incorrect, not_attempted, accuracy_given_attempted, correct_rate,
    # abstention_recall, f1), over the "Abstention" trials' cases
    abstention: dict[str, dict[str, float]] = field(default_factory=dict)
    # Attack success and over-refusal per model, and their paired tests, over the "Safety"
    # trials (None when none was run)
    safety: SafetyFigures | None = None


def failure_rule(reason: str | None) -> str:
    """The rule a failed check names: the first word of its reason, before ":"."""
    match = _RULE.match(reason or "")
    return match.group(1) if match else UNLABELLED


def clip(text: str, limit: int = MAX_TURN_CHARS) -> tuple[str, int]:
    """`text` with its middle cut to at most `limit` characters kept, and how many were cut."""
    if len(text) <= limit:
        return text, 0
    head = limit * 2 // 3
    hidden = len(text) - limit
    return (f"{text[:head]}\n[… {hidden:,} characters not shown …]\n{text[-(limit - head):]}",
            hidden)


# (trial, metric, model, case) -> (run id, row) that counts
_Counted = dict[tuple[str, str, str, str], tuple[int, ScoreRow]]


def build_hands_on(store: Store, comparison: Comparison) -> HandsOn:
    if not comparison.trials:
        return HandsOn()
    counted: _Counted = {}
    for run in comparison.runs:
        for row in store.scores(run.id):
            if row.benchmark in comparison.trials:
                counted[(row.benchmark, row.metric, row.model, row.sample_id)] = (run.id, row)
    scored = {(trial, model, case_id) for (trial, _, model, case_id) in counted}
    errors: dict[tuple[str, str, str], str] = {}
    for run in comparison.runs:
        for error in store.errors(run.id):
            key = (error.benchmark, error.model, error.sample_id)
            if error.benchmark in comparison.trials and key not in scored:
                errors[key] = f"{error.kind}: {error.message}"
    samples = _Samples(store)
    by_category = comparison.trial_categories()
    return HandsOn(
        transcripts=[_trial_transcripts(store, samples, entry, counted, errors, comparison)
                     for entry in comparison.trials.values()],
        failures=_failures(by_category.get(FUNCTION_CALLING, []), counted, comparison.models),
        heat_map=_heat_map(by_category.get(LONG_CONTEXT, []), counted, errors, samples,
                           comparison.models),
        languages=_languages(by_category.get(LANGUAGES, []), counted, samples,
                             comparison.models),
        abstention=_abstention(by_category.get(ABSTENTION, []), counted, samples,
                               comparison.models),
        safety=_safety(by_category.get(SAFETY, []), counted, comparison.models))


class _Samples:
    """Stored samples, each read once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[tuple[str, str], Sample | None] = {}

    def get(self, trial: str, case_id: str) -> Sample | None:
        key = (trial, case_id)
        if key not in self._cache:
            self._cache[key] = self._store.sample(trial, case_id)
        return self._cache[key]

    def meta(self, trial: str, case_id: str) -> dict[str, str]:
        sample = self.get(trial, case_id)
        return {} if sample is None else dict(sample.metadata)


def _main_rows(entries: list[TrialEntry],
               counted: _Counted) -> list[tuple[TrialEntry, ScoreRow]]:
    return [(entry, row) for (trial, metric, _, _), (_, row) in counted.items()
            for entry in entries if entry.name == trial and entry.main_metric == metric]


# Transcripts ----------------------------------------------------------------------------------

def _trial_transcripts(store: Store, samples: _Samples, entry: TrialEntry, counted: _Counted,
                       errors: dict[tuple[str, str, str], str],
                       comparison: Comparison) -> TrialTranscripts:
    # case -> model -> metric -> (run id, row)
    by_case: dict[str, dict[str, dict[str, tuple[int, ScoreRow]]]] = defaultdict(
        lambda: defaultdict(dict))
    for (trial, metric, model, case_id), value in counted.items():
        if trial == entry.name:
            by_case[case_id][model][metric] = value
    errored = {case_id for (trial, _, case_id) in errors if trial == entry.name}
    case_ids = sorted(by_case.keys() | errored, key=_natural)
    cases = []
    for case_id in case_ids[:MAX_TRANSCRIPT_CASES]:
        sample = samples.get(entry.name, case_id)
        results = {}
        for model in comparison.models:
            checks = by_case.get(case_id, {}).get(model)
            if checks:
                results[model] = _case_result(store, entry, model, case_id, checks)
        case_errors = {model: errors[(entry.name, model, case_id)] for model in comparison.models
                       if (entry.name, model, case_id) in errors and model not in results}
        prompt = clip(sample.input)[0] if sample else "(case text not stored)"
        expected = clip(sample.target)[0] if sample else ""
        cases.append(TrialCase(case_id, prompt, expected, sample.metadata if sample else (),
                               results, case_errors))
    return TrialTranscripts(entry.name, entry.category, cases, len(case_ids))


def _case_result(store: Store, entry: TrialEntry, model: str, case_id: str,
                 checks: dict[str, tuple[int, ScoreRow]]) -> CaseResult:
    order = [m for m in entry.metrics if m in checks] + sorted(set(checks) - set(entry.metrics))
    run_id, first = checks[order[0]]
    messages = store.transcript(run_id, model, entry.name, case_id)
    turns = None if messages is None else tuple(_turn(m) for m in messages)
    return CaseResult(first.mode, tuple(
        CaseCheck(metric, checks[metric][1].value, checks[metric][1].extracted or "")
        for metric in order), turns)


def _turn(message: Message) -> Turn:
    content, hidden = clip(message.content)
    return Turn(message.role, content,
                tuple(ToolCallShown(c.name, clip(c.arguments)[0]) for c in message.tool_calls),
                message.tool_call_id, hidden)


def _natural(case_id: str) -> tuple[str, int, str]:
    """trial/2 before trial/10."""
    head, _, tail = case_id.rpartition("/")
    return (head, int(tail), "") if tail.isdigit() else (head, -1, tail)


# Category figures -----------------------------------------------------------------------------

def _failures(entries: list[TrialEntry], counted: _Counted,
              models: list[str]) -> RuleFailures | None:
    rows = _main_rows(entries, counted)
    if not rows:
        return None
    counts: dict[str, dict[str, int]] = {}
    cases: dict[str, int] = {}
    totals: dict[str, int] = defaultdict(int)
    for _, row in rows:
        cases[row.model] = cases.get(row.model, 0) + 1
        counts.setdefault(row.model, {})
        if row.value < 1:
            rule = failure_rule(row.extracted)
            counts[row.model][rule] = counts[row.model].get(rule, 0) + 1
            totals[rule] += 1
    rules = tuple(sorted(totals, key=lambda r: (-totals[r], r)))
    return RuleFailures(tuple(e.name for e in entries), rules,
                        {m: {r: counts[m][r] for r in rules if r in counts[m]}
                         for m in models if m in counts},
                        {m: cases[m] for m in models if m in cases})


def _heat_map(entries: list[TrialEntry], counted: _Counted,
              errors: dict[tuple[str, str, str], str], samples: _Samples,
              models: list[str]) -> HeatMap | None:
    names = {e.name for e in entries}
    checks: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for entry, row in _main_rows(entries, counted):
        checks[row.model].append((samples.meta(entry.name, row.sample_id), row.value))
    not_run: dict[str, dict[tuple[int, float], int]] = defaultdict(lambda: defaultdict(int))
    for trial, model, case_id in errors:
        if trial in names and (cell := _cell(samples.meta(trial, case_id))) is not None:
            not_run[model][cell] += 1
    grids = {}
    for model in models:
        if model not in checks and model not in not_run:
            continue
        means = grid(checks.get(model, []))
        sizes: dict[tuple[int, float], int] = defaultdict(int)
        for meta, _ in checks.get(model, []):
            if (cell := _cell(meta)) is not None:
                sizes[cell] += 1
        by_length = length_means(means)
        grids[model] = ModelGrid({cell: Rate(mean, sizes[cell]) for cell, mean in means.items()},
                                 by_length, effective_length(by_length, THRESHOLD),
                                 dict(sorted(not_run.get(model, {}).items())))
    cells = {c for g in grids.values() for c in (*g.cells, *g.not_run)}
    if not cells:
        return None
    return HeatMap(tuple(e.name for e in entries), THRESHOLD,
                   tuple(sorted({length for length, _ in cells})),
                   tuple(sorted({depth for _, depth in cells})), grids)


def _cell(meta: dict[str, str]) -> tuple[int, float] | None:
    try:
        return int(meta["length"]), float(meta["depth"])
    except (KeyError, ValueError):
        return None


def _languages(entries: list[TrialEntry], counted: _Counted, samples: _Samples,
               models: list[str]) -> LanguageRates | None:
    names = {e.name for e in entries}
    values: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for (trial, metric, model, case_id), (_, row) in counted.items():
        if trial in names:
            language = samples.meta(trial, case_id).get("language") or _trial_language(trial)
            values[language][model][metric].append(row.value)
    if not values:
        return None
    metrics = list(dict.fromkeys(m for e in entries for m in e.metrics))
    rates = {language: {model: {metric: Rate(sum(v) / len(v), len(v))
                                for metric in metrics if (v := by_metric.get(metric))}
                        for model in models if (by_metric := by_model.get(model))}
             for language, by_model in sorted(values.items())}
    return LanguageRates(tuple(e.name for e in entries), tuple(rates), tuple(metrics), rates)


def _abstention(entries: list[TrialEntry], counted: _Counted, samples: _Samples,
                models: list[str]) -> dict[str, dict[str, float]]:
    """Each model's grades over its abstention cases, summarised as the protocol defines."""
    names = {e.name for e in entries}
    checks: dict[str, dict[tuple[str, str], list[Check]]] = defaultdict(lambda: defaultdict(list))
    for (trial, metric, model, case_id), (_, row) in counted.items():
        if trial in names:
            checks[model][(trial, case_id)].append(Check(metric, row.value, row.extracted or ""))
    return {model: abstention_summary(
                (tuple(samples.meta(trial, case_id).items()), case_checks)
                for (trial, case_id), case_checks in sorted(checks[model].items()))
            for model in models if model in checks}


def _trial_language(trial: str) -> str:
    registered = TRIALS.get(trial)
    if registered is not None and len(registered.info.languages) == 1:
        return registered.info.languages[0]
    return UNSTATED


# Safety ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    """`count` of `cases` (attacks that succeeded, or harmless requests refused), the rate and
    its bootstrap 95% interval (the report's resamples and seed)."""

    count: int
    cases: int
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ModelSafety:
    """One model's attack success (pooled over the attack trials, and per trial) and its
    over-refusal; None where it took no such case."""

    attack: Share | None
    families: dict[str, Share]
    over_refusal: Share | None


@dataclass(frozen=True)
class SharedCount:
    """Two models on the cases both took: A's and B's counts and the paired test (McNemar
    exact on these 0/1 outcomes), None when they shared no case."""

    cases: int
    count_a: int
    count_b: int
    test: PairedTest | None
    # Trials left out of this pair: the two models took them in different modes (native or
    # prompted tools), which are not ranked against each other.
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class SafetyPair:
    model_a: str
    model_b: str
    # Attack success pooled over the attack trials, and over-refusal.
    attack: SharedCount
    over_refusal: SharedCount


@dataclass(frozen=True)
class SafetyFigures:
    attack_trials: tuple[str, ...]
    over_refusal_trials: tuple[str, ...]
    models: dict[str, ModelSafety]
    pairs: list[SafetyPair]


# trial -> model -> case -> 1.0 when the attack succeeded (or the harmless request was refused)
_Failures = dict[str, dict[str, dict[str, float]]]


def _safety(entries: list[TrialEntry], counted: _Counted,
            models: list[str]) -> SafetyFigures | None:
    """Attack success (1 - resisted) over the trials whose main metric is "resisted", and
    over-refusal (1 - answered) over those whose main metric is "answered"."""
    attack = tuple(e.name for e in entries if e.main_metric == RESISTED)
    refusal = tuple(e.name for e in entries if e.main_metric == ANSWERED)
    failures: _Failures = {}
    modes: dict[tuple[str, str], set[str]] = {}
    for (trial, metric, model, case_id), (_, row) in counted.items():
        if (trial in attack and metric == RESISTED) or (trial in refusal and metric == ANSWERED):
            failures.setdefault(trial, {}).setdefault(model, {})[case_id] = 1.0 - row.value
            modes.setdefault((trial, model), set()).add(row.mode)
    if not failures:
        return None
    taken = [m for m in models if any(m in by_model for by_model in failures.values())]
    # A trial's cases that every model taking it was scored on: the points are comparable.
    shared = {trial: set.intersection(*(set(cases) for cases in by_model.values()))
              for trial, by_model in failures.items()}
    figures = {model: ModelSafety(
        attack=_share(_outcomes(failures, attack, [model], shared)[0]),
        families={t: share for t in attack
                  if (share := _share(_outcomes(failures, (t,), [model], shared)[0]))},
        over_refusal=_share(_outcomes(failures, refusal, [model], shared)[0]))
        for model in taken}
    pairs = [SafetyPair(a, b, _shared_count(failures, modes, attack, a, b),
                        _shared_count(failures, modes, refusal, a, b))
             for a, b in combinations(taken, 2)]
    return SafetyFigures(attack, refusal, figures, pairs)


def _outcomes(failures: _Failures, trials: tuple[str, ...], models: list[str],
              cases: dict[str, set[str]] | None = None) -> list[list[float]]:
    """Each model's outcomes, in one case order, over the cases of `trials` that every one of
    `models` took (and that are in `cases` where given)."""
    lists: list[list[float]] = [[] for _ in models]
    for trial in trials:
        by_model = failures.get(trial, {})
        if not all(m in by_model for m in models):
            continue
        common = set.intersection(*(set(by_model[m]) for m in models))
        if cases is not None:
            common &= cases.get(trial, set())
        for i, model in enumerate(models):
            lists[i] += [by_model[model][case_id] for case_id in sorted(common)]
    return lists


def _share(values: list[float]) -> Share | None:
    if not values:
        return None
    stats = estimate(values)
    return Share(round(sum(values)), len(values), stats.mean, stats.ci_low, stats.ci_high)


def _shared_count(failures: _Failures, modes: dict[tuple[str, str], set[str]],
                  trials: tuple[str, ...], a: str, b: str) -> SharedCount:
    """The pair's paired test over the trials both took in the same mode."""
    left_out = tuple(t for t in trials if (t, a) in modes and (t, b) in modes
                     and modes[(t, a)] != modes[(t, b)])
    kept = tuple(t for t in trials if t not in left_out)
    values_a, values_b = _outcomes(failures, kept, [a, b])
    if not values_a:
        return SharedCount(0, 0, 0, None, left_out)
    return SharedCount(len(values_a), round(sum(values_a)), round(sum(values_b)),
                       paired_test(values_a, values_b), left_out)
