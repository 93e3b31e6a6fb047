"""OpenAICompatProvider against a real llama-cpp-python server (SmolLM2 135M Instruct)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from bakeoff.providers.base import StreamDelta
from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    JsonSchemaFormat,
    Message,
    ProviderError,
    Tool,
    ToolCall,
)
from tests.servers import BUNDLED_MODEL, LlamaServer, start_llama_server

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


def generate(server: LlamaServer, request: GenerationRequest, *,
             streaming: bool = False) -> Completion:
    """A completion through the non-streamed path, or the streamed one (first token timed)."""
    return with_provider(server, lambda provider: (
        provider.generate_streamed if streaming else provider.generate)(request))


@pytest.mark.parametrize("streaming", [False, True])
def test_chat_answers_with_text_usage_and_timing(llama_server: LlamaServer,
                                                 streaming: bool) -> None:
    completion = generate(llama_server, CHAT, streaming=streaming)
    assert completion.text.strip()
    assert completion.finish_reason in ("stop", "length")
    assert completion.usage.output_tokens > 0
    if streaming:
        assert completion.timing.first_token is not None
        assert completion.timing.started <= completion.timing.first_token
        assert completion.timing.first_token <= completion.timing.finished
    else:
        assert completion.timing.first_token is None
        assert completion.timing.started <= completion.timing.finished


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


@pytest.fixture(scope="module")
def batch1_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """A server that evaluates every token alone (--n_batch 1, hence n_ubatch 1).

    llama-cpp-python reuses the KV cache of the longest prefix the new prompt shares with the
    last one, in every server (no setting turns it off; `cache` is another, off, feature).
    A repeated prompt then has only its last token evaluated, in a one-token batch, while the
    first time it was part of a larger batch; llama.cpp's CPU kernels for one token and for
    many round differently (0.6 on a logit here), which can flip a greedy pick. With one-token
    batches every logit is computed the same way whatever was cached.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'bakeoff[local]')")
    from bakeoff.providers.bundled import ensure_model

    log_path = tmp_path_factory.mktemp("batch1_server") / "server.log"
    with start_llama_server(ensure_model(BUNDLED_MODEL), log_path,
                            extra_args=["--n_batch", "1"]) as server:
        yield server


def test_greedy_requests_are_deterministic(batch1_server: LlamaServer) -> None:
    # This prompt's two answers differed on a default server (prompt batches of 512).
    request = GenerationRequest(
        messages=(Message("user", "What is 2+2? Answer briefly and explain your reasoning "
                                  "in detail please."),),
        config=GenerationConfig(max_tokens=24, temperature=0.0),
    )
    other = GenerationRequest(messages=(Message("user", "Say hi"),), config=SHORT)
    generate(batch1_server, other)  # so the first answer's prompt is evaluated in a batch
    assert generate(batch1_server, request).text == generate(batch1_server, request).text


# --- tools and JSON Schema output (what llama-cpp-python 0.3.16 can produce) ----------------

PERSON = JsonSchemaFormat.of("person", {
    "type": "object", "required": ["name", "age"], "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}})
WEATHER = Tool.function("get_weather", "The current weather in a city",
                        {"type": "object", "required": ["city"],
                         "properties": {"city": {"type": "string"}}})
STRUCTURED = GenerationConfig(max_tokens=64, temperature=0.0)


def test_json_schema_answer_parses_and_follows_the_schema(llama_server: LlamaServer) -> None:
    before = llama_server.request_count()
    request = GenerationRequest(messages=(Message("user", "Describe a person as JSON."),),
                                response_format=PERSON, config=STRUCTURED)
    completion = generate(llama_server, request)
    person = json.loads(completion.text)
    assert set(person) == {"name", "age"}
    assert isinstance(person["name"], str)
    assert isinstance(person["age"], int) and not isinstance(person["age"], bool)
    assert completion.finish_reason == "stop"
    # OpenAI's form is refused (HTTP 500), then resent in llama-cpp-python's json_object form.
    assert llama_server.request_count() == before + 2


@pytest.mark.parametrize("streaming", [False, True])
def test_a_named_tool_choice_gets_a_tool_call(llama_server: LlamaServer,
                                              streaming: bool) -> None:
    request = GenerationRequest(messages=(Message("user", "What is the weather in Paris?"),),
                                tools=(WEATHER,), tool_choice="get_weather", config=STRUCTURED)
    completion = generate(llama_server, request, streaming=streaming)
    (call,) = completion.tool_calls
    assert call.name == "get_weather" and call.id
    arguments = call.parsed_arguments()
    assert arguments is not None and isinstance(arguments["city"], str)
    assert (completion.text, completion.finish_reason) == ("", "tool_calls")
    assert (completion.timing.first_token is not None) == streaming


def test_tool_turns_are_accepted_and_answered(llama_server: LlamaServer) -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "Paris"}')
    request = GenerationRequest(
        messages=(Message("user", "What is the weather in Paris?"),
                  Message("assistant", tool_calls=(call,)),
                  Message("tool", "Sunny, 24 C", tool_call_id="call_1")),
        tools=(WEATHER,), config=SHORT)
    completion = generate(llama_server, request)
    assert completion.text.strip()
    assert completion.tool_calls == ()


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
