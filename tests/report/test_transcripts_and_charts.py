"""Transcripts lead with the question and show every choice's log-probability; charts show
every category, axes from zero, and count each benchmark once (without a browser: the
Chromium checks are in test_html.py)."""

from pathlib import Path

from bakeoff.api import render_report
from bakeoff.report.data import build_report_data, split_prompt
from bakeoff.report.html import primary_metric
from tests.report.transcript_store import (
    EXAMPLES,
    FLEXIBLE,
    LONG_ANSWER,
    STRICT,
    build_transcript_store,
    question,
)


def test_a_few_shot_prompt_leads_with_its_question_and_a_zero_shot_one_stays_whole() -> None:
    assert split_prompt(f"{EXAMPLES}\n\n{question(3)}", 5) == (question(3), EXAMPLES)
    code = "def f(x):\n    return x\n\n\ndef g(y):\n"
    assert split_prompt(code, 0) == (code, "")


def test_each_choice_keeps_its_log_probability(tmp_path: Path) -> None:
    store, run_id = build_transcript_store(tmp_path / "s.sqlite")
    data = build_report_data(store, [run_id], generated_at=0.0)
    mmlu = next(g for g in data.transcripts if g.benchmark == "mmlu")
    first = mmlu.items[0]
    assert (first.question, first.examples) == (question(0), EXAMPLES)
    assert first.answers["ll"].choice_logprobs == (("A", -2.5), ("B", -0.25), ("C", -1.5),
                                                   ("D", -3.0))
    assert first.answers["gen"].text == LONG_ANSWER and not first.answers["gen"].choice_logprobs


def test_the_mean_score_counts_a_benchmark_once_by_its_primary_metric(tmp_path: Path) -> None:
    assert primary_metric("gsm8k", [STRICT, FLEXIBLE]) == FLEXIBLE
    assert primary_metric("my_custom", ["b", "a"]) == "a"
    store, run_id = build_transcript_store(tmp_path / "s.sqlite")
    page = render_report(build_report_data(store, [run_id], generated_at=0.0))[".html"]
    assert f"by its primary metric (here: gsm8k {FLEXIBLE})" in page
    assert "ll: 0.5, 0.750" in page and "0.375" not in page  # not (0.75 + 0) / 2


def test_the_category_chart_has_every_category_with_its_count(tmp_path: Path) -> None:
    store, run_id = build_transcript_store(tmp_path / "s.sqlite")
    page = render_report(build_report_data(store, [run_id], generated_at=0.0))[".html"]
    # MMLU's items are grouped by subject, and the chart says so.
    assert "mmlu acc by subject: all 15 subjects, mean score (0 to 1) and items (n)" in page
    assert page.count("<text class=category") == 15 and page.count(">n=1</text>") == 15
