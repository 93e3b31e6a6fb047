"""A decision report's files: the HTML page, the Markdown and the JSON, each rendered from one
DecisionReport (bakeoff.report.insights.decide), so all three show the same figures; the
terminal summary (bakeoff.report.markdown.terminal_summary) formats the same object."""

from __future__ import annotations

import json
from pathlib import Path

from bakeoff.report.html import render_html
from bakeoff.report.insights import DecisionReport
from bakeoff.report.json_report import report_document
from bakeoff.report.markdown import render_markdown


def render_files(report: DecisionReport, html_name: str = "") -> dict[str, str]:
    """The three files as text by suffix (.html, .md, .json); `html_name` is what the
    Markdown links to for the charts and transcripts."""
    args = (report.data, report.verdict, report.recommendations, report.faq)
    document = report_document(*args, details=report.details)
    return {
        ".html": render_html(*args, details=report.details),
        ".md": render_markdown(*args, html_name, details=report.details),
        ".json": json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
    }


def write_files(report: DecisionReport, stem: Path) -> dict[str, Path]:
    """Write `stem`.html, .md and .json (the folder is made if needed); their paths by
    suffix. Model names hold dots, so a suffix is appended, never swapped in."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    html_name = stem.name + ".html"
    written = {}
    for suffix, text in render_files(report, html_name).items():
        path = stem.with_name(stem.name + suffix)
        path.write_text(text, encoding="utf-8")
        written[suffix] = path
    return written
