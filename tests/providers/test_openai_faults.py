"""Faults a real server cannot produce on demand, injected with httpx.MockTransport.

Each test runs the real provider and the real SDK; only the HTTP peer is scripted.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

import httpx
import pytest

from bakeoff.providers.base import StreamDelta, collect
from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.retry import RetryPolicy, call_with_retries
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    Message,
    ProviderError,
)
from tests.helpers.openai_peer import (
    BASE_URL,
    CHAT,
    FAST,
    KEY_ENV,
    SECRET,
    FakePeer,
    Reply,
    answer,
    chat_chunk,
    cut_reply,
    generate,
    generate_error,
    raise_reply,
    run_against,
    sse,
    status_reply,
    stream_reply,
    streamed,
    streamed_error,
)

# --- the happy path over the wire ------------------------------------------------------------

def test_stream_yields_deltas_then_completion_with_server_usage() -> None:
    async def events(provider: OpenAICompatProvider) -> list[Any]:
        return [event async for event in provider.stream(CHAT)]

    peer = FakePeer(answer("Hel", "lo"))
    *deltas, final = run_against(peer, events)
    assert [d.text for d in deltas] == ["Hel", "lo"]
    assert all(isinstance(d, StreamDelta) for d in deltas)
    assert isinstance(final, Completion)
    assert (final.text, final.finish_reason) == ("Hello", "stop")
    assert (final.usage.input_tokens, final.usage.output_tokens) == (5, 2)
    assert final.usage.source == "server"
    assert final.timing.first_token == deltas[0].at


@pytest.mark.parametrize("streaming", [False, True])
def test_request_asks_for_streamed_usage_and_omits_empty_settings(streaming: bool) -> None:
    peer = FakePeer(answer("x"))
    config = GenerationConfig(max_tokens=7, temperature=0.0, seed=None, stop=())
    (streamed if streaming else generate)(
        peer, GenerationRequest(config=config, messages=(Message("user", "hi"),)))
    body = peer.body()
    assert peer.requests[0].url.path == "/v1/chat/completions"
    if streaming:
        assert body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}
    else:
        assert not {"stream", "stream_options"} & body.keys()
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (7, 0.0, 1.0)
    assert "seed" not in body and "stop" not in body


def test_prompt_request_goes_to_completions_with_stop_and_seed() -> None:
    text_chunks = [
        {"id": "t", "object": "text_completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}]}
        for text, finish in (("Paris", None), ("", "stop"))
    ]
    peer = FakePeer(stream_reply(sse(text_chunks)))
    request = GenerationRequest(prompt="Capital of France:",
                                config=GenerationConfig(stop=("\n",), seed=7))
    completion = streamed(peer, request)
    assert peer.requests[0].url.path == "/v1/completions"
    assert (peer.body()["prompt"], peer.body()["stop"], peer.body()["seed"]) == (
        "Capital of France:", ["\n"], 7)
    assert (completion.text, completion.finish_reason) == ("Paris", "stop")


def test_missing_usage_falls_back_to_labelled_estimate() -> None:
    # Streamed: one token per chunk with content; whole: characters // 4, at least 1.
    request = GenerationRequest(messages=(Message("user", "12345678"),))
    chunked = streamed(FakePeer(answer("a", "b", "c", usage=None)), request)
    whole = generate(FakePeer(answer("abc", "defgh", usage=None)), request)
    assert chunked.usage.source == whole.usage.source == "estimate"
    assert (chunked.usage.input_tokens, chunked.usage.output_tokens) == (2, 3)
    assert (whole.usage.input_tokens, whole.usage.output_tokens) == (2, 2)


def test_extra_body_is_sent() -> None:
    peer = FakePeer(answer("x"))
    generate(peer, extra_body={"top_k": 1})
    assert peer.body()["top_k"] == 1


# --- retried faults --------------------------------------------------------------------------

def test_rate_limit_waits_what_retry_after_says_then_succeeds() -> None:
    waits: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def generate_with_recorded_sleep(provider: OpenAICompatProvider) -> Completion:
        # What generate() does, with the sleep observable.
        return await call_with_retries(lambda: collect(provider.stream(CHAT)),
                                       RetryPolicy(max_delay_s=60), sleep=recording_sleep)

    peer = FakePeer(status_reply(429, {"retry-after": "2"}), answer("ok"))
    completion = run_against(peer, generate_with_recorded_sleep)
    assert completion.text == "ok"
    assert waits == [2.0]


def test_rate_limit_error_carries_kind_and_server_wait() -> None:
    peer = FakePeer(status_reply(429, {"retry-after-ms": "1500"}))
    error = generate_error(peer, retry=RetryPolicy(max_attempts=1))
    assert (error.kind, error.retryable, error.retry_after_s) == ("rate_limited", True, 1.5)


def test_generate_recovers_from_rate_limit() -> None:
    peer = FakePeer(status_reply(429, {"retry-after": "1"}), answer("ok"))
    assert generate(peer).text == "ok"  # FAST caps the 1 s wait at 5 ms
    assert len(peer.requests) == 2


def test_server_error_then_success() -> None:
    peer = FakePeer(status_reply(500), answer("fine"))
    assert generate(peer).text == "fine"
    assert len(peer.requests) == 2


def test_server_error_every_time_ends_in_error_with_all_attempts() -> None:
    peer = FakePeer(status_reply(503))
    error = generate_error(peer)
    assert (error.kind, error.attempts) == ("server_error", FAST.max_attempts)
    assert len(peer.requests) == FAST.max_attempts
    assert "503" in error.message


def test_timeout_then_success() -> None:
    peer = FakePeer(raise_reply(httpx.ReadTimeout), answer("late"))
    assert generate(peer).text == "late"
    assert len(peer.requests) == 2


def test_timeout_every_time_is_a_timeout_error() -> None:
    error = generate_error(FakePeer(raise_reply(httpx.ConnectTimeout)))
    assert (error.kind, error.attempts) == ("timeout", FAST.max_attempts)


def test_refused_connection_is_a_connection_error() -> None:
    error = generate_error(FakePeer(raise_reply(httpx.ConnectError)))
    assert (error.kind, error.attempts) == ("connection", FAST.max_attempts)


@pytest.mark.parametrize("cut", [httpx.RemoteProtocolError, httpx.ReadError])
def test_stream_cut_midway_restarts_the_whole_request(cut: type[httpx.TransportError]) -> None:
    peer = FakePeer(cut_reply(cut), answer("whole ", "answer"))
    completion = streamed(peer)
    assert completion.text == "whole answer"  # nothing kept from the cut attempt
    assert len(peer.requests) == 2


def test_stream_cut_every_time_is_a_connection_error() -> None:
    error = streamed_error(FakePeer(cut_reply(httpx.RemoteProtocolError)))
    assert (error.kind, error.attempts) == ("connection", FAST.max_attempts)


def test_malformed_json_is_retried_then_an_error() -> None:
    peer = FakePeer(stream_reply(sse([chat_chunk("a"), '{"choices": [ broken'])))
    error = streamed_error(peer, retry=RetryPolicy(max_attempts=5, base_delay_s=0.001))
    assert error.kind == "bad_response"
    assert error.attempts == 3 == len(peer.requests)  # bad_response_attempts, not max_attempts


def test_malformed_json_once_then_success() -> None:
    peer = FakePeer(stream_reply(sse(["not json"])), answer("ok"))
    assert streamed(peer).text == "ok"


def test_empty_choices_is_a_bad_response() -> None:
    empty = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": []}
    peer = FakePeer(stream_reply(sse([empty])))
    error = streamed_error(peer)
    assert error.kind == "bad_response"
    assert len(peer.requests) == 3


def test_stream_with_no_content_and_no_finish_reason_is_a_bad_response() -> None:
    error = streamed_error(FakePeer(stream_reply(sse([chat_chunk()]))))
    assert error.kind == "bad_response"


def test_empty_answer_that_finished_is_a_real_answer() -> None:
    completion = streamed(FakePeer(stream_reply(sse([chat_chunk(finish="stop")]))))
    assert (completion.text, completion.finish_reason) == ("", "stop")


# --- not retried -----------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "kind"), [
    (401, "auth"), (403, "auth"), (400, "bad_request"), (404, "bad_request"),
    (422, "bad_request"),
])
def test_client_errors_are_not_retried(status: int, kind: str) -> None:
    peer = FakePeer(status_reply(status))
    error = generate_error(peer)
    assert (error.kind, error.retryable, error.attempts) == (kind, False, 1)
    assert len(peer.requests) == 1


def test_loglikelihood_is_unsupported() -> None:
    async def score(provider: OpenAICompatProvider) -> list[float]:
        return await provider.loglikelihood([])

    with pytest.raises(ProviderError) as caught:
        run_against(FakePeer(), score)
    assert caught.value.kind == "unsupported"


# --- the API key -----------------------------------------------------------------------------

def test_key_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)  # not needed to construct the provider

    async def two_calls(provider: OpenAICompatProvider) -> None:
        monkeypatch.setenv(KEY_ENV, "first-key")
        await provider.generate(CHAT)
        monkeypatch.setenv(KEY_ENV, "second-key")
        await provider.generate(CHAT)

    peer = FakePeer(answer("x"))
    run_against(peer, two_calls, api_key_env=KEY_ENV)
    sent = [request.headers["authorization"] for request in peer.requests]
    assert sent == ["Bearer first-key", "Bearer second-key"]


def test_without_key_env_a_placeholder_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # must not reach a server it was not meant for
    peer = FakePeer(answer("x"))
    generate(peer)
    assert peer.requests[0].headers["authorization"] == "Bearer not-needed"


def test_missing_key_variable_is_an_auth_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    peer = FakePeer(answer("x"))
    error = generate_error(peer, api_key_env=KEY_ENV)
    assert error.kind == "auth"
    assert error.message == f"environment variable {KEY_ENV} is not set"
    assert peer.requests == []


@pytest.mark.parametrize("reply", [
    status_reply(401, message=f"Incorrect API key provided: {SECRET}"),
    status_reply(500, message=f"upstream rejected {SECRET}"),
    cut_reply(httpx.RemoteProtocolError),
    stream_reply(sse([f'{{"oops": "{SECRET}"'])),
])
def test_key_value_never_appears_in_errors(monkeypatch: pytest.MonkeyPatch, reply: Reply) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    peer = FakePeer(reply)
    error = generate_error(peer, api_key_env=KEY_ENV)
    assert peer.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    shown = [str(error), repr(error), error.message, repr(error.record()),
             "".join(traceback.format_exception(error))]
    assert not any(SECRET in text for text in shown)
    assert error.__cause__ is None and error.__context__ is None


def test_key_value_never_appears_in_a_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    completion = generate(FakePeer(answer("x")), api_key_env=KEY_ENV)
    assert SECRET not in repr(completion)


# --- client ownership ------------------------------------------------------------------------

def test_aclose_leaves_a_passed_in_client_open() -> None:
    async def main() -> bool:
        async with httpx.AsyncClient(transport=httpx.MockTransport(FakePeer())) as client:
            provider = OpenAICompatProvider("m", base_url=BASE_URL, http_client=client)
            await provider.aclose()
            return client.is_closed
    assert asyncio.run(main()) is False


def test_aclose_closes_its_own_client() -> None:
    async def main() -> None:
        provider = OpenAICompatProvider("m", base_url=BASE_URL)
        await provider.aclose()
        assert provider._client.is_closed()
    asyncio.run(main())
