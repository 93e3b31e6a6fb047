"""A speed summary as rich tables: one per model, a row per workload and load level.

A percentile taken over fewer requests than it needs (report.data.PERCENTILE_MIN_SAMPLES: p90
10, p99 100) is marked "*", and `percentile_note` says so under the tables."""

from __future__ import annotations

from rich.table import Table

from bakeoff.report.data import PERCENTILE_MIN_SAMPLES, too_few_samples
from bakeoff.speed.metrics import Distribution
from bakeoff.speed.summary import LevelSummary, ModelSpeed, SpeedSummary

_COLUMNS = ("workload", "load", "requests", "TTFT s p50/p90/p99", "output tok/s p50/p90/p99",
            "TPOT ms p50/p90/p99", "e2e s p50/p90/p99", "throughput tok/s", "tokens in / out")


def speed_tables(summary: SpeedSummary) -> list[Table]:
    return [model_table(model, summary.speed_run_id) for model in summary.models]


def model_table(model: ModelSpeed, speed_run_id: int) -> Table:
    table = Table(title=f"{model.model} (speed run {speed_run_id})")
    for column in _COLUMNS:
        table.add_column(column, overflow="fold")
    for level in model.levels:
        table.add_row(*level_cells(level))
    return table


def level_cells(level: LevelSummary) -> list[str]:
    errors = f" ({level.errors} failed)" if level.errors else ""
    return [
        _workload(level), level.label, f"{level.requests}{errors}",
        _spread(level.ttft_s, 1.0, 2), _spread(level.output_tokens_per_s, 1.0, 1),
        _spread(level.tpot_s, 1000.0, 1), _spread(level.e2e_s, 1.0, 2),
        "—" if level.throughput_tps is None else f"{level.throughput_tps:.1f}",
        _tokens(level),
    ]


def _workload(level: LevelSummary) -> str:
    if level.clipped_from is None:
        return level.workload
    return f"{level.workload} (clipped {level.clipped_from}→{level.prompt_tokens})"


def _spread(values: Distribution | None, scale: float, digits: int) -> str:
    """'p50/p90/p99', each marked "*" when taken over fewer values than it needs."""
    if values is None:
        return "—"
    return "/".join(f"{v * scale:.{digits}f}" + ("*" if too_few_samples(p, values.count) else "")
                    for p, v in ((50, values.p50), (90, values.p90), (99, values.p99)))


def percentile_note(summary: SpeedSummary) -> str | None:
    """The footnote for marked percentiles, when a table has one."""
    counts = [d.count for model in summary.models for level in model.levels
              for d in (level.ttft_s, level.output_tokens_per_s, level.tpot_s, level.e2e_s)
              if d is not None]
    if not any(too_few_samples(p, n) for n in counts for p in PERCENTILE_MIN_SAMPLES):
        return None
    needs = ", ".join(f"p{p} {n}" for p, n in PERCENTILE_MIN_SAMPLES.items())
    return (f"* taken over fewer values than the percentile needs ({needs}): near the "
            "slowest or fastest value measured, not a percentile; measure more requests "
            "(--runs) for one.")


def _tokens(level: LevelSummary) -> str:
    out = level.output_tokens_per_request
    mean_out = "—" if out is None else f"{out.mean:.0f}"
    labels = {"tokenizer": "tokenizer count", "estimate": "estimate"}
    sources = [labels[s] for s in level.token_sources if s in labels]
    note = f" ({', '.join(sources)})" if sources else ""
    prompt_note = " est." if level.prompt_token_source == "estimate" else ""
    return f"{level.prompt_tokens}{prompt_note} / {mean_out}{note}"
