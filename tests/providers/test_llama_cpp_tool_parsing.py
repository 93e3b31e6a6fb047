"""Tool calls and grammars of the in-process provider, without a model."""

from __future__ import annotations

from typing import Any

import pytest

from bakeoff.providers.llama_cpp.tools import (
    output_grammar,
    parse_tool_calls,
    template_messages,
    template_tools,
)
from bakeoff.types import (
    GenerationRequest,
    JsonSchemaFormat,
    Message,
    ProviderError,
    Tool,
    ToolCall,
)

WEATHER = Tool.function("get_weather", "Current weather in a city",
                        {"type": "object", "properties": {"city": {"type": "string"}},
                         "required": ["city"]})
TIME = Tool.function("get_time", "Local time in a city",
                     {"type": "object", "properties": {"city": {"type": "string"}}})
OFFERED = {"get_weather", "get_time"}


def chat(**fields: Any) -> GenerationRequest:
    return GenerationRequest(messages=(Message("user", "Weather in Paris?"),), **fields)


# Parsing what the model wrote


def test_a_tagged_call_is_parsed_and_removed_from_the_text() -> None:
    text = ('Let me look.\n<tool_call>\n{"name": "get_weather", "arguments": '
            '{"city": "Paris", "units": "c"}}\n</tool_call>')
    rest, calls = parse_tool_calls(text, OFFERED)
    assert rest == "Let me look."
    assert calls == (ToolCall("call_0", "get_weather", '{"city":"Paris","units":"c"}'),)


def test_parallel_calls_get_ids_in_order() -> None:
    text = ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
            '<tool_call>\n{"name": "get_time", "arguments": {"city": "Oslo"}}\n</tool_call>')
    rest, calls = parse_tool_calls(text, OFFERED)
    assert rest == ""
    assert [(call.id, call.name) for call in calls] == [("call_0", "get_weather"),
                                                        ("call_1", "get_time")]


def test_a_malformed_block_stays_in_the_text() -> None:
    good = '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>'
    bad = '<tool_call>\n{"name": "get_weather", "arguments": {"city": }\n</tool_call>'
    rest, calls = parse_tool_calls(f"{bad}\n{good}", OFFERED)
    assert rest == bad
    assert calls == (ToolCall("call_0", "get_time", "{}"),)


@pytest.mark.parametrize("text", [
    '<tool_call>\n{"name": "get_weather"}\n</tool_call>',  # no arguments
    '<tool_call>\n["get_weather", {"city": "Paris"}]\n</tool_call>',  # not an object
    '<tool_call>\n{"name": "get_weather", "arguments": "Paris"}\n</tool_call>',
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}',  # cut off
])
def test_nothing_is_invented_from_a_broken_call(text: str) -> None:
    assert parse_tool_calls(text, OFFERED) == (text, ())


def test_arguments_written_as_json_text_are_read() -> None:
    text = ('<tool_call>{"name": "get_weather", '
            '"arguments": "{\\"city\\": \\"Paris\\"}"}</tool_call>')
    assert parse_tool_calls(text, OFFERED)[1][0].arguments == '{"city":"Paris"}'


@pytest.mark.parametrize("text", [
    '{"name": "get_weather", "arguments": {"city": "Paris"}}',
    '```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```',
    '\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n',
])
def test_a_bare_call_object_naming_an_offered_tool_is_a_call(text: str) -> None:
    """Qwen2.5-Coder often answers with the object alone, without the tags."""
    assert parse_tool_calls(text, OFFERED) == (
        "", (ToolCall("call_0", "get_weather", '{"city":"Paris"}'),))


@pytest.mark.parametrize("text", [
    '{"name": "Ada", "arguments": {"age": 36}}',  # not an offered tool
    '{"name": "get_weather", "arguments": {"city": "Paris"}}\nIt is sunny.',  # more text
    '{"name": "get_weather", "arguments": {"city": "Paris"}}\n{"temperature": 18}',
    'The weather is {"name": "get_weather"}',
    "It is sunny in Paris.",
])
def test_other_answers_are_plain_text(text: str) -> None:
    assert parse_tool_calls(text, OFFERED) == (text, ())


# Rendering the chat for the template


def test_plain_turns_keep_their_old_form() -> None:
    messages = (Message("system", "Be brief."), Message("user", "Hi"))
    assert template_messages(messages) == [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "Hi"}]


def test_tool_turns_are_rendered_in_openai_form_with_object_arguments() -> None:
    call = ToolCall("call_0", "get_weather", '{"city":"Paris"}')
    messages = (Message("assistant", "", tool_calls=(call,)),
                Message("tool", '{"sky": "clear"}', tool_call_id="call_0"))
    assert template_messages(messages) == [
        {"role": "assistant", "content": "",
         "tool_calls": [{"id": "call_0", "type": "function",
                         "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": '{"sky": "clear"}', "tool_call_id": "call_0"},
    ]


def test_tool_choice_none_renders_no_tools() -> None:
    assert template_tools(chat(tools=(WEATHER,))) == [WEATHER.as_openai()]
    assert template_tools(chat(tools=(WEATHER,), tool_choice="none")) is None


# Grammars (llama-cpp-python's JSON Schema converter)


def test_free_answers_get_no_grammar() -> None:
    assert output_grammar(chat(), tagged_calls=True) is None
    assert output_grammar(chat(tools=(WEATHER,)), tagged_calls=True) is None
    assert output_grammar(chat(tools=(WEATHER,), tool_choice="required"),
                          tagged_calls=False) is None


def test_a_named_tool_choice_forces_exactly_one_call_to_it() -> None:
    pytest.importorskip("llama_cpp")
    grammar = output_grammar(chat(tools=(WEATHER, TIME), tool_choice="get_time"),
                             tagged_calls=True)
    assert grammar is not None
    assert 'root ::= "<tool_call>\\n" call "\\n</tool_call>"\n' in grammar
    assert '"\\"get_time\\""' in grammar and "get_weather" not in grammar


def test_required_allows_several_calls_to_any_tool() -> None:
    pytest.importorskip("llama_cpp")
    grammar = output_grammar(chat(tools=(WEATHER, TIME), tool_choice="required"),
                             tagged_calls=True)
    assert grammar is not None
    assert "get_time" in grammar and "get_weather" in grammar
    assert '("\\n" "<tool_call>\\n" call' in grammar


def test_a_schema_answer_may_still_call_a_tool_when_the_choice_is_auto() -> None:
    pytest.importorskip("llama_cpp")
    answer = JsonSchemaFormat.of("city", {"type": "object",
                                          "properties": {"city": {"type": "string"}}})
    grammar = output_grammar(chat(tools=(WEATHER,), response_format=answer), tagged_calls=True)
    assert grammar is not None
    assert "root ::= answer | " in grammar


def test_an_unknown_tool_choice_is_a_bad_request() -> None:
    with pytest.raises(ProviderError) as raised:
        output_grammar(chat(tools=(WEATHER,), tool_choice="get_time"), tagged_calls=True)
    assert raised.value.kind == "bad_request"
    assert "get_time" in raised.value.message and "get_weather" in raised.value.message


def test_a_schema_the_converter_rejects_is_a_bad_request() -> None:
    pytest.importorskip("llama_cpp")
    answer = JsonSchemaFormat.of("odd", {"type": "object",
                                         "properties": {"a": {"type": "bogus"}}})
    with pytest.raises(ProviderError) as raised:
        output_grammar(chat(response_format=answer), tagged_calls=False)
    assert raised.value.kind == "bad_request"
    assert "response_format 'odd'" in raised.value.message
