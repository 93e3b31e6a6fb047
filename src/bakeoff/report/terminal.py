"""The decision report's summary as a terminal shows it after `bakeoff run` / `bakeoff report`:
the title and verdict, the benchmark and hands-on score tables, and "Which should you choose?",
as rich tables that fit the terminal's width (the files hold the rest).

Bold means what it means in the files (BOLD_MEANING), and the footnote says so under any table
that uses it. Model and benchmark names are shown as text, never read as rich markup. Prose
lines are returned as `Line`s: the caller prints them unwrapped (soft wrap), so piped output
keeps each sentence, and each path, on one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from bakeoff.report.comparison import Comparison, MetricSummary
from bakeoff.report.insights import DecisionReport
from bakeoff.report.markdown import BOLD_MEANING
from bakeoff.report.tables import CHOICE_NOTE, DETAILS_TITLE, choice_table, report_kind

MISSING = "—"


@dataclass(frozen=True)
class Line:
    """A line of prose: printed as is, with no line break added inside it."""

    text: str


Part = RenderableType | Line


def summary_parts(report: DecisionReport) -> list[Part]:
    """The summary, top to bottom: prose lines and tables."""
    data = report.data
    parts: list[Part] = [Line(f"{' vs '.join(data.models)}: bakeoff decision report "
                              f"({report_kind(data)})"),
                         Line(" ".join(report.verdict))]
    if report.details:
        parts += [Line(f"{DETAILS_TITLE}:"), *[Line(f"- {d}") for d in report.details]]
    comparison = data.comparison
    bold = False
    if comparison is not None:
        for title, keys, trials in _score_tables(comparison):
            table, marked = score_table(comparison, keys, title, trials=trials)
            parts.append(table)
            parts += [Line(w) for w in mode_warnings(comparison, keys)]
            bold = bold or marked
    if bold:
        parts.append(Line(BOLD_MEANING))
    parts += [choices_table(report), Line(CHOICE_NOTE)]
    return parts


def _score_tables(comparison: Comparison) -> list[tuple[str, list[tuple[str, str]], bool]]:
    """(title, keys, trials?) of the benchmark table and of the hands-on table (each trial's
    main metric; the files have every metric), those that have rows."""
    benchmarks = comparison.benchmark_keys()
    trials = [keys[0] for name in comparison.trials if (keys := comparison.trial_keys(name))]
    tables = [("Standard benchmarks", benchmarks, False), ("Hands-on trials", trials, True)]
    return [(title, keys, is_trial) for title, keys, is_trial in tables if keys]


def score_table(comparison: Comparison, keys: list[tuple[str, str]], title: str, *,
                trials: bool = False) -> tuple[Table, bool]:
    """A row per (benchmark or trial, metric), a column per model; and whether a cell is bold
    (the row's model significantly better than every other, as in the files)."""
    table = Table(title=title, show_lines=True, title_justify="left")
    table.add_column("trial" if trials else "benchmark", overflow="fold")
    table.add_column("metric", overflow="fold")
    for model in comparison.models:
        table.add_column(Text(model), overflow="fold")
    marked = False
    for key in keys:
        by_model = comparison.metrics.get(key, {})
        best = comparison.significant_best(key)
        marked = marked or best is not None
        settings = {_setting(s, shots=not trials) for s in by_model.values()}
        # One setting for the whole row goes under the metric, else in each cell.
        shared = settings.pop() if len(settings) == 1 else None
        metric = Text(key[1])
        if shared:
            metric.append(f"\n{shared}", style="dim")
        table.add_row(Text(key[0]), metric,
                      *[score_cell(by_model.get(m), m == best,
                                   setting=None if shared else _setting(by_model.get(m),
                                                                        shots=not trials))
                        for m in comparison.models])
    return table, marked


def score_cell(summary: MetricSummary | None, best: bool, *, setting: str | None = None) -> Text:
    """'0.750 ± 0.069', '[0.613, 0.875]', 'n=40' (and the setting, when given) on lines of
    their own; the mean in bold when `best`."""
    if summary is None:
        return Text(MISSING)
    stderr = "" if math.isnan(summary.stderr) else f" ± {summary.stderr:.3f}"
    cell = Text()
    cell.append(f"{summary.mean:.3f}", style="bold" if best else None)
    cell.append(stderr)
    if not math.isnan(summary.ci_low):
        cell.append(f"\n[{summary.ci_low:.3f}, {summary.ci_high:.3f}]")
    cell.append(f"\nn={summary.n}" + (f", {setting}" if setting else ""), style="dim")
    return cell


def _setting(summary: MetricSummary | None, *, shots: bool) -> str:
    """'generative, 5-shot' (a trial's shot count, always 0, left out)."""
    if summary is None:
        return ""
    return summary.mode + (f", {summary.shots}-shot" if shots else "")


def mode_warnings(comparison: Comparison, keys: list[tuple[str, str]]) -> list[str]:
    """A warning per row whose models were scored in different modes (never ranked)."""
    warnings = []
    for benchmark, metric in keys:
        modes = sorted({s.mode for s in comparison.metrics.get((benchmark, metric), {}).values()})
        if len(modes) > 1:
            warnings.append(f"Warning: {benchmark} {metric} was scored in different modes "
                            f"({' and '.join(modes)}); those scores are not ranked against "
                            "each other.")
    return warnings


def choices_table(report: DecisionReport) -> Table:
    """"Which should you choose?": a row per use case, its pick and why."""
    header, rows = choice_table(report.recommendations)
    table = Table(title="Which should you choose?", show_lines=True, title_justify="left",
                  expand=True)
    for column, ratio in zip(header, (2, 1, 4), strict=False):
        table.add_column(column, overflow="fold", ratio=ratio)
    for row in rows:
        table.add_row(*[Text(cell) for cell in row])
    return table
