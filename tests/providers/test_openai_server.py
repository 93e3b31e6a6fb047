"""OpenAICompatProvider against a real llama-cpp-python server (SmolLM2 135M Instruct)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from bakeoff.providers.base import StreamDelta
from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import Completion, GenerationConfig, GenerationRequest, Message, ProviderError
from tests.servers import LlamaServer

pytestmark = pytest.mark.server

T = TypeVar("T")
SHORT = GenerationConfig(max_tokens=12, temperature=0.0)
CHAT = GenerationRequest(messages=(Message("user", "Name one colour."),), config=SHORT)


def with_provider(server: LlamaServer, action: Callable[[OpenAICompatProvider], Awaitable[T]],
                  **options: Any) -> T:
    async def main() -> T:
        options.setdefault("base_url", server.base_url)
        provider = OpenAICompatProvider(server.model, **options)
        try:
            return await action(provider)
        finally:
            await provider.aclose()
    return asyncio.run(main())


def generate(server: LlamaServer, request: GenerationRequest) -> Completion:
    return with_provider(server, lambda provider: provider.generate(request))


def test_chat_answers_with_text_usage_and_timing(llama_server: LlamaServer) -> None:
    completion = generate(llama_server, CHAT)
    assert completion.text.strip()
    assert completion.finish_reason in ("stop", "length")
    assert completion.usage.output_tokens > 0
    assert completion.timing.first_token is not None
    assert completion.timing.started <= completion.timing.first_token <= completion.timing.finished


def test_completions_prompt_stops_at_the_stop_string(llama_server: LlamaServer) -> None:
    before = llama_server.request_count("/v1/completions")
    request = GenerationRequest(prompt="1, 2, 3, 4,",
                                config=GenerationConfig(max_tokens=16, stop=(",",)))
    completion = generate(llama_server, request)
    assert completion.text.strip()
    assert "," not in completion.text
    assert completion.finish_reason == "stop"
    assert llama_server.request_count("/v1/completions") == before + 1


def test_streamed_deltas_concatenate_to_the_final_text(llama_server: LlamaServer) -> None:
    async def events(provider: OpenAICompatProvider) -> list[Any]:
        return [event async for event in provider.stream(CHAT)]

    *deltas, final = with_provider(llama_server, events)
    assert deltas and all(isinstance(delta, StreamDelta) for delta in deltas)
    assert isinstance(final, Completion)
    assert "".join(delta.text for delta in deltas) == final.text
    assert final.timing.first_token == deltas[0].at
    arrivals = [delta.at for delta in deltas]
    assert arrivals == sorted(arrivals)


def test_llama_cpp_server_sends_no_stream_usage_so_counts_are_labelled_estimates(
    llama_server: LlamaServer,
) -> None:
    # llama-cpp-python 0.3.16 ignores stream_options: no usage chunk arrives, so the counts
    # are bakeoff's estimate (one token per content chunk), labelled as not from the server.
    async def events(provider: OpenAICompatProvider) -> list[Any]:
        return [event async for event in provider.stream(CHAT)]

    *deltas, final = with_provider(llama_server, events)
    assert final.usage.source == "estimate"
    assert final.usage.output_tokens == len(deltas)


def test_greedy_requests_are_deterministic(llama_server: LlamaServer) -> None:
    request = GenerationRequest(
        messages=(Message("user", "Write a short sentence about the sea."),),
        config=GenerationConfig(max_tokens=24, temperature=0.0),
    )
    assert generate(llama_server, request).text == generate(llama_server, request).text


def test_wrong_path_is_a_bad_request_and_not_retried(llama_server: LlamaServer) -> None:
    wrong_base = llama_server.base_url.removesuffix("/v1") + "/nope"
    before = llama_server.request_count("/nope/chat/completions")
    with pytest.raises(ProviderError) as caught:
        with_provider(llama_server, lambda provider: provider.generate(CHAT),
                      base_url=wrong_base, retry=RetryPolicy(max_attempts=4))
    error = caught.value
    assert (error.kind, error.attempts, error.retryable) == ("bad_request", 1, False)
    assert "404" in error.record().message
    assert llama_server.request_count("/nope/chat/completions") == before + 1
