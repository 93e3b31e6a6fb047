"""What `bakeoff report` prints: rich tables, the bold footnote, and a report path that stays
on one line however narrow the output."""

from pathlib import Path

from bakeoff.report.markdown import BOLD_MEANING
from tests.helpers.cli import bakeoff
from tests.report.stored import build_store


def test_report_prints_tables_and_a_whole_report_line(tmp_path: Path) -> None:
    deep = tmp_path / "a-rather-long-folder-name" / "and-another-one-below-it"
    deep.mkdir(parents=True)
    store, _ = build_store(deep / "bakeoff.sqlite")
    store.close()
    result = bakeoff("report", "1", "--store", str(deep / "bakeoff.sqlite"), cwd=tmp_path,
                     env={"COLUMNS": "40"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| --- |" not in result.stdout
    assert "Standard benchmarks" in result.stdout and "┏" in result.stdout
    assert BOLD_MEANING in lines
    [report] = [line for line in lines if line.startswith("report: ")]
    assert report == f"report: {deep}/reports/run-1.html (and run-1.md, run-1.json)"
