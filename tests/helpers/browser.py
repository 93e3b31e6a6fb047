"""Pages in Debian's headless chromium (/usr/bin/chromium) through Playwright, with every
request outside what a test allows refused and recorded: a page that reaches out, or logs an
error, fails the test that opened it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                                    reason="needs Debian's chromium")


@contextmanager
def chromium_pages(allowed: Callable[[str], bool], *,
                   offline: bool = False) -> Iterator[Callable[[], Any]]:
    """Yield `new_page()`, which opens a page in a browser context of its own (its own
    cookies). On leaving, assert that no request failed `allowed(url)` and no page logged an
    error."""
    sync_api = pytest.importorskip("playwright.sync_api")
    refused: list[str] = []
    console_errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])

        def route(route: Any) -> None:
            if allowed(route.request.url):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        def new_page() -> Any:
            context = browser.new_context()
            context.set_offline(offline)
            context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("console", lambda m: console_errors.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            return page

        try:
            yield new_page
        finally:
            browser.close()
    assert refused == []
    assert console_errors == []
