"""What a decision report is made of, gathered once: the measured comparison (scores, tests,
usage and cost), each model's card, speed (optional), per-category scores and transcripts, and
the hands-on trials' own figures (bakeoff.report.hands_on: each case's chat and checks,
function-calling failures by rule, the long-context heat map, per-language rates, abstention
and safety figures), and the judged trials' ratings (bakeoff.judging.ratings.ratings_for: per
judge, raw and length-controlled Bradley–Terry ratings with intervals, position bias,
self-judged contestants; people's ratings and the judge–human agreement). Benchmark
transcripts and per-category scores are of standard benchmarks only: a trial's cases are in
`hands_on`.
Every renderer (HTML, Markdown, JSON, terminal) and the insights read this; none of them go
back to the store. Cards and prices come from bakeoff.catalog.resolve (configured figures win
over the card's), for a run's models as its plan recorded them and for `--models` names as
the config in use defines them.

Speed comes in as `SpeedFigures`, a plain typed input: whoever measured speed fills it in, and a
report without it says "not measured". A report built from cards alone (`report_from_cards`)
has no comparison: it shows only published figures, labelled as such.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bakeoff.catalog import ModelCard
from bakeoff.catalog.resolve import ModelFigures, named_figures, plan_figures
from bakeoff.judging.ratings import Ratings, ratings_for
from bakeoff.report.comparison import Comparison, build_comparison
from bakeoff.report.hands_on import HandsOn, build_hands_on
from bakeoff.speed.summary import SpeedSummary
from bakeoff.store import RunRow, ScoreRow, Store
from bakeoff.types import Completion, Sample

if TYPE_CHECKING:
    from bakeoff.config import Config

# Metadata keys that name an item's category (MMLU's subject, and the like).
CATEGORY_KEYS = ("subject", "category")
# Items per benchmark kept for the transcript view: enough to browse, bounded page size.
MAX_TRANSCRIPT_ITEMS = 200


@dataclass(frozen=True)
class ModelSpeed:
    """One model's speed; any figure may be None (not measured). Times in seconds."""

    ttft_p50_s: float | None = None
    ttft_p90_s: float | None = None
    ttft_p99_s: float | None = None
    tokens_per_s_p50: float | None = None
    tokens_per_s_p90: float | None = None
    tokens_per_s_p99: float | None = None
    # (concurrency, aggregate output tokens/s) from a load sweep.
    throughput_by_concurrency: tuple[tuple[int, float], ...] = ()
    # The requests each kind of percentile was taken over (None: not recorded).
    ttft_samples: int | None = None
    tokens_per_s_samples: int | None = None


# The fewest samples a percentile needs: 100 / (100 - p), so that at least one sample lies
# above it. A p99 of 3 requests is the slowest of the three, not a p99: reports mark it.
PERCENTILE_MIN_SAMPLES = {50: 2, 90: 10, 99: 100}


def too_few_samples(percentile: int, samples: int | None) -> bool:
    """Whether a percentile was taken over fewer samples than it needs."""
    return samples is not None and samples < PERCENTILE_MIN_SAMPLES[percentile]


@dataclass(frozen=True)
class SpeedFigures:
    """Speed for some of the models; `source` says where it comes from (e.g. "speed run 3")."""

    models: dict[str, ModelSpeed]
    source: str


@dataclass(frozen=True)
class Answer:
    """One model's answer to one item: what it said, and how it scored."""

    text: str
    score: float
    extracted: str | None
    # Multiple choice scored by log-likelihood: (choice, log p) for every choice, in order.
    choice_logprobs: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class TranscriptItem:
    sample_id: str
    prompt: str
    target: str
    answers: dict[str, Answer]
    # The prompt split for reading: the item's own question, and the few-shot examples and
    # instructions before it ("" when the prompt has none).
    question: str = ""
    examples: str = ""


@dataclass(frozen=True)
class TranscriptGroup:
    """Items of one benchmark metric with every model's answer (a hands-on trial's cases are
    bakeoff.report.hands_on.TrialTranscripts)."""

    benchmark: str
    metric: str
    items: list[TranscriptItem]
    total_items: int


@dataclass(frozen=True)
class CategoryScore:
    mean: float
    n: int


@dataclass
class ReportData:
    models: list[str]
    comparison: Comparison | None
    cards: dict[str, ModelCard | None]
    speed: SpeedFigures | None = None
    # Configured machine prices per hour (self-hosted models), by model; no card has one.
    price_per_hour: dict[str, float] = field(default_factory=dict)
    transcripts: list[TranscriptGroup] = field(default_factory=list)
    # (benchmark, metric) -> category -> model -> score
    categories: dict[tuple[str, str], dict[str, dict[str, CategoryScore]]] = field(
        default_factory=dict)
    generated_at: float = 0.0
    commands: list[str] = field(default_factory=list)
    hands_on: HandsOn = field(default_factory=HandsOn)
    # The judges' and people's ratings of the judged trials' answers (None: no verdicts)
    judged: Ratings | None = None

    @property
    def measured(self) -> bool:
        """Whether any item was scored: a report of cards alone, or of runs that scored
        nothing (stopped by a budget of 0, every call failed), measured nothing."""
        return self.comparison is not None and bool(self.comparison.metrics)

    def card(self, model: str) -> ModelCard | None:
        return self.cards.get(model)


def build_report_data(store: Store, run_ids: list[int], speed: SpeedFigures | None = None,
                      generated_at: float | None = None) -> ReportData:
    comparison = build_comparison(store, run_ids)
    rows = _latest_rows([row for run in comparison.runs for row in store.scores(run.id)
                         if row.benchmark not in comparison.trials])
    figures = {m["name"]: plan_figures(m) for run in comparison.runs for m in run.plan["models"]}
    return ReportData(
        models=comparison.models, comparison=comparison,
        cards={name: f.card for name, f in figures.items()}, speed=speed,
        price_per_hour=_per_hour(figures.values()),
        transcripts=_transcripts(store, rows, comparison.models),
        categories=_categories(store, rows),
        generated_at=time.time() if generated_at is None else generated_at,
        commands=[*[c for run in comparison.runs if (c := run_command(run))],
                  f"bakeoff report {' '.join(str(r) for r in run_ids)}"],
        hands_on=build_hands_on(store, comparison),
        judged=ratings_for(store, run_ids))


def run_command(run: RunRow) -> str | None:
    """The command line that made a run, as recorded with it (environment "command", e.g.
    "bakeoff run --suite quick"); None for a run that did not record it."""
    command = run.environment.get("command")
    return command if isinstance(command, str) and command else None


def report_from_cards(names: list[str], speed: SpeedFigures | None = None,
                      generated_at: float | None = None, *,
                      config: Config | None = None) -> ReportData:
    """A report of published figures only, no measurements: a name that is a model of
    `config` shows its configured figures over its linked card; any other name is a shipped
    card (CardError when there is none)."""
    figures = {name: named_figures(name, config) for name in names}
    return ReportData(models=list(names), comparison=None,
                      cards={name: f.card for name, f in figures.items()}, speed=speed,
                      price_per_hour=_per_hour(figures.values()),
                      generated_at=time.time() if generated_at is None else generated_at,
                      commands=[f"bakeoff report --models {','.join(names)}"])


def _per_hour(figures: Iterable[ModelFigures]) -> dict[str, float]:
    return {f.name: f.price_per_hour for f in figures if f.price_per_hour is not None}


def _latest_rows(rows: list[ScoreRow]) -> list[ScoreRow]:
    latest: dict[tuple[str, str, str, str], ScoreRow] = {}
    for row in rows:
        latest[(row.model, row.benchmark, row.metric, row.sample_id)] = row
    return list(latest.values())


def _transcripts(store: Store, rows: list[ScoreRow], models: list[str]) -> list[TranscriptGroup]:
    grouped: dict[tuple[str, str], dict[str, dict[str, ScoreRow]]] = defaultdict(
        lambda: defaultdict(dict))
    for row in rows:
        grouped[(row.benchmark, row.metric)][row.sample_id][row.model] = row
    shown = {key: sorted(by_item, key=_natural)[:MAX_TRANSCRIPT_ITEMS]
             for key, by_item in grouped.items()}
    keys = sorted({k for key, ids in shown.items() for sample_id in ids
                   for row in grouped[key][sample_id].values() for k in row.completion_keys})
    completions = store.completions(keys)
    groups = []
    for (benchmark, metric), by_item in sorted(grouped.items()):
        items = []
        for sample_id in shown[(benchmark, metric)]:
            sample = store.sample(benchmark, sample_id)
            answers = {model: _answer([completions.get(k) for k in scored.completion_keys],
                                      scored, sample)
                       for model in models if (scored := by_item[sample_id].get(model))}
            prompt = sample.input if sample else "(item text not stored)"
            shots = max((row.shots for row in by_item[sample_id].values()), default=0)
            question, examples = split_prompt(prompt, shots)
            items.append(TranscriptItem(sample_id, prompt, sample.target if sample else "",
                                        answers, question, examples))
        groups.append(TranscriptGroup(benchmark, metric, items, len(by_item)))
    return groups


def split_prompt(prompt: str, shots: int) -> tuple[str, str]:
    """(the item's question, the few-shot examples and instructions before it). A few-shot
    prompt's blocks are separated by blank lines and the question is the last one; a zero-shot
    prompt (code, say, with blank lines of its own) is the question whole."""
    if shots <= 0 or "\n\n" not in prompt.strip():
        return prompt, ""
    examples, _, question = prompt.rstrip().rpartition("\n\n")
    return question, examples


def _answer(completions: list[Completion | None], scored: ScoreRow,
            sample: Sample | None) -> Answer:
    found = [c for c in completions if c is not None]
    if not found:
        return Answer("(answer not stored)", scored.value, scored.extracted)
    logprobs = [c.logprob for c in found]
    if len(found) > 1 and len(found) == len(completions) and all(
            lp is not None for lp in logprobs):
        labels = _choice_labels(sample, len(found))
        return Answer("(scored by log-likelihood: the choice with the highest log p is the "
                      "answer)", scored.value, scored.extracted,
                      tuple((label, lp) for label, lp in zip(labels, logprobs, strict=True)
                            if lp is not None))
    first = found[0]
    if first.logprob is not None:
        return Answer(f"(scored by log-likelihood: log p = {first.logprob:.3f})", scored.value,
                      scored.extracted)
    return Answer(str(first.text), scored.value, scored.extracted)


def _choice_labels(sample: Sample | None, count: int) -> list[str]:
    """The choices as the item lists them (a long one cut short), else their letters."""
    if sample is not None and len(sample.choices) == count:
        return [c if len(c) <= 60 else c[:59] + "…" for c in sample.choices]
    return [chr(ord("A") + i) for i in range(count)]


def _natural(sample_id: str) -> tuple[str, int, str]:
    """benchmark/2 before benchmark/10."""
    head, _, tail = sample_id.rpartition("/")
    return (head, int(tail), "") if tail.isdigit() else (head, -1, tail)


def _categories(store: Store,
                rows: list[ScoreRow]) -> dict[tuple[str, str], dict[str, dict[str, CategoryScore]]]:
    sums: dict[tuple[str, str], dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for row in rows:
        sample = store.sample(row.benchmark, row.sample_id)
        category = next((sample.meta(k) for k in CATEGORY_KEYS if sample and sample.meta(k)), "")
        if category:
            sums[(row.benchmark, row.metric)][category][row.model].append(row.value)
    return {key: {category: {model: CategoryScore(sum(v) / len(v), len(v))
                             for model, v in sorted(by_model.items())}
                  for category, by_model in sorted(by_category.items())}
            for key, by_category in sorted(sums.items())}


def latest_speed_figures(store: Store, speed_run_id: int | None = None) -> SpeedFigures | None:
    """The speed figures of a speed run, or of the latest finished one; None if there is none
    (what a report of a run shows when no speed run is named)."""
    from bakeoff.speed.summary import speed_summary

    if speed_run_id is None:
        finished = [run.id for run in store.speed_runs() if run.status == "finished"]
        if not finished:
            return None
        speed_run_id = finished[-1]
    return speed_figures(speed_summary(store, speed_run_id))


def speed_figures(summary: SpeedSummary, workload: str = "short") -> SpeedFigures:
    """The report's speed input from a stored speed run: percentiles at concurrency 1 of one
    workload (the first one measured when `workload` was not), throughput at every level."""
    models: dict[str, ModelSpeed] = {}
    for model in summary.models:
        label = chosen_workload(summary, workload)
        chosen = [lv for lv in model.levels
                  if lv.mode == "concurrency" and lv.workload == label]
        single = next((lv for lv in chosen if lv.concurrency == 1), None)
        ttft = single.ttft_s if single else None
        rate = single.output_tokens_per_s if single else None
        models[model.model] = ModelSpeed(
            ttft_p50_s=ttft.p50 if ttft else None, ttft_p90_s=ttft.p90 if ttft else None,
            ttft_p99_s=ttft.p99 if ttft else None,
            tokens_per_s_p50=rate.p50 if rate else None,
            tokens_per_s_p90=rate.p90 if rate else None,
            tokens_per_s_p99=rate.p99 if rate else None,
            throughput_by_concurrency=tuple(
                (lv.concurrency, lv.throughput_tps) for lv in chosen
                if lv.concurrency is not None and lv.throughput_tps is not None),
            ttft_samples=ttft.count if ttft else None,
            tokens_per_s_samples=rate.count if rate else None,
        )
    label = chosen_workload(summary, workload)
    return SpeedFigures(models, f"speed run {summary.speed_run_id} ({label} workload)")


def chosen_workload(summary: SpeedSummary, workload: str) -> str:
    measured = [lv.workload for m in summary.models for lv in m.levels]
    return workload if workload in measured or not measured else measured[0]
