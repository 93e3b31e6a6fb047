"""The decision report in Markdown: the same sections and figures as the HTML page (tables
shared through bakeoff.report.tables), minus what only a browser can show (charts, the
click-through transcripts), which it points to.

Scores: models as columns, one row per benchmark metric, then the pairwise tests. A difference
is worded as a win only when its paired test gives p < 0.05; models scored in different modes
are never ranked against each other, and the report says so. Hands-on trials have a section of
their own, by category, with the same cells and pairwise sentences (the same code), and their
category figures as tables (failures by rule, the long-context grid, rates by language, abstention
figures, attack success beside over-refusal). Judged answers (the judges' ratings) follow."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bakeoff.report.comparison import (
    CategoryPair,
    Comparison,
    MetricSummary,
    ModelUsage,
    Pairwise,
)
from bakeoff.report.data import ReportData
from bakeoff.report.evidence import safety_pair_lines
from bakeoff.report.hands_on import (
    ABSTENTION,
    FUNCTION_CALLING,
    LANGUAGES,
    LONG_CONTEXT,
    SAFETY,
)
from bakeoff.report.insights import DecisionReport, FaqEntry, Recommendation
from bakeoff.report.tables import (
    ABSTENTION_NOTE,
    BOLD_MEANING,
    CHOICE_NOTE,
    CLAIMS_NOTE,
    DETAILS_TITLE,
    ERRORS_NOTE,
    HEAT_MAP_NOTE,
    JUDGED_NOTE,
    JUDGED_TRIALS_NOTE,
    PUBLISHED_SPEED_NOTE,
    SAFETY_NOTE,
    SPEC_NOTE,
    SPEED_NOTE,
    TRIALS_NOTE,
    Table,
    abstention_table,
    category_totals,
    choice_table,
    claims_table,
    commands_label,
    effective_length_line,
    failures_table,
    heat_map_table,
    judged_category,
    judged_lines,
    judged_table,
    language_table,
    measured_speed_table,
    methodology_lines,
    price_note,
    price_table,
    published_speed_table,
    report_kind,
    safety_table,
    spec_table,
    statistics_note,
    trial_errors_table,
)
from bakeoff.scoring.metrics import RESAMPLES, SEED, SIGNIFICANCE, PairedTest

MISSING = "—"
__all__ = ["BOLD_MEANING", "render_markdown", "terminal_summary"]
TEST_NAMES = {"mcnemar-exact": "McNemar exact", "paired-bootstrap": "paired bootstrap"}


def render_markdown(data: ReportData, verdict: list[str], recommendations: list[Recommendation],
                    faq: list[FaqEntry], html_name: str = "", *,
                    details: Sequence[str] = ()) -> str:
    """The whole report; `html_name` is the HTML file beside it, for charts and transcripts;
    `details` are the verdict's evidence, listed below its two sentences."""
    lines = [*_head(data, verdict, details), ""]
    lines += _spec_section(data)
    lines += _benchmark_section(data.comparison)
    lines += _transcript_section(data, html_name)
    lines += _trials_section(data, html_name)
    lines += _judged_section(data)
    lines += _speed_section(data)
    lines += ["## Price and cost-effectiveness", "", *_text_table(price_table(data)), "",
              price_note(data), ""]
    lines += [*_choice_section(recommendations), ""]
    lines += _faq_section(faq)
    lines += _claims_section(data)
    lines += _methodology_section(data)
    return "\n".join(lines)


def terminal_summary(report: DecisionReport) -> str:
    """What a terminal shows after `bakeoff run` / `bakeoff report`: the report's title and
    verdict, its score table and its recommendations, as in the Markdown (the rest is in the
    files). A terminal does not render <br>: the lines of a cell are joined with "; "."""
    head = _head(report.data, report.verdict, report.details)
    scores = _scores_section(report.data.comparison)
    trials = _trial_scores(report.data.comparison)
    bold = [BOLD_MEANING] if any("**" in line for line in (*scores, *trials)) else []
    choices = _choice_section(report.recommendations, "; ")
    return "\n\n".join("\n".join(part).rstrip() for part in (head, scores, trials, bold,
                                                              choices) if part) + "\n"


def _head(data: ReportData, verdict: list[str], details: Sequence[str] = ()) -> list[str]:
    behind = ["", f"{DETAILS_TITLE}:", "", *[f"- {d}" for d in details]] if details else []
    return [f"# {' vs '.join(data.models)}", "", f"bakeoff decision report ({report_kind(data)})",
            "",
            "> " + " ".join(verdict), *behind]


def _choice_section(recommendations: list[Recommendation], cell_break: str = "<br>",
                    ) -> list[str]:
    return ["## Which should you choose?", "",
            *_text_table(choice_table(recommendations), cell_break), "", CHOICE_NOTE]


def _spec_section(data: ReportData) -> list[str]:
    table = spec_table(data)
    if table is None:
        return ["## Spec sheet", "", "No model card for these models.", ""]
    return ["## Spec sheet", "", *_text_table(table), "", SPEC_NOTE, ""]


def _benchmark_section(comparison: Comparison | None) -> list[str]:
    lines = _scores_section(comparison)
    if comparison is None or not comparison.metrics:
        return lines
    keys = comparison.benchmark_keys()
    if keys:
        lines += ["", "### Pairwise significance", ""]
        lines += _pairwise_sections(comparison, keys)
    lines += ["### Usage", "", *_usage_table(comparison), "", _legend(), ""]
    return lines


def _scores_section(comparison: Comparison | None) -> list[str]:
    """The heading, the runs and the score table (with its mode warnings)."""
    lines = ["## Standard benchmarks", ""]
    if comparison is None:
        return [*lines, "Not measured: no benchmark was run.", ""]
    if not comparison.metrics:
        return [*lines, *_run_facts(comparison), "", "Not measured: no item was scored.", ""]
    lines += _run_facts(comparison)
    keys = comparison.benchmark_keys()
    if not keys:
        return [*lines, "", "Not measured: no benchmark was run (hands-on trials only)."]
    return [*lines, "", *_scores_table(comparison, keys, comparison.significant_best),
            *_mixed_mode_warnings(comparison, keys)]


def _trial_scores(comparison: Comparison | None) -> list[str]:
    """The terminal's hands-on table: each trial's main metric, by category (the files have
    every metric)."""
    if comparison is None or not comparison.trials:
        return []
    keys = [comparison.trial_keys(name)[0] for name in comparison.trials
            if comparison.trial_keys(name)]
    return ["## Hands-on trials", "",
            *_scores_table(comparison, keys, comparison.significant_best, trials=True)]


def _trials_section(data: ReportData, html_name: str) -> list[str]:
    lines = ["## Hands-on trials", ""]
    comparison = data.comparison
    if comparison is None or not comparison.trials:
        return [*lines, "Not measured: no hands-on trial case was scored in these runs.", ""]
    lines += [TRIALS_NOTE, ""]
    for category, entries in comparison.trial_categories().items():
        keys = [k for entry in entries for k in comparison.trial_keys(entry.name)]
        lines += [f"### {category}", "",
                  *_scores_table(comparison, keys, comparison.significant_best, trials=True),
                  *_mixed_mode_warnings(comparison, keys), ""]
        result = comparison.hands_on.get(category)
        # Safety: attack success and over-refusal apart (below), never one pooled count.
        if result is not None and not (category == SAFETY and data.hands_on.safety):
            lines += [category_totals(result, data.models), ""]
            if len(result.trials) > 1 and result.pairs:  # (one trial: its own tests below)
                lines += ["Pooled over the category's trials:", "",
                          *[f"- {_category_pair_sentence(cp)}" for cp in result.pairs], ""]
        lines += _category_extras(data, category)
        lines += _pairwise_sections(comparison, keys, quiet=True)
    errors = trial_errors_table(data)
    if errors is not None:
        lines += ["### Errors (cases not scored)", "", *_text_table(errors), "", ERRORS_NOTE, ""]
    where = f"[{html_name}]({html_name}#trials)" if html_name else "the HTML report"
    lines += ["### Transcripts", "",
              f"Each case's whole chat (every turn, tool call and tool result) and its checks, "
              f"model by model, are in {where}:", ""]
    lines += [f"- {t.trial}: {t.total_cases} cases" for t in data.hands_on.transcripts]
    return [*lines, ""]


def _judged_section(data: ReportData) -> list[str]:
    lines = ["## Judged answers", ""]
    ratings = data.judged
    if ratings is None or not (ratings.judges or ratings.human):
        return [*lines, "Not measured: no verdicts on these runs' answers.", ""]
    for table in ratings.judges:
        lines += [f"### Rated by {table.source}", "",
                  *_text_table(judged_table(table, ratings.human)), "",
                  *[f"- {line}" for line in judged_lines(ratings, table)], ""]
    if not ratings.judges and ratings.human is not None:
        lines += ["### Rated by people", "",
                  *_text_table(judged_table(ratings.human, None)), "",
                  f"- {ratings.human.pairs} votes by {ratings.human.voters} voters.", ""]
    return [*lines, JUDGED_NOTE, ""]


def _category_pair_sentence(cp: CategoryPair) -> str:
    """A pooled pair, worded as any pair; what was left out (other modes) said after."""
    left_out = f" Left out: {'; '.join(cp.left_out)}." if cp.left_out else ""
    return _pair_sentence(cp.pair) + left_out


def _category_extras(data: ReportData, category: str) -> list[str]:
    hands_on = data.hands_on
    if judged_category(data, category):
        return [JUDGED_TRIALS_NOTE, ""]
    if category == FUNCTION_CALLING and hands_on.failures is not None:
        return ["#### Failures by rule", "",
                *_text_table(failures_table(hands_on.failures, data.models)), "",
                "A failed case counts under the rule its check names first (the reason before "
                "\":\").", ""]
    if category == LONG_CONTEXT and hands_on.heat_map is not None:
        heat_map = hands_on.heat_map
        lines = ["#### Recall by length and depth", ""]
        for model in heat_map.models:
            lines += [f"{model}:", "", *_text_table(heat_map_table(heat_map, model)), ""]
        lines += [f"- {effective_length_line(heat_map, m)}" for m in heat_map.models]
        return [*lines, "", HEAT_MAP_NOTE.format(threshold=heat_map.threshold), ""]
    if category == LANGUAGES and hands_on.languages is not None:
        return ["#### By language", "",
                *_text_table(language_table(hands_on.languages, data.models)), ""]
    if category == SAFETY and hands_on.safety is not None:
        return ["#### Attack success and over-refusal", "",
                *_text_table(safety_table(hands_on.safety, data.models)), "",
                *[f"- {line}" for line in safety_pair_lines(hands_on.safety)], "",
                SAFETY_NOTE, ""]
    if category == ABSTENTION and hands_on.abstention:
        return ["#### Abstention figures", "",
                *_text_table(abstention_table(hands_on.abstention, data.models)), "",
                ABSTENTION_NOTE, ""]
    return []


def _transcript_section(data: ReportData, html_name: str) -> list[str]:
    lines = ["## Transcripts", ""]
    if not data.transcripts:
        return [*lines, "Not measured: no answers stored.", ""]
    where = f"[{html_name}]({html_name}#transcripts)" if html_name else "the HTML report"
    lines.append(f"Each model's prompt and answer, item by item, are in {where}:")
    lines.append("")
    lines += [f"- {g.benchmark} · {g.metric}: {g.total_items} items" for g in data.transcripts]
    return [*lines, ""]


def _speed_section(data: ReportData) -> list[str]:
    measured = measured_speed_table(data)
    published = published_speed_table(data)
    if measured is None or data.speed is None:
        lines = ["## Speed", "", "Not measured: no speed measurement for these models.", ""]
    else:
        lines = ["## Speed (measured)", "", *_text_table(measured), "",
                 f"Source: {data.speed.source}. {SPEED_NOTE}", ""]
    if published is not None:
        lines += ["### Published speeds (published, not measured)", "",
                  *_text_table(published), "", PUBLISHED_SPEED_NOTE, ""]
    return lines


def _faq_section(faq: list[FaqEntry]) -> list[str]:
    if not faq:
        return ["## FAQ", "", "No figures to compare.", ""]
    return ["## FAQ", "", *[f"- *{e.question}* {e.answer}" for e in faq], ""]


def _claims_section(data: ReportData) -> list[str]:
    table = claims_table(data)
    if table is None:
        return ["## Published vs measured", "", "No card records published scores.", ""]
    return ["## Published vs measured", "", *_text_table(table), "", CLAIMS_NOTE, ""]


def _methodology_section(data: ReportData) -> list[str]:
    return ["## Methodology and reproducibility", "",
            *[f"- {line}" for line in methodology_lines(data)], "", commands_label(data), "",
            *[f"- `{command}`" for command in data.commands], "", statistics_note(data), ""]


def _text_table(table: Table, cell_break: str = "<br>") -> list[str]:
    header, rows = table
    return [_header(header), *[_row([cell.replace("\n", cell_break) for cell in row])
                               for row in rows]]


def _run_facts(comparison: Comparison) -> list[str]:
    facts = []
    for run in comparison.runs:
        created = datetime.fromtimestamp(run.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        env = run.environment
        facts.append(f"- run {run.id}: suite `{run.suite}`, {run.status}, started {created}, "
                     f"bakeoff {env.get('bakeoff')}, Python {env.get('python')}")
    return facts


def _scores_table(comparison: Comparison, keys: list[tuple[str, str]],
                  best_of: Callable[[tuple[str, str]], str | None], *,
                  trials: bool = False) -> list[str]:
    """A row per (benchmark or trial, metric) of `keys`; `best_of` names the model in bold.
    A trial's cells leave out the shot count (always 0)."""
    models = comparison.models
    rows = [_header(["trial" if trials else "benchmark", "metric", *models])]
    for key in keys:
        by_model = comparison.metrics.get(key, {})
        best = best_of(key)
        cells = [_score_cell(by_model.get(m), m == best, shots=not trials) for m in models]
        rows.append(_row([*key, *cells]))
    if len(rows) == 1:
        rows.append(_row(["(no scores yet)", "", *[MISSING for _ in models]]))
    return rows


def _mixed_mode_warnings(comparison: Comparison, keys: list[tuple[str, str]]) -> list[str]:
    warnings = []
    for benchmark, metric in keys:
        by_model = comparison.metrics.get((benchmark, metric), {})
        modes = sorted({s.mode for s in by_model.values()})
        if len(modes) > 1:
            warnings.append(f"Warning: {benchmark} {metric} was scored in different modes "
                            f"({' and '.join(modes)}); those scores are not ranked against "
                            "each other.")
    return ["", *warnings] if warnings else []


def _score_cell(summary: MetricSummary | None, best: bool, *, shots: bool = True) -> str:
    if summary is None:
        return MISSING
    stderr = "" if math.isnan(summary.stderr) else f" ± {summary.stderr:.3f}"
    interval = ("" if math.isnan(summary.ci_low)
                else f" [{summary.ci_low:.3f}, {summary.ci_high:.3f}]")
    value = f"**{summary.mean:.3f}**" if best else f"{summary.mean:.3f}"
    setting = f", {summary.shots}-shot" if shots else ""
    return f"{value}{stderr}{interval} (n={summary.n}, {summary.mode}{setting})"


def _pairwise_sections(comparison: Comparison, keys: list[tuple[str, str]], *,
                       quiet: bool = False) -> list[str]:
    """The pairwise sentences of each metric of `keys`; `quiet`: nothing when there are none."""
    lines: list[str] = []
    for benchmark, metric in keys:
        pairs = comparison.pairwise.get((benchmark, metric), [])
        if not pairs:
            continue
        lines += [f"#### {benchmark} · {metric}", ""]
        lines += [f"- {_pair_sentence(pair)}" for pair in pairs]
        lines.append("")
    if quiet:
        return lines
    return lines or ["(fewer than two models scored on any benchmark metric)", ""]


def _pair_sentence(pair: Pairwise) -> str:
    if pair.test is None:
        return (f"{pair.model_a} vs {pair.model_b}: not compared, {pair.not_compared}; "
                "their scores are not ranked against each other.")
    test = pair.test
    if not test.significant:
        return (f"{pair.model_a} vs {pair.model_b}: not significant at this sample size "
                f"({_difference(pair.model_a, pair.model_b, test, flipped=False)}).")
    if test.difference > 0:
        return (f"{pair.model_a} beats {pair.model_b} "
                f"({_difference(pair.model_a, pair.model_b, test, flipped=False)}).")
    return (f"{pair.model_b} beats {pair.model_a} "
            f"({_difference(pair.model_b, pair.model_a, test, flipped=True)}).")


def _difference(first: str, second: str, test: PairedTest, *, flipped: bool) -> str:
    """first - second with its interval, p-value and discordant counts (B - A when flipped)."""
    sign = -1 if flipped else 1
    low, high = sorted((sign * test.ci_low, sign * test.ci_high))
    ahead, behind = (test.c, test.b) if flipped else (test.b, test.c)
    if test.test == "mcnemar-exact":
        counts = f"only {first} right on {ahead}, only {second} right on {behind}"
    else:
        counts = f"{first} higher on {ahead}, {second} higher on {behind}"
    return (f"{first} - {second} = {_signed(sign * test.difference)}, 95% interval "
            f"[{_signed(low)}, {_signed(high)}], {TEST_NAMES[test.test]} p {_p(test.p_value)}; "
            f"{test.n} items, {counts}")


def _signed(value: float) -> str:
    # A difference that rounds to zero gets no sign, so "-0.000" never appears.
    text = f"{value:+.3f}"
    return "0.000" if float(text) == 0 else text


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"= {value:.3g}"


def _usage_table(comparison: Comparison) -> list[str]:
    models = comparison.models
    usage = comparison.usage
    rows = [_header(["", *models])]
    lines: list[tuple[str, list[str]]] = [
        ("errors", [_int(usage.get(m), "errors") for m in models]),
        ("calls", [_int(usage.get(m), "calls") for m in models]),
        ("input tokens (generation)", [_int(usage.get(m), "input_tokens") for m in models]),
        ("output tokens", [_int(usage.get(m), "output_tokens") for m in models]),
        ("generation time, summed over requests (s)",
         [_seconds(usage.get(m)) for m in models]),
        ("generation wall-clock time (s)", [_wall_seconds(usage.get(m)) for m in models]),
        ("cost (USD)", [_cost(usage.get(m)) for m in models]),
    ]
    rows += [_row([label, *cells]) for label, cells in lines]
    return rows


def _int(usage: ModelUsage | None, attribute: str) -> str:
    if usage is None:
        return MISSING
    estimate = " (estimate)" if usage.estimated_tokens and attribute.endswith("_tokens") else ""
    return f"{getattr(usage, attribute):,}{estimate}"


def _seconds(usage: ModelUsage | None) -> str:
    return MISSING if usage is None else f"{usage.generation_seconds:,.1f}"


def _wall_seconds(usage: ModelUsage | None) -> str:
    return MISSING if usage is None else f"{usage.generation_wall_seconds:,.1f}"


def _cost(usage: ModelUsage | None) -> str:
    if usage is None or usage.cost_usd is None:
        return f"{MISSING} (no price)"
    return f"${usage.cost_usd:,.4f}"


def _legend() -> str:
    return ("Scores are means over the items scored, ± one standard error, then [the bootstrap "
            f"95% interval] from {RESAMPLES:,} resamples of the items (seed {SEED}). "
            f"{BOLD_MEANING} Pairwise: each pair of models on the items both were "
            "scored on; right/wrong scores by McNemar's exact test, other scores by a paired "
            "bootstrap, the interval by a paired bootstrap; a model \"beats\" another only at "
            f"p < {SIGNIFICANCE} (not adjusted for the number of pairs). Errors are calls that "
            "failed after their retries: never scored. Generation time summed over requests adds "
            "up each request's latency, so requests that ran at the same time count each "
            "(it can exceed the run's duration); the wall-clock time is the union of their "
            "intervals, the time the model was generating. Loglikelihood scoring is not "
            "counted in tokens.")


def _header(cells: list[str]) -> str:
    return _row(cells) + "\n" + _row(["---"] * len(cells))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
