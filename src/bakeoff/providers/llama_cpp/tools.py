"""Function calling and JSON Schema output for an in-process model, through its own template.

Tools are handed to the GGUF's chat template (`tools`, in OpenAI form), which writes them
into the prompt the way the model was trained to read them; earlier assistant calls and tool
results are rendered by the same template. What the model writes back is parsed here, in the
Hermes / Qwen2.5 format the templates bakeoff bundles describe:

    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

Qwen2.5-Coder often leaves the tags out and answers with the bare JSON object, so an answer
that is nothing but such objects (optionally in a ```json fence), each naming an offered tool,
is read as calls too. A block that does not parse as a call stays in the text for the checker
to judge; nothing is ever guessed.

`tool_choice`:
- "auto": the model decides (free text, no grammar).
- "none": the tools are not rendered and the answer is not parsed for calls.
- "required" / a function's name: when the template writes `<tool_call>` blocks, generation
  runs under a grammar that admits only such blocks: one or more calls to any offered tool, or
  exactly one call to the named one, its arguments following the tool's parameter schema.
  With a template whose call format bakeoff does not know, the choice is advisory only (the
  tools are rendered, nothing is forced). A name that is not an offered tool is a bad request.

`response_format` (JSON Schema): generation runs under a grammar built from the schema by
llama-cpp-python's converter; with tool_choice "auto" and tagged calls, the grammar admits
either the JSON answer or tool calls. A schema the converter rejects is a bad request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from typing import Any

from bakeoff.providers.llama_cpp._llama_api import JsonGrammar
from bakeoff.types import (
    GenerationRequest,
    Message,
    ProviderError,
    Tool,
    ToolCall,
    canonical_json,
)

CALL_OPEN = "<tool_call>"
_TAGGED_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_JSON_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)\n?\s*```", re.DOTALL)


def offers_tools(request: GenerationRequest) -> bool:
    return bool(request.tools) and request.tool_choice != "none"


def template_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The chat in OpenAI form; a plain turn stays {"role", "content"}."""
    return [_message(message) for message in messages]


def template_tools(request: GenerationRequest) -> list[dict[str, Any]] | None:
    return [tool.as_openai() for tool in request.tools] if offers_tools(request) else None


def _message(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        data["tool_calls"] = [_call(call) for call in message.tool_calls]
    if message.tool_call_id is not None:
        data["tool_call_id"] = message.tool_call_id
    return data


def _call(call: ToolCall) -> dict[str, Any]:
    # Templates write `arguments | tojson` and expect an object, as Hugging Face's chat
    # templates do; OpenAI's JSON text would come out as one quoted string.
    arguments = call.parsed_arguments()
    return {"id": call.id, "type": "function",
            "function": {"name": call.name,
                         "arguments": call.arguments if arguments is None else arguments}}


# Parsing the answer


def parse_tool_calls(text: str, offered: Collection[str]) -> tuple[str, tuple[ToolCall, ...]]:
    """The calls the model wrote (ids call_0, call_1, ...) and the text left around them."""
    if CALL_OPEN in text:
        return _tagged_calls(text)
    calls = _bare_calls(text, offered)
    return ("", calls) if calls else (text, ())


def _tagged_calls(text: str) -> tuple[str, tuple[ToolCall, ...]]:
    calls: list[ToolCall] = []

    def take(block: re.Match[str]) -> str:
        call = _read_call(block.group(1), len(calls))
        if call is None:
            return block.group(0)
        calls.append(call)
        return ""

    rest = _TAGGED_CALL.sub(take, text)
    return (rest.strip(), tuple(calls)) if calls else (text, ())


def _bare_calls(text: str, offered: Collection[str]) -> tuple[ToolCall, ...]:
    """Calls from an answer made only of call objects naming offered tools; else none."""
    body = text.strip()
    if fenced := _JSON_FENCE.fullmatch(body):
        body = fenced.group(1).strip()
    calls: list[ToolCall] = []
    decoder = json.JSONDecoder()
    position = 0
    while position < len(body):
        try:
            value, end = decoder.raw_decode(body, position)
        except json.JSONDecodeError:
            return ()
        call = _as_call(value, len(calls))
        if call is None or call.name not in offered:
            return ()
        calls.append(call)
        position = len(body) - len(body[end:].lstrip())
    return tuple(calls)


def _read_call(body: str, index: int) -> ToolCall | None:
    try:
        return _as_call(json.loads(body), index)
    except json.JSONDecodeError:
        return None


def _as_call(value: Any, index: int) -> ToolCall | None:
    """{"name": str, "arguments": object (or JSON text of one)} as a ToolCall, else None."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    arguments = value.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    if not isinstance(arguments, dict):
        return None
    return ToolCall(f"call_{index}", value["name"], canonical_json(arguments))


# Constraining the answer


def output_grammar(request: GenerationRequest, *, tagged_calls: bool) -> str | None:
    """The GBNF grammar the answer must follow, or None for free text.

    `tagged_calls`: the model's template writes calls as <tool_call> blocks.
    """
    callable_tools = _callable_tools(request)
    forced = tagged_calls and bool(callable_tools) and request.tool_choice != "auto"
    answer_format = None if forced else request.response_format
    if not forced and answer_format is None:
        return None
    grammar = JsonGrammar()
    alternatives = []
    if answer_format is not None:
        alternatives.append(_rule(grammar, answer_format.schema, "answer",
                                  f"response_format {answer_format.name!r}"))
    if tagged_calls and callable_tools:
        alternatives.append(_calls_rule(grammar, callable_tools, request.tool_choice))
    return grammar.text(" | ".join(alternatives))


def _callable_tools(request: GenerationRequest) -> tuple[Tool, ...]:
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return ()
    if choice in ("auto", "required"):
        return request.tools
    named = tuple(tool for tool in request.tools if tool.name == choice)
    if not named:
        offered = ", ".join(tool.name for tool in request.tools)
        raise ProviderError("bad_request", f"tool_choice {choice!r} is not one of the offered "
                            f"tools ({offered})")
    return named[:1]


def _calls_rule(grammar: JsonGrammar, tools: tuple[Tool, ...], choice: str) -> str:
    """<tool_call> blocks: exactly one for a named tool, else one or more."""
    schemas = [_call_schema(tool) for tool in tools]
    call = _rule(grammar, schemas[0] if len(schemas) == 1 else {"anyOf": schemas}, "call",
                 "the tools' parameters")
    block = f'"<tool_call>\\n" {call} "\\n</tool_call>"'
    return block if choice not in ("auto", "required") else f'{block} ("\\n" {block})*'


def _call_schema(tool: Tool) -> dict[str, Any]:
    # Keys in the order the template shows the model: name, then arguments.
    return {"type": "object", "properties": {"name": {"const": tool.name},
                                             "arguments": tool.parameters},
            "required": ["name", "arguments"]}


def _rule(grammar: JsonGrammar, schema: dict[str, Any], name: str, what: str) -> str:
    try:
        return grammar.rule(schema, name)
    except Exception as error:  # the converter raises many kinds; all mean "not convertible"
        raise ProviderError("bad_request", f"the JSON Schema of {what} cannot be turned into "
                            f"a grammar: {type(error).__name__}: {error}") from error
