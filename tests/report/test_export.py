"""Exporting a stored run as JSON and CSV."""

import csv
import json
from pathlib import Path

import pytest

from bakeoff.report.export import PAIRWISE_FIELDS, SCHEMA_VERSION, SCORE_FIELDS, export_run
from bakeoff.store import Store
from bakeoff.types import Score
from tests.report.stored import CREATED_AT, ENVIRONMENT, build_store

# 40 mmlu items for three models, 20 gsm8k items and 10 + 9 humaneval items for two.
STORED_SCORES = 40 * 3 + 20 * 2 + 10 + 9


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_json_holds_scores_summaries_and_pairs(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    [written] = export_run(store, run_id, "json", tmp_path / "out" / "run.json")
    document = json.loads(written.read_text(encoding="utf-8"))
    assert document["schema_version"] == SCHEMA_VERSION == 1
    assert document["run"]["models"] == ["alpha", "beta", "gamma"]
    assert document["run"]["created_at"] == CREATED_AT
    assert document["run"]["environment"] == ENVIRONMENT
    assert document["statistics"]["resamples"] == 10_000
    assert len(document["scores"]) == STORED_SCORES
    assert set(document["scores"][0]) == set(SCORE_FIELDS)
    assert len(document["summaries"]) == 3 + 2 + 2
    pairs = {(p["benchmark"], p["model_a"], p["model_b"]): p for p in document["pairwise"]}
    assert set(pairs["mmlu", "alpha", "beta"]) == set(PAIRWISE_FIELDS)
    mmlu = pairs["mmlu", "alpha", "beta"]
    assert (mmlu["test"], mmlu["b"], mmlu["c"], mmlu["significant"]) == (
        "mcnemar-exact", 15, 3, True)
    assert mmlu["p_value"] == pytest.approx(0.007537841796875)
    assert mmlu["difference"] == pytest.approx(0.3)
    refused = pairs["mmlu", "alpha", "gamma"]
    assert refused["test"] is None and refused["p_value"] is None
    assert refused["not_compared"] == "scored in different modes (generative and loglikelihood)"


def test_csv_writes_scores_and_a_pairwise_file_beside_them(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    scores_path, pairwise_path = export_run(store, run_id, "csv", tmp_path / "run.csv")
    assert pairwise_path == tmp_path / "run.pairwise.csv"
    scores = _read_csv(scores_path)
    assert len(scores) == STORED_SCORES
    assert list(scores[0]) == SCORE_FIELDS
    assert scores[0] == {"model": "alpha", "benchmark": "gsm8k", "sample_id": "gsm8k/0",
                         "metric": "exact_match", "mode": "generative", "shots": "5",
                         "value": "1.0", "extracted": "A"}
    pairs = _read_csv(pairwise_path)
    assert list(pairs[0]) == PAIRWISE_FIELDS
    assert [(p["benchmark"], p["model_a"], p["model_b"], p["significant"]) for p in pairs] == [
        ("gsm8k", "alpha", "beta", "false"), ("humaneval", "alpha", "beta", "true"),
        ("mmlu", "alpha", "beta", "true"), ("mmlu", "alpha", "gamma", ""),
        ("mmlu", "beta", "gamma", "")]
    assert float(pairs[0]["p_value"]) == 0.625


def test_csv_and_json_carry_the_same_numbers(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    [json_path] = export_run(store, run_id, "json", tmp_path / "run.json")
    _, pairwise_path = export_run(store, run_id, "csv", tmp_path / "run.csv")
    from_json = json.loads(json_path.read_text(encoding="utf-8"))["pairwise"]
    from_csv = _read_csv(pairwise_path)
    for record, row in zip(from_json, from_csv, strict=True):
        for field in ("difference", "ci_low", "ci_high", "p_value"):
            assert (record[field] is None and row[field] == "") or \
                float(row[field]) == record[field]


def test_a_single_item_has_no_stderr_and_stays_valid_json(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "quick", {"models": [{"name": "solo"}]}, ENVIRONMENT)
    store.put_scores(run_id, "solo", "b", "generative", 0, [Score("s1", "acc", 1.0)], [])
    [written] = export_run(store, run_id, "json", tmp_path / "run.json")
    [summary] = json.loads(written.read_text(encoding="utf-8"))["summaries"]
    assert (summary["mean"], summary["stderr"], summary["ci_low"]) == (1.0, None, 1.0)


def test_unknown_runs_and_formats_are_refused(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "s.sqlite")
    with pytest.raises(LookupError, match="no run 9"):
        export_run(store, 9, "json", tmp_path / "x.json")
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_run(store, run_id, "xml", tmp_path / "x.xml")  # type: ignore[arg-type]
