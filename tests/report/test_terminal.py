"""The terminal summary: rich tables (no Markdown), bold only where the files bold, its meaning
said under the tables, names never read as markup."""

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bakeoff.report.data import build_report_data
from bakeoff.report.insights import decide
from bakeoff.report.markdown import BOLD_MEANING
from bakeoff.report.terminal import Line, Part, score_table, summary_parts
from tests.report.stored import build_store
from tests.report.trial_store import build_trial_store, register_trials


def _render(parts: list[Part], width: int = 100) -> str:
    """As piped output shows them: plain text."""
    out = io.StringIO()
    console = Console(file=out, width=width)
    for part in parts:
        console.print(part.text if isinstance(part, Line) else part, markup=False,
                      soft_wrap=isinstance(part, Line))
    return out.getvalue()


def _bold_cells(table: Table) -> list[str]:
    """The cells whose text has a bold span: what a terminal shows in bold."""
    return [cell.plain for column in table.columns for cell in column.cells
            if isinstance(cell, Text) and any(span.style == "bold" for span in cell.spans)]


def _report(tmp_path: Path):  # type: ignore[no-untyped-def]
    store, run_id = build_store(tmp_path / "s.sqlite")
    try:
        return decide(build_report_data(store, [run_id]))
    finally:
        store.close()


def test_the_summary_is_tables_with_the_bold_footnote(tmp_path: Path) -> None:
    parts = summary_parts(_report(tmp_path))
    lines = [p.text for p in parts if isinstance(p, Line)]
    assert lines[0] == "alpha vs beta vs gamma: bakeoff decision report (measured)"
    assert BOLD_MEANING in lines
    text = _render(parts)
    assert "| --- |" not in text and "**" not in text
    assert "┃ benchmark" in text and "Which should you choose?" in text
    # humaneval: alpha beats beta, the only other model scored: bold. mmlu: gamma scored in
    # another mode, so alpha beats no one there: no bold.
    [benchmarks] = [p for p in parts if isinstance(p, Table) and p.title == "Standard benchmarks"]
    assert [cell.split(" ")[0] for cell in _bold_cells(benchmarks)] == ["0.640"]
    assert "Warning: mmlu acc was scored in different modes" in text


def test_a_table_without_a_significant_winner_has_no_bold(tmp_path: Path) -> None:
    comparison = _report(tmp_path).data.comparison
    assert comparison is not None
    table, marked = score_table(comparison, [("gsm8k", "exact_match")], "scores")
    assert not marked
    assert _bold_cells(table) == []
    table, marked = score_table(comparison, [("humaneval", "pass@5")], "scores")
    assert marked


def test_a_row_with_one_setting_shows_it_once_under_the_metric(tmp_path: Path) -> None:
    comparison = _report(tmp_path).data.comparison
    assert comparison is not None
    table, _ = score_table(comparison, [("gsm8k", "exact_match"), ("mmlu", "acc")], "scores")
    text = _render([table], width=160)
    assert text.count("generative, 5-shot") == 1 + 2  # gsm8k's row once; mmlu per cell
    assert "loglikelihood, 5-shot" in text


def test_the_hands_on_table_shows_each_trials_main_metric(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_trials(monkeypatch)
    store, run_id = build_trial_store(tmp_path / "bakeoff.sqlite")
    try:
        parts = summary_parts(decide(build_report_data(store, [run_id])))
    finally:
        store.close()
    [trials] = [p for p in parts if isinstance(p, Table) and p.title == "Hands-on trials"]
    assert [c.header for c in trials.columns][:2] == ["trial", "metric"]
    names = [cell.plain for cell in trials.columns[0].cells if isinstance(cell, Text)]
    assert "legacy_check" in names
    assert "-shot" not in _render([trials], width=200)  # a trial has no shots
