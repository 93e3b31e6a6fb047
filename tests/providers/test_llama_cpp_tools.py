"""Function calling and JSON Schema output of the in-process provider, on the bundled models.

Qwen2.5-Coder 0.5B's template accepts tools; SmolLM2's does not. Decoding is greedy, so the
answers are the same on every run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.llama_cpp import _llama_api
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
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

llama_cpp = pytest.importorskip("llama_cpp")

N_CTX = 1024
WEATHER = Tool.function("get_weather", "Current weather in a city",
                        {"type": "object", "properties": {"city": {"type": "string"}},
                         "required": ["city"]})
ASK = Message("user", "What is the weather in Paris? Use the tool.")


def bundled(name: str) -> Path:
    from bakeoff.providers.bundled import ensure_model

    try:
        return ensure_model(name)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")


@pytest.fixture(scope="module")
def qwen_path() -> Path:
    return bundled("qwen2.5-coder-0.5b-instruct")


@pytest.fixture(scope="module")
def qwen(qwen_path: Path) -> Iterator[LlamaCppProvider]:
    provider = LlamaCppProvider(qwen_path, "qwen2.5-coder-0.5b-instruct", n_ctx=N_CTX)
    yield provider
    asyncio.run(provider.aclose())


def generate(provider: LlamaCppProvider, request: GenerationRequest) -> Completion:
    return asyncio.run(provider.generate(request))


def chat(*messages: Message, max_tokens: int, **fields: Any) -> GenerationRequest:
    return GenerationRequest(messages=messages, config=GenerationConfig(max_tokens=max_tokens),
                             **fields)


def test_the_template_decides_whether_tools_are_offered(qwen: LlamaCppProvider) -> None:
    assert qwen.abilities.tools and qwen.abilities.structured_output
    assert qwen.abilities.endpoint == "completions" and qwen.abilities.in_process


def test_a_tool_request_gets_a_parsed_call(qwen: LlamaCppProvider) -> None:
    completion = generate(qwen, chat(ASK, max_tokens=40, tools=(WEATHER,)))
    assert completion.tool_calls == (ToolCall("call_0", "get_weather", '{"city":"Paris"}'),)
    assert completion.text == ""
    assert completion.finish_reason == "tool_calls"


def test_a_named_tool_choice_is_forced_by_a_grammar(qwen: LlamaCppProvider) -> None:
    completion = generate(qwen, chat(Message("user", "Hi! Weather for Paris, please."),
                                     max_tokens=40, tools=(WEATHER,),
                                     tool_choice="get_weather"))
    assert [call.name for call in completion.tool_calls] == ["get_weather"]
    assert completion.tool_calls[0].parsed_arguments() is not None
    assert completion.finish_reason == "tool_calls"


def test_a_tool_result_turn_is_rendered_and_answered(qwen: LlamaCppProvider,
                                                    qwen_path: Path) -> None:
    call = ToolCall("call_0", "get_weather", '{"city":"Paris"}')
    result = '{"temperature_c": 18, "sky": "cloudy"}'
    completion = generate(qwen, chat(ASK, Message("assistant", "", tool_calls=(call,)),
                                     Message("tool", result, tool_call_id="call_0"),
                                     max_tokens=12, tools=(WEATHER,)))
    assert completion.text or completion.tool_calls
    tools_json = json.dumps(WEATHER.as_openai(), sort_keys=True)
    expected = (
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
        "assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user "
        "query.\n\nYou are provided with function signatures within <tools></tools> XML tags:"
        f"\n<tools>\n{tools_json}\n</tools>\n\nFor each function call, return a json object "
        "with function name and arguments within <tool_call></tool_call> XML tags:\n"
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n'
        "</tool_call><|im_end|>\n"
        f"<|im_start|>user\n{ASK.content}<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": '
        '{"city": "Paris"}}\n</tool_call><|im_end|>\n'
        f"<|im_start|>user\n<tool_response>\n{result}\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n")
    vocab = llama_cpp.Llama(str(qwen_path), vocab_only=True, verbose=False)
    tokens = vocab.tokenize(expected.encode(), add_bos=True, special=True)
    vocab.close()
    assert completion.usage.input_tokens == len(tokens)


def test_a_json_schema_request_returns_json_that_follows_it(qwen: LlamaCppProvider) -> None:
    person = JsonSchemaFormat.of("person", {
        "type": "object", "required": ["name", "age"], "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}})
    ask = Message("user", "Ada Lovelace died at 36. Give her name and age as JSON.")
    completion = generate(qwen, chat(ask, max_tokens=40, response_format=person))
    answer = json.loads(completion.text)
    assert set(answer) == {"name", "age"}
    assert isinstance(answer["name"], str) and isinstance(answer["age"], int)
    assert completion.finish_reason == "stop"


def test_a_schema_the_converter_rejects_is_a_bad_request(qwen: LlamaCppProvider) -> None:
    odd = JsonSchemaFormat.of("odd", {"type": "object", "properties": {"a": {"type": "bogus"}}})
    with pytest.raises(ProviderError) as raised:
        generate(qwen, chat(ASK, max_tokens=8, response_format=odd))
    assert raised.value.kind == "bad_request"
    assert "cannot be turned into a grammar" in raised.value.message


def test_a_model_whose_template_has_no_tools_refuses_them() -> None:
    smollm = LlamaCppProvider(bundled("smollm2-135m-instruct"), "smollm2-135m-instruct",
                              n_ctx=256)
    assert not smollm.abilities.tools
    with pytest.raises(ProviderError) as raised:
        generate(smollm, chat(ASK, max_tokens=8, tools=(WEATHER,)))
    assert raised.value.kind == "unsupported"
    assert smollm._engine is None  # refused before the model was loaded


def test_another_llama_cpp_python_version_is_refused_clearly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_llama_api, "LLAMA_CPP_PYTHON_VERSION", "0.0.1")
    provider = LlamaCppProvider(bundled("smollm2-135m-instruct"), "smollm2-135m-instruct",
                                n_ctx=256)
    with pytest.raises(ProviderError) as raised:
        generate(provider, chat(Message("user", "Hi"), max_tokens=4))
    assert raised.value.kind == "unsupported"
    assert raised.value.message == (
        "bakeoff's llama-cpp provider fits llama-cpp-python 0.0.1, found "
        f"{llama_cpp.__version__}; install bakeoff[local] to get the version it fits: "
        "pip install 'bakeoff[local]'")
