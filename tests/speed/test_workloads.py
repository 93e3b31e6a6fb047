"""Speed prompts: deterministic, sized by the tokenizer, clipped to the context."""

from __future__ import annotations

import asyncio

import pytest

from bakeoff.speed.workloads import TEMPLATE_RESERVE, build_prompt, prompt_limit, speed_request


class WordCounter:
    """One token per whitespace-separated word: a tokenizer whose counts are easy to check."""

    async def count(self, text: str) -> int:
        return len(text.split())

    async def aclose(self) -> None:
        return None


def test_prompt_is_as_long_as_the_workload_allows_and_repeatable() -> None:
    first = asyncio.run(build_prompt("medium", WordCounter(), context=None, max_tokens=128))
    second = asyncio.run(build_prompt("medium", WordCounter(), context=None, max_tokens=128))
    assert first == second
    assert first.tokens == 1000
    assert (first.token_source, first.clipped_from) == ("tokenizer", None)
    assert first.text.endswith("describing every person, place and event.")


def test_long_prompt_is_clipped_to_the_context_and_says_so() -> None:
    prompt = asyncio.run(build_prompt("long", WordCounter(), context=4096, max_tokens=128))
    assert prompt.tokens == 4096 - 128 - TEMPLATE_RESERVE
    assert prompt.clipped_from == 10_000


def test_without_a_tokenizer_the_length_is_an_estimate() -> None:
    prompt = asyncio.run(build_prompt("short", None, context=None, max_tokens=128))
    assert prompt.token_source == "estimate"
    assert prompt.tokens == len(prompt.text) // 4 <= 100


def test_bad_workload_and_no_room_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown workload"):
        asyncio.run(build_prompt("huge", None, context=None, max_tokens=8))
    with pytest.raises(ValueError, match="no room"):
        prompt_limit(256, 256)


def test_each_request_has_its_own_tag_and_fixed_output_target() -> None:
    prompt = asyncio.run(build_prompt("short", WordCounter(), context=None, max_tokens=64))
    chat = speed_request(prompt, 3, 64, "chat")
    raw = speed_request(prompt, 4, 64, "completions")
    assert chat.messages[0].content.startswith("Request 3. ")
    assert raw.prompt is not None and raw.prompt.startswith("Request 4. ")
    assert chat.config.max_tokens == raw.config.max_tokens == 64
    assert chat.config.temperature == 0.0
