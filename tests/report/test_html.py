"""The HTML report in real headless Chromium (Debian's /usr/bin/chromium), network off."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bakeoff.api import report_from_cards, write_report
from bakeoff.report.html import SECTIONS
from tests.helpers.browser import chromium_pages, needs_chromium
from tests.report.safety_store import build_safety_store
from tests.report.stored import build_store
from tests.report.transcript_store import build_transcript_store, question
from tests.report.trial_store import build_trial_store, register_trials

pytestmark = needs_chromium


def test_the_report_renders_offline_with_every_section(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    write_report(store, [run_id], tmp_path)

    def check(page: Any) -> None:
        for section in SECTIONS:
            assert page.locator(f"section#{section}").count() == 1, section
        assert page.locator("svg.chart").count() >= 3
        assert page.locator("svg.chart .mark").count() >= 1
        transcript = page.locator("#tx-mmlu-acc")
        assert not transcript.evaluate("d => d.open")
        page.locator("#benchmarks a[href='#tx-mmlu-acc']").first.click()
        assert transcript.evaluate("d => d.open")
        assert page.locator("#tx-mmlu-acc details.item").count() == 40

    _open_offline(tmp_path / "run-1.html", check)


def test_a_trial_score_opens_each_cases_whole_chat_and_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_trials(monkeypatch)
    store, run_id = build_trial_store(tmp_path / "bakeoff.sqlite")
    page_file = write_report(store, [run_id], tmp_path).files[".html"]
    assert page_file.stat().st_size < 1_000_000  # long turns are cut: a bounded page

    def check(page: Any) -> None:
        for section in SECTIONS:
            assert page.locator(f"section#{section}").count() == 1, section
        trials = page.locator("#trials")
        assert trials.locator("h3").all_inner_texts()[:5] == [
            "Logic puzzles", "Function calling", "Long context", "Languages", "Other"]
        # Benchmarks and trials apart: the benchmark table has mmlu only.
        assert page.locator("#benchmarks table tr").count() == 2
        assert trials.locator(".best a[href='#tt-fc_parallel']").count() == 1  # alpha, p<0.05
        assert trials.locator(".best a[href='#tt-fc_single']").count() == 0  # other modes
        group = page.locator("#tt-fc_single")
        assert not group.evaluate("d => d.open")
        trials.locator("a[href='#tt-fc_single']").first.click()
        assert group.evaluate("d => d.open")
        cases = group.locator("details.item")
        assert cases.count() == 20
        first = page.locator("[id='tt-fc_single-fc_single/0']")
        first.locator("summary").click()
        text = first.inner_text()
        for shown in ("system", "You can call tools.", "get_weather", '{"city": "Oslo"}',
                      "(result of call_1)", '{"temp_c": 3}', "It is 3 °C in Oslo (gamma).",
                      "prompted tools", "pass 1 — passed"):
            assert shown in text, shown
        assert "beta fail" in cases.nth(6).locator("summary").inner_text()
        cases.nth(6).locator("summary").click()
        assert "pass 0 — missing_argument: city" in cases.nth(6).inner_text()
        needle = page.locator("[id='tt-lc_needle-lc_needle/12'] summary").text_content()
        assert "beta not scored (unsupported)" in needle
        # The heat map: a coloured cell per tested (length, depth), grey where not run.
        heat = page.locator("#heat-alpha")
        assert heat.locator("td.cell").count() == 9
        assert "hsl(0,70%,80%)" in heat.locator("td.cell").nth(8).get_attribute("style")
        assert page.locator("#heat-beta td", has_text="not run").count() == 3
        assert "effective length 2,048 tokens" in trials.inner_text()
        failures = trials.locator("table", has=page.locator("th", has_text="rule"))
        assert "missing_argument" in failures.inner_text()
        assert "6 unsupported" in trials.inner_text()

    _open_offline(page_file, check)


def test_the_safety_chart_and_the_judged_answers_render_offline(tmp_path: Path) -> None:
    store, run_id = build_safety_store(tmp_path / "bakeoff.sqlite", verdicts=True)
    page_file = write_report(store, [run_id], tmp_path).files[".html"]

    def check(page: Any) -> None:
        chart = page.locator("#trials svg.safety")
        assert chart.count() == 1 and chart.is_visible()
        assert chart.locator(".mark").count() == 2
        labels = chart.locator("text").all_text_contents()
        assert "alpha 2/60 · 2/50" in labels and "beta 19/60 · 3/50" in labels
        assert "over-refusal (harmless requests refused)" in labels
        alpha, beta = (chart.locator(".mark").nth(i).bounding_box() for i in (0, 1))
        assert alpha["y"] > beta["y"]  # alpha's attack success is lower: nearer the bottom
        trials = page.locator("#trials").inner_text()
        assert "attacks succeeded 2/60 vs 19/60, significantly fewer for alpha" in trials
        judged = page.locator("#judged")
        assert judged.locator(".self-judged").inner_text() == (
            "self-judged: alpha judges its own answers")
        assert judged.locator("table tr").count() == 3
        assert "position bias 25% (1/4 pairs flipped)" in judged.inner_text()
        # The verdict: two sentences; the evidence folded below them, one click away.
        headline = page.locator("#headline")
        verdict = headline.locator("p.verdict").inner_text()
        assert verdict.startswith("Choose alpha for ") and verdict.count(". ") == 1
        assert "a customer-facing bot (" in verdict
        evidence = headline.locator("details.verdict-details li")
        assert not evidence.first.is_visible()
        headline.locator("details.verdict-details summary").click()
        assert evidence.first.is_visible()
        assert any(item.startswith("For a customer-facing bot (support chat), alpha is chosen")
                   and "2/60 attacks succeeded vs 19/60 for beta, significantly fewer" in item
                   for item in evidence.all_inner_texts())

    _open_offline(page_file, check)


def test_a_report_of_published_figures_renders_and_says_so(tmp_path: Path) -> None:
    page_file = report_from_cards(["llama-3.1-405b-instruct", "mixtral-8x22b-instruct"],
                                  tmp_path).files[".html"]

    def check(page: Any) -> None:
        for section in SECTIONS:
            assert page.locator(f"section#{section}").count() == 1, section
        assert "published figures only" in page.locator("#headline").inner_text()
        speed = page.locator("#speed").inner_text()
        assert "published, not measured" in speed and "98.3" in speed and "29.4" in speed
        price = page.locator("#price").inner_text()
        assert "$ per 1M tokens in / out" in price and "$2 / $6" in price
        assert "per 1K" not in price
        assert "1.9× faster" in page.locator("#faq").inner_text()
        assert "the median of the 2 providers' figures" in page.locator("#faq").inner_text()

    _open_offline(page_file, check)
    assert (tmp_path / (page_file.name.removesuffix(".html") + ".md")).exists()


def test_transcripts_lead_with_the_question_and_charts_show_all_they_compare(
        tmp_path: Path) -> None:
    store, run_id = build_transcript_store(tmp_path / "bakeoff.sqlite")
    write_report(store, [run_id], tmp_path)

    def check(page: Any) -> None:
        page.set_viewport_size({"width": 1200, "height": 900})
        page.locator("#benchmarks a[href='#tx-mmlu-acc']").first.click()
        item = page.locator("#tx-mmlu-acc details.item").first
        item.locator("> summary").click()
        assert item.locator(".question pre").inner_text() == question(0)
        examples = item.locator("details.shots")
        assert not examples.evaluate("d => d.open") and not examples.locator("pre").is_visible()
        logp = item.locator("table.logp tr")
        assert logp.count() == 5 and "-0.250" in logp.nth(2).inner_text()
        # A 4,000-character unbroken answer wraps inside its column: the columns stay equal
        # and the page does not scroll sideways.
        first, second = (item.locator(".side > div").nth(i).bounding_box() for i in (0, 1))
        assert abs(first["width"] - second["width"]) < 2
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        bars = page.locator("svg.bars")
        assert bars.locator("text.category").count() == 15
        assert all(t == "n=1" for t in bars.locator("text.count").all_text_contents())
        assert bars.locator("text.tick").all_text_contents() == ["0", "0.25", "0.5", "0.75", "1"]
        params = page.locator("svg[aria-label='Quality vs active parameters']")
        assert params.locator("text.tick").all_text_contents()[0] == "0"
        labels = [params.locator("text.point-label").nth(i).bounding_box() for i in (0, 1)]
        points = [params.locator("circle.mark").nth(i).bounding_box() for i in (0, 1)]
        assert not _overlap(*labels)
        assert not any(_overlap(label, point) for label in labels for point in points)

    _open_offline(tmp_path / "run-1.html", check)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def _open_offline(page_file: Path, check: Callable[[Any], None]) -> None:
    """Open the page with the network off and run `check` on it; it may ask for nothing
    outside the file and log no error."""
    with chromium_pages(lambda url: url.startswith("file:"), offline=True) as new_page:
        page = new_page()
        page.goto(page_file.as_uri())
        check(page)
