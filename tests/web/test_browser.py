"""The arena and the viewer in real headless Chromium (Debian's /usr/bin/chromium): every
request the pages make must go to 127.0.0.1; anything else is refused and recorded."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

from bakeoff.store import HUMAN, Store
from tests.helpers.browser import chromium_pages, needs_chromium
from tests.web.conftest import Served
from tests.web.stored import MODELS

pytestmark = needs_chromium


def test_two_voters_vote_at_once_blind_then_see_the_names(served: Served) -> None:
    with _browser() as new_page:
        pages = {name: new_page() for name in ("Ada", "Grace")}
        for name, page in pages.items():
            page.goto(served.url + "/arena")
            page.fill("input[name=voter]", name)
            page.click("text=Start voting")
            page.wait_for_selector("#answer-a")
            html = page.content()
            assert f"Voting as {name}" in html
            for model in MODELS:
                assert model not in html
        # Both vote pages are open; both votes are sent before either answer is read.
        for page, choice in zip(pages.values(), ("A", "tie"), strict=True):
            page.evaluate(f"() => document.querySelector('button[value={choice}]').click()")
        for page in pages.values():
            reveal = page.wait_for_selector("#reveal").inner_text()
            assert sum(model in reveal for model in MODELS) == 2
            page.click("#next")
            page.wait_for_selector("#answer-a")
    store = Store(served.store_path)
    try:
        votes = store.verdicts(judge=HUMAN)
    finally:
        store.close()
    assert sorted((v.voter, v.outcome in ("a", "b")) for v in votes) == [
        ("Ada", True), ("Grace", False)]
    assert all(v.created_at > 0 for v in votes)


def test_a_run_its_disagreements_an_item_side_by_side_and_a_comparison(
        served: Served) -> None:
    with _browser() as new_page:
        page = new_page()
        page.goto(served.url + "/")
        page.click("a[href='/runs/1']")
        assert page.frame_locator("iframe").locator("section").count() > 0
        page.click("text=models disagree (1)")
        items = page.locator("a.item")
        assert items.all_inner_texts() == ["mmlu/4"]
        items.first.click()
        columns = page.locator(".answer")
        assert columns.count() == 3
        boxes = [columns.nth(i).bounding_box() for i in range(3)]
        assert len({round(box["y"]) for box in boxes if box}) == 1  # side by side
        assert "The answer is A (run 1, item 4)" in page.inner_text("main")

        page.click("nav >> text=Compare runs")
        page.select_option("select[name=a]", "1")
        page.select_option("select[name=b]", "2")
        page.click("button:has-text('Compare')")
        row = page.locator("tr", has_text="orca-13b").inner_text()
        assert "+0.600" in row and "0.03125 significant" in row


def _browser() -> AbstractContextManager[Callable[[], Any]]:
    """Pages in separate browser contexts (separate cookies); no request may leave 127.0.0.1."""
    return chromium_pages(lambda url: urlsplit(url).hostname == "127.0.0.1")
