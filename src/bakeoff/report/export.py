"""Export a run: every per-sample score, each model's summary and the pairwise tests.

JSON (one file, `schema_version` 1)::

    schema_version  1; bumped whenever a field changes meaning or goes away
    run             id, suite, status, created_at and finished_at (Unix seconds, finished_at
                    null while unfinished), models (names in plan order), environment (bakeoff
                    and Python versions and the like, as stored with the run)
    statistics      confidence (0.95), resamples (10000), seed, significance (0.05): how
                    the intervals and verdicts were computed (see bakeoff.scoring.metrics)
    summaries       one per (benchmark, metric, model): benchmark, metric, model, mode
                    ("loglikelihood" | "generative"), shots, n (items scored), mean, stderr
                    (null when n < 2), ci_low, ci_high (percentile bootstrap interval)
    pairwise        one per pair of models on a (benchmark, metric), model order:
                    benchmark, metric, model_a, model_b, n (items both were scored on),
                    test ("mcnemar-exact" | "paired-bootstrap" | null when not compared),
                    mean_a, mean_b (over the n shared items), difference (mean_a - mean_b),
                    ci_low, ci_high (paired bootstrap interval of the difference), p_value,
                    b (items only A got right, or where A scored higher), c (the same for B),
                    significant (p_value < significance), not_compared (why there is no test,
                    e.g. different modes; null otherwise). Statistics are null when there is
                    no test.
    scores          one per stored score: model, benchmark, sample_id, metric, mode, shots,
                    value (in [0, 1]), extracted (what the scorer read from the answer, or null)

The format follows the file's extension (.json, .csv) unless one is given (`format_for`).

CSV: the scores table goes to the path given, with the columns of `scores` above; the pairwise
table goes beside it, to `<stem>.pairwise.csv`, with the columns of `pairwise`. An empty cell
stands for null; booleans are `true` / `false`. Floats are written in full (repr) precision in
both formats.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from bakeoff.report.comparison import Comparison, Pairwise, build_comparison
from bakeoff.scoring.metrics import CONFIDENCE, RESAMPLES, SEED, SIGNIFICANCE
from bakeoff.store import RunRow, ScoreRow, Store

SCHEMA_VERSION = 1
ExportFormat = Literal["json", "csv"]

SCORE_FIELDS = ["model", "benchmark", "sample_id", "metric", "mode", "shots", "value",
                "extracted"]
PAIRWISE_FIELDS = ["benchmark", "metric", "model_a", "model_b", "n", "test", "mean_a", "mean_b",
                   "difference", "ci_low", "ci_high", "p_value", "b", "c", "significant",
                   "not_compared"]


FORMATS: tuple[ExportFormat, ...] = ("json", "csv")


class ExportFormatError(ValueError):
    """No export format for a file: an unknown --format, or an extension that names none."""


def format_for(path: Path, given: str | None = None) -> ExportFormat:
    """The format `given`, else the one `path`'s extension names (x.csv: csv, x.json: json)."""
    if given is not None:
        for known in FORMATS:
            if given.lower() == known:
                return known
        raise ExportFormatError(f"--format {given!r}: use json or csv")
    for known in FORMATS:
        if path.suffix.lower() == f".{known}":
            return known
    raise ExportFormatError(f"{path}: cannot tell the format from the extension "
                            f"{path.suffix or '(none)'!r}; name the file .json or .csv, or "
                            "give --format json|csv")


def export_run(store: Store, run_id: int, export_format: ExportFormat,
               path: Path) -> list[Path]:
    """Write run `run_id` to `path` (and, for CSV, the pairwise file beside it)."""
    comparison = build_comparison(store, [run_id])
    scores = store.scores(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    if export_format == "json":
        document = export_document(comparison, scores)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
                        + "\n", encoding="utf-8")
        return [path]
    if export_format == "csv":
        pairwise_path = path.with_name(f"{path.stem}.pairwise.csv")
        _write_csv(path, SCORE_FIELDS, [_score_record(s) for s in scores])
        _write_csv(pairwise_path, PAIRWISE_FIELDS, pairwise_records(comparison))
        return [path, pairwise_path]
    raise ValueError(f"unknown export format {export_format!r}: use json or csv")


def export_document(comparison: Comparison, scores: list[ScoreRow]) -> dict[str, Any]:
    """The JSON export as a dict (the fields are documented in this module's docstring)."""
    [run] = comparison.runs
    return {
        "schema_version": SCHEMA_VERSION,
        "run": _run_record(run),
        "statistics": {"confidence": CONFIDENCE, "resamples": RESAMPLES, "seed": SEED,
                       "significance": SIGNIFICANCE},
        "summaries": summary_records(comparison),
        "pairwise": pairwise_records(comparison),
        "scores": [_score_record(s) for s in scores],
    }


def summary_records(comparison: Comparison) -> list[dict[str, Any]]:
    return [{"benchmark": benchmark, "metric": metric, "model": model, "mode": s.mode,
             "shots": s.shots, "n": s.n, "mean": s.mean, "stderr": _number(s.stderr),
             "ci_low": _number(s.ci_low), "ci_high": _number(s.ci_high)}
            for (benchmark, metric), by_model in comparison.metrics.items()
            for model, s in by_model.items()]


def pairwise_records(comparison: Comparison) -> list[dict[str, Any]]:
    return [_pair_record(benchmark, metric, pair)
            for (benchmark, metric), pairs in comparison.pairwise.items() for pair in pairs]


def _pair_record(benchmark: str, metric: str, pair: Pairwise) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(PAIRWISE_FIELDS)
    record.update(benchmark=benchmark, metric=metric, model_a=pair.model_a,
                  model_b=pair.model_b, n=pair.n, not_compared=pair.not_compared)
    if pair.test is not None:
        stats = asdict(pair.test)
        del stats["n"]
        record.update({k: _number(v) if isinstance(v, float) else v for k, v in stats.items()})
        record["significant"] = pair.test.significant
    return record


def _run_record(run: RunRow) -> dict[str, Any]:
    return {"id": run.id, "suite": run.suite, "status": run.status,
            "created_at": run.created_at, "finished_at": run.finished_at,
            "models": [m["name"] for m in run.plan["models"]], "environment": run.environment}


def _score_record(score: ScoreRow) -> dict[str, Any]:
    return {"model": score.model, "benchmark": score.benchmark, "sample_id": score.sample_id,
            "metric": score.metric, "mode": score.mode, "shots": score.shots,
            "value": score.value, "extracted": score.extracted}


def _number(value: float) -> float | None:
    """NaN (no standard error from one item) is not JSON: it becomes null."""
    return None if math.isnan(value) else value


def _write_csv(path: Path, fields: list[str], records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in r.items()} for r in records)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)
