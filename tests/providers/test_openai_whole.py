"""The non-streamed path (`generate`: benchmarks, trials, judges) with a scripted peer.

The streamed path and the faults both paths share are in test_openai_faults.py and
test_openai_tools.py; this file covers what only a whole JSON answer has.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from typing import Any

import httpx
import httpx2
import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.types import Completion, GenerationRequest, Message, Tool, ToolCall
from tests.helpers.openai_peer import (
    BASE_URL,
    CHAT,
    FAST,
    KEY_ENV,
    SECRET,
    FakePeer,
    chat_answer,
    generate,
    generate_error,
    json_reply,
    raise_reply,
)

WEATHER = Tool.function("get_weather", "The weather in a city",
                        {"type": "object", "properties": {"city": {"type": "string"}}})
TOOLS = GenerationRequest(messages=(Message("user", "Weather in Paris and Oslo?"),),
                          tools=(WEATHER,))


def call(id: str | None, name: Any, arguments: Any = "{}") -> dict[str, Any]:
    function: dict[str, Any] = {"name": name, "arguments": arguments}
    return {"type": "function", "function": function, **({"id": id} if id else {})}


def test_a_whole_answer_has_text_server_usage_and_no_first_token() -> None:
    peer = FakePeer(json_reply(chat_answer("Hello there", usage=(9, 3))))
    completion = generate(peer)
    assert (completion.text, completion.finish_reason) == ("Hello there", "stop")
    assert (completion.usage.input_tokens, completion.usage.output_tokens,
            completion.usage.source) == (9, 3, "server")
    assert completion.timing.first_token is None
    assert completion.timing.started <= completion.timing.finished


def test_a_prompt_request_reads_the_text_choice() -> None:
    body = {"id": "t", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "text": " Paris", "finish_reason": "stop"}]}
    peer = FakePeer(json_reply(body))
    completion = generate(peer, GenerationRequest(prompt="Capital of France:"))
    assert peer.requests[0].url.path == "/v1/completions"
    assert peer.body()["prompt"] == "Capital of France:"
    assert (completion.text, completion.usage.source) == (" Paris", "estimate")


def test_tool_calls_come_from_the_message_in_order_with_ids_filled_in() -> None:
    calls = [call("call_a", "get_weather", '{"city": "Paris"}'),
             call(None, "get_weather", '{"city": "Oslo"}')]
    peer = FakePeer(json_reply(chat_answer(None, "tool_calls", tool_calls=calls)))
    completion = generate(peer, TOOLS)
    assert completion.tool_calls == (ToolCall("call_a", "get_weather", '{"city": "Paris"}'),
                                     ToolCall("call_1", "get_weather", '{"city": "Oslo"}'))
    assert (completion.text, completion.finish_reason) == ("", "tool_calls")


def test_an_empty_answer_that_finished_is_a_real_answer() -> None:
    completion = generate(FakePeer(json_reply(chat_answer(""))))
    assert (completion.text, completion.finish_reason) == ("", "stop")


@pytest.mark.parametrize("body", [
    chat_answer(None, finish=None),  # nothing at all
    {**chat_answer("x"), "choices": []},
    {"id": "c1", "object": "chat.completion"},  # no choices key
    chat_answer(None, "tool_calls", tool_calls=[call("c", None)]),  # a call with no name
    chat_answer(None, "tool_calls", tool_calls=[call("c", "f", {"city": "Paris"})]),
    {**chat_answer("x"), "choices": [{"index": 0, "message": {"content": 7}}]},  # not text
    "[1, 2]",
    '{"choices": [ broken',
    "",
])
def test_an_unreadable_answer_is_a_retried_bad_response(body: dict[str, Any] | str) -> None:
    peer = FakePeer(json_reply(body))
    error = generate_error(peer, TOOLS)
    assert (error.kind, error.retryable) == ("bad_response", True)
    assert len(peer.requests) == 3  # bad_response_attempts


def test_a_malformed_answer_once_then_success() -> None:
    peer = FakePeer(json_reply("not json"), json_reply(chat_answer("ok")))
    assert generate(peer).text == "ok"
    assert len(peer.requests) == 2


def test_a_connection_cut_before_the_answer_is_retried() -> None:
    peer = FakePeer(raise_reply(httpx.RemoteProtocolError), json_reply(chat_answer("whole")))
    assert generate(peer).text == "whole"
    assert len(peer.requests) == 2


def test_an_error_status_names_the_server_message() -> None:
    body = {"error": {"message": "model not found", "type": "invalid_request_error"}}
    peer = FakePeer(lambda _request: httpx.Response(404, json=body))
    error = generate_error(peer)
    assert (error.kind, error.message) == ("bad_request", "HTTP 404: model not found")


@pytest.mark.parametrize("reply", [
    json_reply(f'{{"oops": "{SECRET}"'),
    lambda _request: httpx.Response(500, text=f"upstream saw {SECRET}"),
])
def test_the_key_never_appears_in_errors(monkeypatch: pytest.MonkeyPatch, reply: Any) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    error = generate_error(FakePeer(reply), api_key_env=KEY_ENV)
    shown = [str(error), repr(error), error.message, repr(error.record()),
             "".join(traceback.format_exception(error))]
    assert not any(SECRET in text for text in shown)
    assert error.__cause__ is None and error.__context__ is None


def test_an_httpx2_client_of_its_own_kind_times_out_and_retries() -> None:
    # The provider's own client is an httpx2 one: its errors map as httpx's do.
    attempts: list[httpx2.Request] = []

    def peer(request: httpx2.Request) -> httpx2.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx2.ReadTimeout("injected", request=request)
        return httpx2.Response(200, json=chat_answer("after a timeout"))

    async def main() -> Completion:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(peer)) as client:
            provider = OpenAICompatProvider("m", base_url=BASE_URL, http_client=client,
                                            retry=FAST)
            return await provider.generate(CHAT)

    assert asyncio.run(main()).text == "after a timeout"
    assert json.loads(attempts[1].content)["messages"] == [{"role": "user", "content": "Say hi"}]
