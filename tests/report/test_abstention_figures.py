"""The report's abstention figures: SimpleQA's three grades summarised per model, as
PROTOCOLS.md defines them, from stored trial checks."""

import math
from pathlib import Path

from bakeoff.report.data import build_report_data
from bakeoff.report.json_report import report_document
from bakeoff.report.tables import abstention_table
from bakeoff.store import Store
from bakeoff.types import Message, Sample, Score

# (case, answerable, correct, attempted) for one model: 2 right answers, 1 wrong answer,
# 1 "I don't know" on an answerable question, 2 abstentions and 1 guess on unanswerable ones.
GRADES = [("a/0", "yes", 1, 1), ("a/1", "yes", 1, 1), ("a/2", "yes", 0, 1), ("a/3", "yes", 0, 0),
          ("a/4", "no", 0, 0), ("a/5", "no", 0, 0), ("a/6", "no", 0, 1)]


def stored(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "s", {"models": [{"name": "m"}],
                                         "benchmarks": [{"name": "abstention"}]}, {})
    store.put_samples("abstention", [Sample(case, "q", "t", metadata=(("answerable", answerable),))
                                     for case, answerable, _, _ in GRADES])
    for case, answerable, correct, attempted in GRADES:
        right = correct if answerable == "yes" else 1 - attempted
        scores = [Score(case, "pass", float(right), "why"),
                  Score(case, "correct", float(correct), "why"),
                  Score(case, "attempted", float(attempted), "why")]
        store.put_trial_result(run_id, "m", "abstention", "chat", scores, ["k"],
                               (Message("user", "q"), Message("assistant", "a")))
    return store


def test_the_figures_follow_the_protocol(tmp_path: Path) -> None:
    data = build_report_data(stored(tmp_path), [1], generated_at=0.0)
    figures = data.hands_on.abstention["m"]
    assert (figures["correct"], figures["incorrect"], figures["not_attempted"]) == (2, 2, 3)
    assert figures["accuracy_given_attempted"] == 2 / 4
    assert figures["abstention_recall"] == 2 / 3
    correct_rate = 2 / 7
    assert math.isclose(figures["f1"], 2 * 0.5 * correct_rate / (0.5 + correct_rate))
    header, rows = abstention_table(data.hands_on.abstention, ["m", "other"])
    assert header == ["", "m", "other"]
    assert rows[4] == ["accuracy given attempted", "0.500", "—"]
    document = report_document(data, [], [], [])
    assert document["hands_on"]["abstention"]["m"]["abstention_recall"] == 2 / 3
