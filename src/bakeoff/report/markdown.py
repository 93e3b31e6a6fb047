"""The Markdown summary: models as columns, one row per benchmark metric, then the pairwise
tests. A difference is worded as a win only when its paired test gives p < 0.05; models scored
in different modes are never ranked against each other, and the report says so."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bakeoff.report.comparison import Comparison, MetricSummary, ModelUsage, Pairwise
from bakeoff.scoring.metrics import RESAMPLES, SEED, SIGNIFICANCE, PairedTest

MISSING = "—"
TEST_NAMES = {"mcnemar-exact": "McNemar exact", "paired-bootstrap": "paired bootstrap"}


def render_markdown(comparison: Comparison) -> str:
    run_ids = ", ".join(str(r.id) for r in comparison.runs)
    lines = [f"# bakeoff report — run {run_ids}", ""]
    lines += _run_facts(comparison)
    lines += ["", "## Scores", ""]
    lines += _scores_table(comparison)
    lines += _mixed_mode_warnings(comparison)
    lines += ["", "## Pairwise", ""]
    lines += _pairwise_sections(comparison)
    lines += ["## Usage", ""]
    lines += _usage_table(comparison)
    lines += ["", _legend(), ""]
    return "\n".join(lines)


def _run_facts(comparison: Comparison) -> list[str]:
    facts = []
    for run in comparison.runs:
        created = datetime.fromtimestamp(run.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        env = run.environment
        facts.append(f"- run {run.id}: suite `{run.suite}`, {run.status}, started {created}, "
                     f"bakeoff {env.get('bakeoff')}, Python {env.get('python')}")
    return facts


def _scores_table(comparison: Comparison) -> list[str]:
    models = comparison.models
    rows = [_header(["benchmark", "metric", *models])]
    for (benchmark, metric), by_model in comparison.metrics.items():
        best = _best(by_model)
        cells = [_score_cell(by_model.get(m), m == best) for m in models]
        rows.append(_row([benchmark, metric, *cells]))
    if len(rows) == 1:
        rows.append(_row(["(no scores yet)", "", *[MISSING for _ in models]]))
    return rows


def _mixed_mode_warnings(comparison: Comparison) -> list[str]:
    warnings = []
    for (benchmark, metric), by_model in comparison.metrics.items():
        modes = sorted({s.mode for s in by_model.values()})
        if len(modes) > 1:
            warnings.append(f"Warning: {benchmark} {metric} was scored in different modes "
                            f"({' and '.join(modes)}); those scores are not ranked against "
                            "each other.")
    return ["", *warnings] if warnings else []


def _best(by_model: dict[str, MetricSummary]) -> str | None:
    """The model with the highest mean, only when every model was scored the same way."""
    if len(by_model) < 2 or len({s.mode for s in by_model.values()}) > 1:
        return None
    return max(by_model, key=lambda m: by_model[m].mean)


def _score_cell(summary: MetricSummary | None, best: bool) -> str:
    if summary is None:
        return MISSING
    stderr = "" if math.isnan(summary.stderr) else f" ± {summary.stderr:.3f}"
    interval = ("" if math.isnan(summary.ci_low)
                else f" [{summary.ci_low:.3f}, {summary.ci_high:.3f}]")
    value = f"**{summary.mean:.3f}**" if best else f"{summary.mean:.3f}"
    return f"{value}{stderr}{interval} (n={summary.n}, {summary.mode}, {summary.shots}-shot)"


def _pairwise_sections(comparison: Comparison) -> list[str]:
    lines: list[str] = []
    for (benchmark, metric), pairs in comparison.pairwise.items():
        if not pairs:
            continue
        lines += [f"### {benchmark} · {metric}", ""]
        lines += [f"- {_pair_sentence(pair)}" for pair in pairs]
        lines.append("")
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
        return (f"**{pair.model_a} beats {pair.model_b}** "
                f"({_difference(pair.model_a, pair.model_b, test, flipped=False)}).")
    return (f"**{pair.model_b} beats {pair.model_a}** "
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
        ("generation time (s)", [_seconds(usage.get(m)) for m in models]),
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


def _cost(usage: ModelUsage | None) -> str:
    if usage is None or usage.cost_usd is None:
        return f"{MISSING} (no price)"
    return f"${usage.cost_usd:,.4f}"


def _legend() -> str:
    return ("Scores are means over the items scored, ± one standard error, then [the bootstrap "
            f"95% interval] from {RESAMPLES:,} resamples of the items (seed {SEED}); **bold** "
            "marks the highest mean in a row when all models were scored in the same mode (not "
            "a claim of significance). Pairwise: each pair of models on the items both were "
            "scored on; right/wrong scores by McNemar's exact test, other scores by a paired "
            "bootstrap, the interval by a paired bootstrap; a model \"beats\" another only at "
            f"p < {SIGNIFICANCE} (not adjusted for the number of pairs). Errors are calls that "
            "failed after their retries: never scored. Generation time sums each request's "
            "latency; loglikelihood scoring is not counted in tokens.")


def _header(cells: list[str]) -> str:
    return _row(cells) + "\n" + _row(["---"] * len(cells))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
