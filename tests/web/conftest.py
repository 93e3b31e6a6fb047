"""A real server on 127.0.0.1 (any free port) over a real store file, for the web tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bakeoff.web import App, make_server, url_of
from tests.web.stored import build_store, register_judged


@dataclass(frozen=True)
class Served:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    store_path: Path
    runs: tuple[int, int]


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    register_judged(monkeypatch)
    path = tmp_path / "bakeoff.sqlite"
    runs = build_store(path)
    server = make_server(App(path, "/runs"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(url_of(server, ""), path, runs)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
