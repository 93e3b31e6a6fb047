"""A real server on 127.0.0.1 (any free port) over a real store file, for the web tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bakeoff.web import App, make_server, url_of
from tests.web.stored import build_store, register_judged


@dataclass(frozen=True)
class Served:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    store_path: Path | str  # a SQLite file, or a PostgreSQL URL (see `served_anywhere`)
    runs: tuple[int, int]


@contextmanager
def serving(path: Path | str, landing: str = "/runs") -> Iterator[str]:
    """Serve the store at `path` in a thread; yields the base URL."""
    server = make_server(App(path, landing), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url_of(server, "")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    register_judged(monkeypatch)
    path = tmp_path / "bakeoff.sqlite"
    runs = build_store(path)
    with serving(path) as url:
        yield Served(url, path, runs)


@pytest.fixture
def served_anywhere(store_location: Path | str,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """`served`, on a SQLite file and then on a PostgreSQL database."""
    register_judged(monkeypatch)
    runs = build_store(store_location)
    with serving(store_location) as url:
        yield Served(url, store_location, runs)
