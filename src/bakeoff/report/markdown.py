"""The Markdown summary: models as columns, one row per benchmark metric."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bakeoff.report.comparison import Comparison, MetricSummary, ModelUsage

MISSING = "—"


def render_markdown(comparison: Comparison) -> str:
    run_ids = ", ".join(str(r.id) for r in comparison.runs)
    lines = [f"# bakeoff report — run {run_ids}", ""]
    lines += _run_facts(comparison)
    lines += ["", "## Scores", ""]
    lines += _scores_table(comparison)
    lines += ["", "## Usage", ""]
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


def _best(by_model: dict[str, MetricSummary]) -> str | None:
    """The model with the highest mean, only when every model was scored the same way."""
    if len(by_model) < 2 or len({s.mode for s in by_model.values()}) > 1:
        return None
    return max(by_model, key=lambda m: by_model[m].mean)


def _score_cell(summary: MetricSummary | None, best: bool) -> str:
    if summary is None:
        return MISSING
    stderr = "" if math.isnan(summary.stderr) else f" ± {summary.stderr:.3f}"
    value = f"**{summary.mean:.3f}**" if best else f"{summary.mean:.3f}"
    return f"{value}{stderr} (n={summary.n}, {summary.mode}, {summary.shots}-shot)"


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
    return ("Scores are means over the items scored, ± one standard error; **bold** marks the "
            "highest mean in a row when all models were scored in the same mode (not a claim "
            "of significance). Errors are calls that failed after their retries: never scored. "
            "Generation time sums each request's latency; "
            "loglikelihood scoring is not counted in tokens.")


def _header(cells: list[str]) -> str:
    return _row(cells) + "\n" + _row(["---"] * len(cells))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
