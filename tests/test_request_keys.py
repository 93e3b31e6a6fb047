"""Cache keys are forever: a stored completion is found again only if the same request gives
the same key in every later version. These keys were computed before the request's canonical
JSON was cached; any change to them strands every store written since."""

import pytest

from bakeoff.types import (
    GenerationConfig,
    GenerationRequest,
    JsonSchemaFormat,
    LoglikelihoodRequest,
    Message,
    Request,
    Tool,
    ToolCall,
    request_key,
)

WEATHER = '{"properties":{"city":{"type":"string"}},"type":"object"}'
KEYS: list[tuple[Request, str]] = [
    (GenerationRequest(config=GenerationConfig(max_tokens=8), messages=(Message("user", "hi"),)),
     "1b2236d1e0bdb46b6125f0dcfb7b0b7852288b78efe58d50981707e47bd27418"),
    (GenerationRequest(config=GenerationConfig(max_tokens=64, temperature=0.7),
                       prompt="Q: 2+2?\nA:"),
     "fad4a8e9bbd81e72a64df422e5bbd9de63fbe6620eae73301fc2cf5911fcaf17"),
    (GenerationRequest(messages=(Message("system", "Réponds en français ✓"),
                                 Message("user", "\"quoted\" \\ slash")),
                       tools=(Tool("get_weather", "Weather", WEATHER),), tool_choice="required"),
     "bf3c5b464fa16d0410eb9c62d8342dc69170dd41a3b26a44be01d560d9690b2b"),
    (GenerationRequest(messages=(Message("user", "json"),
                                 Message("assistant", "",
                                         tool_calls=(ToolCall("c1", "f", '{"a":1}'),)),
                                 Message("tool", "42", tool_call_id="c1")),
                       response_format=JsonSchemaFormat("answer", '{"type":"object"}')),
     "18be70c4d578af15bc6f7aee0696ada6caa688f177410cd66ea9cb5a89b3efcb"),
    (LoglikelihoodRequest("The capital of France is", " Paris"),
     "fc0213159e1a5b4d60464d92139f346bd96772336a6098f12ba83cda04391f3a"),
]


@pytest.mark.parametrize(("request_", "key"), KEYS)
def test_a_request_keeps_the_key_it_always_had(request_: Request, key: str) -> None:
    assert request_key("llama-cpp", "qwen|abc", request_) == key
    assert request_key("llama-cpp", "qwen|abc", request_) == key  # the cached JSON, again
