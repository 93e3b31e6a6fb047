"""The report JSON of a fixed set of stored results: versioned, null for missing, stable."""

import json
import sqlite3
from pathlib import Path

from bakeoff.api import write_report
from tests.report.stored import build_store


def _document(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    with sqlite3.connect(tmp_path / "bakeoff.sqlite") as db:
        db.execute("UPDATE runs SET finished_at = 1700000100.0")
    write_report(store, [run_id], tmp_path / "reports")
    return json.loads((tmp_path / "reports" / "run-1.json").read_text())  # type: ignore[no-any-return]


def test_the_three_files_are_written(tmp_path: Path) -> None:
    _document(tmp_path)
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "run-1.html", "run-1.json", "run-1.md"]


def test_golden_fields(tmp_path: Path) -> None:
    document = _document(tmp_path)
    assert document["report_schema_version"] == 5
    assert document["measured"] is True
    assert document["models"] == ["alpha", "beta", "gamma"]
    assert document["runs"] == [{"id": 1, "suite": "quick", "status": "finished",
                                 "created_at": 1700000000.0, "finished_at": 1700000100.0,
                                 "environment": {"bakeoff": "0.1.0", "python": "3.11.9"}}]
    assert len(document["verdict"]) == 2
    assert document["verdict_details"][0] == (
        "Standard benchmarks: alpha beats beta on humaneval pass@5 (0.640 vs 0.433, p < 0.001, "
        "n=9); alpha beats beta on mmlu acc (0.750 vs 0.450, p = 0.00754, n=40).")
    assert document["speed"] is None
    assert document["cards"]["beta"] is None
    assert document["cards"]["alpha"]["price"]["input_per_mtok"] == 1.0
    assert document["costs"]["alpha"]["cost_usd"] == 0.0018
    assert document["costs"]["beta"]["cost_usd"] is None
    gsm8k = [p for p in document["pairwise"] if p["benchmark"] == "gsm8k"]
    assert [(p["model_a"], p["model_b"], p["significant"], p["p_value"]) for p in gsm8k] == [
        ("alpha", "beta", False, 0.625)]
    accuracy = document["recommendations"][0]
    assert accuracy["profile"] == "accuracy-critical"
    assert accuracy["choice"] == "alpha"
    # beta, significantly worse on humaneval and mmlu, cannot be chosen: it is not ranked.
    assert accuracy["scores"] == {"alpha": 1.0, "gamma": 0.0}
    assert accuracy["excluded"]["beta"].startswith("significantly worse on humaneval pass@5")
    assert accuracy["decided"].startswith("better on humaneval pass@5 than beta: 0.640 vs "
                                          "0.433 for beta")


def test_no_nan_and_round_trips(tmp_path: Path) -> None:
    document = _document(tmp_path)
    assert json.loads(json.dumps(document, allow_nan=False)) == document
