"""Tools and JSON Schema output over the wire, with a scripted peer (httpx.MockTransport).

A real llama-cpp-python server covers what it can produce (test_openai_server.py): one named
tool call, tool turns, a schema-bound answer. The peer here scripts what it cannot produce on
demand: the exact request body, parallel calls split over many chunks, malformed deltas.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    JsonSchemaFormat,
    Message,
    Tool,
    ToolCall,
)
from tests.helpers.openai_peer import (
    FakePeer,
    answer,
    chat_chunk,
    generate,
    generate_error,
    run_against,
    sse,
    status_reply,
    stream_reply,
    streamed,
    streamed_error,
    usage_chunk,
)

WEATHER = Tool.function("get_weather", "The weather in a city",
                        {"type": "object", "properties": {"city": {"type": "string"}},
                         "required": ["city"]})
TIME = Tool.function("get_time", "The time in a city",
                     {"type": "object", "properties": {"city": {"type": "string"}}})
ASK = (Message("user", "Weather and time in Paris?"),)
PERSON = JsonSchemaFormat.of("person", {"type": "object", "required": ["name"],
                                        "properties": {"name": {"type": "string"}}})
# llama-cpp-python 0.3.16's reply to OpenAI's response_format (its validation error, as a 500).
LLAMA_CPP_REFUSAL = ("1 validation error: {'type': 'literal_error', 'loc': ('body', "
                     "'response_format', 'type'), 'msg': \"Input should be 'text' or "
                     "'json_object'\", 'input': 'json_schema'}")


def call_chunk(index: Any, *, id: str | None = None, name: str | None = None,
               arguments: Any = None, content: str | None = None,
               finish: str | None = None) -> dict[str, Any]:
    """A chat chunk carrying one tool-call delta, as OpenAI streams them."""
    function = {key: value for key, value in (("name", name), ("arguments", arguments))
                if value is not None}
    call: dict[str, Any] = {"index": index, "function": function}
    if id is not None:
        call.update(id=id, type="function")
    chunk = chat_chunk(content, finish)
    chunk["choices"][0]["delta"]["tool_calls"] = [call]
    return chunk


def tool_stream(*events: dict[str, Any]) -> FakePeer:
    return FakePeer(stream_reply(sse(events)))


def sent(request: GenerationRequest, **options: Any) -> dict[str, Any]:
    """The JSON body the provider sends for `request`."""
    peer = FakePeer(answer("ok"))
    generate(peer, request, **options)
    return peer.body()


# --- what is sent ----------------------------------------------------------------------------

def test_a_request_without_tools_or_format_sends_none_of_their_keys() -> None:
    body = sent(GenerationRequest(messages=ASK))
    assert not {"tools", "tool_choice", "response_format"} & body.keys()
    assert body["messages"] == [{"role": "user", "content": "Weather and time in Paris?"}]


@pytest.mark.parametrize(("choice", "wire"), [
    ("auto", "auto"), ("none", "none"), ("required", "required"),
    ("get_time", {"type": "function", "function": {"name": "get_time"}}),
])
def test_tools_and_tool_choice_are_sent_in_openai_form(choice: str, wire: Any) -> None:
    body = sent(GenerationRequest(messages=ASK, tools=(WEATHER, TIME), tool_choice=choice))
    assert body["tools"] == [
        {"type": "function", "function": {
            "name": "get_weather", "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                           "required": ["city"]}}},
        {"type": "function", "function": {
            "name": "get_time", "description": "The time in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    ]
    assert body["tool_choice"] == wire
    assert not {"stream", "stream_options"} & body.keys()  # generate does not stream


def test_tool_turns_are_sent_in_openai_form() -> None:
    calls = (ToolCall("call_1", "get_weather", '{"city": "Paris"}'),
             ToolCall("call_2", "get_time", '{"city": "Paris"}'))
    messages = (*ASK, Message("assistant", tool_calls=calls),
                Message("tool", "Sunny", tool_call_id="call_1"),
                Message("tool", "12:00", tool_call_id="call_2"))
    body = sent(GenerationRequest(messages=messages, tools=(WEATHER, TIME)))
    assert body["messages"][1:] == [
        # content stays "" beside tool calls: llama-cpp-python 0.3.16 refuses null.
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "call_2", "type": "function",
             "function": {"name": "get_time", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "content": "Sunny", "tool_call_id": "call_1"},
        {"role": "tool", "content": "12:00", "tool_call_id": "call_2"},
    ]


def test_response_format_is_sent_as_openai_json_schema() -> None:
    body = sent(GenerationRequest(messages=ASK, response_format=PERSON))
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "person", "strict": True,
        "schema": {"type": "object", "required": ["name"],
                   "properties": {"name": {"type": "string"}}}}}
    assert "tools" not in body


def test_a_refused_json_schema_is_resent_in_llama_cpp_form_and_that_form_kept() -> None:
    request = GenerationRequest(messages=ASK, response_format=PERSON)
    peer = FakePeer(status_reply(500, message=LLAMA_CPP_REFUSAL), answer('{"name": "Ada"}'))

    async def twice(provider: OpenAICompatProvider) -> list[Completion]:
        return [await provider.generate(request), await provider.generate(request)]

    first, second = run_against(peer, twice)
    assert first.text == second.text == '{"name": "Ada"}'
    forms = [peer.body(i)["response_format"] for i in range(len(peer.requests))]
    assert [form["type"] for form in forms] == ["json_schema", "json_object", "json_object"]
    assert forms[1] == {"type": "json_object", "schema": PERSON.schema}


def test_a_refused_schema_is_an_error_not_a_schema_free_json_answer() -> None:
    # OpenAI's strict mode names response_format too, but a json_object answer would ignore
    # the schema: the request is not sent in the other form.
    message = ("Invalid schema for response_format 'person': 'additionalProperties' is "
               "required to be supplied and to be false.")
    peer = FakePeer(status_reply(400, message=message), answer("{}"))
    error = generate_error(peer, GenerationRequest(messages=ASK, response_format=PERSON))
    assert (error.kind, len(peer.requests)) == ("bad_request", 1)


def test_a_server_error_not_about_the_format_is_retried_in_the_same_form() -> None:
    peer = FakePeer(status_reply(500, message="overloaded"), answer("{}"))
    generate(peer, GenerationRequest(messages=ASK, response_format=PERSON))
    assert [peer.body(i)["response_format"]["type"] for i in (0, 1)] == ["json_schema"] * 2


# --- abilities -------------------------------------------------------------------------------

@pytest.mark.parametrize("request_", [
    GenerationRequest(messages=ASK, tools=(WEATHER,)),
    GenerationRequest(messages=(*ASK, Message("tool", "Sunny", tool_call_id="c"))),
    GenerationRequest(messages=ASK, response_format=PERSON),
])
def test_a_request_beyond_the_abilities_is_unsupported_and_never_sent(
        request_: GenerationRequest) -> None:
    peer = FakePeer(answer("a wrong answer"))
    error = generate_error(peer, request_, abilities=Abilities())
    assert (error.kind, error.retryable, error.attempts) == ("unsupported", False, 1)
    assert peer.requests == []


# --- streamed tool calls ---------------------------------------------------------------------

def test_parallel_calls_split_over_many_chunks_are_assembled_in_index_order() -> None:
    peer = tool_stream(
        chat_chunk(),  # the role-only opening chunk
        call_chunk(1, id="call_b", name="get_time", arguments=""),
        call_chunk(0, id="call_a", name="get_weather"),
        call_chunk(0, arguments='{"ci'),
        call_chunk(1, arguments='{"city"'),
        call_chunk(0, arguments='ty": "Par'),
        call_chunk(1, arguments=': "Oslo"}'),
        call_chunk(0, arguments='is"}'),
        chat_chunk(finish="tool_calls"),
        usage_chunk(20, 9),
    )
    completion = streamed(peer, GenerationRequest(messages=ASK, tools=(WEATHER, TIME)))
    assert completion.tool_calls == (
        ToolCall("call_a", "get_weather", '{"city": "Paris"}'),
        ToolCall("call_b", "get_time", '{"city": "Oslo"}'),
    )
    assert (completion.text, completion.finish_reason) == ("", "tool_calls")
    assert completion.tool_calls[0].parsed_arguments() == {"city": "Paris"}


def test_id_and_name_repeated_in_every_delta_are_kept_once() -> None:
    # llama-cpp-python 0.3.16 repeats the id and the whole name in each delta.
    pieces = ['{"city"', ': "Paris"', "}"]
    peer = tool_stream(*[call_chunk(0, id="call_x", name="get_weather", arguments=piece)
                         for piece in pieces], chat_chunk(finish="tool_calls"))
    (call,) = streamed(peer, GenerationRequest(messages=ASK, tools=(WEATHER,))).tool_calls
    assert call == ToolCall("call_x", "get_weather", '{"city": "Paris"}')


def test_text_and_calls_in_one_answer_are_both_kept() -> None:
    peer = tool_stream(chat_chunk("Let me check."),
                       call_chunk(0, id="c", name="get_weather", arguments='{"city":"Rome"}'),
                       chat_chunk(finish="tool_calls"))
    completion = streamed(peer, GenerationRequest(messages=ASK, tools=(WEATHER,)))
    assert completion.text == "Let me check."
    assert [call.name for call in completion.tool_calls] == ["get_weather"]


def test_a_stream_of_only_tool_calls_is_a_completion_timed_from_the_first_call() -> None:
    async def events(provider: OpenAICompatProvider) -> list[Any]:
        request = GenerationRequest(messages=ASK, tools=(WEATHER,))
        return [event async for event in provider.stream(request)]

    # No finish_reason and no usage: the calls alone make it an answer.
    peer = tool_stream(chat_chunk(), call_chunk(0, id="c", name="get_weather"),
                       call_chunk(0, arguments="{}"))
    (final,) = run_against(peer, events)  # tool-call chunks yield no text deltas
    assert final.tool_calls == (ToolCall("c", "get_weather", "{}"),)
    assert final.finish_reason is None
    assert final.timing.first_token is not None
    assert final.timing.started <= final.timing.first_token <= final.timing.finished
    assert (final.usage.source, final.usage.output_tokens) == ("estimate", 2)


def test_a_call_without_an_id_gets_one_from_its_index() -> None:
    peer = tool_stream(call_chunk(0, name="get_weather", arguments="{}"),
                       chat_chunk(finish="tool_calls"))
    (call,) = streamed(peer, GenerationRequest(messages=ASK, tools=(WEATHER,))).tool_calls
    assert call.id == "call_0"


@pytest.mark.parametrize("bad", [
    {"function": {"name": "get_weather"}},  # no index
    {"index": None, "function": {"name": "get_weather"}},
    {"index": -1, "function": {"name": "get_weather"}},
    {"index": 0, "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
    {"index": 0, "function": {"name": 7}},
])
def test_an_unreadable_tool_call_delta_is_a_retried_bad_response(bad: dict[str, Any]) -> None:
    chunk = chat_chunk()
    chunk["choices"][0]["delta"]["tool_calls"] = [bad]
    peer = tool_stream(chunk, chat_chunk(finish="tool_calls"))
    error = streamed_error(peer, GenerationRequest(messages=ASK, tools=(WEATHER,)))
    assert (error.kind, error.retryable) == ("bad_response", True)
    assert len(peer.requests) == 3  # retried like any unreadable chunk


def test_a_call_that_never_names_its_function_is_a_bad_response() -> None:
    peer = tool_stream(call_chunk(0, id="c", arguments="{}"), chat_chunk(finish="tool_calls"))
    error = streamed_error(peer, GenerationRequest(messages=ASK, tools=(WEATHER,)))
    assert error.kind == "bad_response"
    assert "no function name" in error.message


def test_a_malformed_json_chunk_among_tool_calls_is_retried_then_succeeds() -> None:
    broken = stream_reply(sse([call_chunk(0, id="c", name="get_weather"), '{"choices": [']))
    good = stream_reply(sse([call_chunk(0, id="c", name="get_weather", arguments="{}"),
                             chat_chunk(finish="tool_calls")]))
    peer = FakePeer(broken, good)
    completion = streamed(peer, GenerationRequest(messages=ASK, tools=(WEATHER,)))
    assert completion.tool_calls == (ToolCall("c", "get_weather", "{}"),)
    assert len(peer.requests) == 2
    assert json.loads(peer.requests[1].content)["tools"][0]["function"]["name"] == "get_weather"
