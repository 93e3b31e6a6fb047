"""Server presets (`server = "vllm" | "sglang" | "llama.cpp"`): what they turn on, the extra
request fields they allow and send, and the cache identity.

Requests go over real HTTP to tests/helpers/served_model.py, a loopback fake of vLLM's and
SGLang's answers (no vLLM or SGLang runs on this CPU machine); configs go through the real
loader."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bakeoff.config import ConfigError, load_config
from bakeoff.providers.base import collect
from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.openai_kind import OpenAIModelConfig
from bakeoff.providers.registry import parse_model
from bakeoff.types import (
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    ProviderError,
    Tool,
)
from tests.helpers.served_model import CHAT_ANSWER, served_model

CHAT = GenerationRequest(messages=(Message("user", "Which ocean is largest?"),))
PROMPT = GenerationRequest(prompt="The largest ocean is", config=GenerationConfig(max_tokens=4))
EXTRAS: dict[str, Any] = {"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.1,
                          "chat_template_kwargs": {"enable_thinking": False},
                          "extra_body": {"priority": 3}}


def model(**keys: Any) -> OpenAIModelConfig:
    config = parse_model({"name": "m", "provider": "openai", "base_url": "http://h:8000/v1",
                          **keys})
    assert isinstance(config, OpenAIModelConfig)
    return config


def load_error(tmp_path: Path, model_keys: str) -> str:
    (tmp_path / "bakeoff.toml").write_text(f"""
[[models]]
name = "m"
provider = "openai"
base_url = "http://h:8000/v1"
{model_keys}
""")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "bakeoff.toml")
    return str(caught.value)


# --- what a preset turns on ------------------------------------------------------------------


@pytest.mark.parametrize(("server", "scores"), [("generic", False), ("vllm", True),
                                                ("sglang", True), ("llama.cpp", False)])
def test_vllm_and_sglang_score_by_loglikelihood_unless_told_not_to(server: str,
                                                                   scores: bool) -> None:
    assert model(server=server).abilities().loglikelihood is scores
    assert model(server=server, loglikelihood=not scores).abilities().loglikelihood is not scores


def test_a_config_without_extras_keeps_its_plan_and_cache_identity() -> None:
    plain = model()
    assert plain.identity() == "openai|http://h:8000/v1|m|chat"
    assert plain.model_dump(exclude_defaults=True) == {
        "name": "m", "provider": "openai", "base_url": "http://h:8000/v1"}


def test_the_preset_is_not_in_the_cache_identity_but_what_it_sends_is() -> None:
    assert model(server="vllm").identity() == model().identity()
    assert model(server="sglang").identity() == model(server="vllm").identity()
    with_extras = {model(server="vllm", **{key: value}).identity()
                   for key, value in EXTRAS.items()}
    assert len(with_extras) == len(EXTRAS)
    assert model().identity() not in with_extras
    assert (model(server="vllm", top_k=20).identity()
            == model(server="llama.cpp", top_k=20).identity())


# --- config errors -----------------------------------------------------------------------------


def test_a_sampling_field_on_a_generic_endpoint_is_one_located_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "top_k = 20")
    assert message.count("\n") == 0
    assert ('models[1] (\'m\'): top_k needs server = "vllm", "sglang" or "llama.cpp"'
            in message)
    assert "extra_body" in message


def test_chat_template_kwargs_need_vllm_or_sglang(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'server = "llama.cpp"\n'
                                   "chat_template_kwargs = { enable_thinking = false }")
    assert 'chat_template_kwargs needs server = "vllm" or "sglang"' in message


@pytest.mark.parametrize(("line", "says"), [
    ("extra_body = { temperature = 1.0 }", "'temperature' is set by bakeoff"),
    ("top_k = 20\nextra_body = { top_k = 5 }", "extra_body sets 'top_k', which a key of the "
                                                "model sets already"),
    ("extra_body = { when = 2024-05-01 }", "'when': a TOML date has no JSON form"),
    ("extra_body = { nested = { at = [1, 07:32:00] } }", "'nested': a TOML time"),
    ('extra_body = "priority=3"', "models[1] ('m').extra_body: Input should be a valid "
                                  "dictionary"),
    ("top_k = -2", "top_k: Input should be greater than or equal to -1"),
    ("min_p = 1.5", "min_p: Input should be less than or equal to 1"),
    ('server = "tgi"', "server: Input should be 'generic', 'vllm', 'sglang' or 'llama.cpp'"),
])
def test_bad_extras_are_refused_with_one_located_line(tmp_path: Path, line: str,
                                                      says: str) -> None:
    message = load_error(tmp_path, f'server = "vllm"\n{line}' if "server" not in line else line)
    assert message.count("\n") == 0
    assert says in message


# --- what is sent --------------------------------------------------------------------------------


def ask(config: OpenAIModelConfig, request: GenerationRequest, *, streamed: bool = False) -> str:
    provider = config.build()
    assert isinstance(provider, OpenAICompatProvider)

    async def run() -> str:
        try:
            completion = await (collect(provider.stream(request)) if streamed
                                else provider.generate(request))
            return completion.text
        finally:
            await provider.aclose()
    return asyncio.run(run())


@pytest.mark.parametrize("streamed", [False, True])
def test_vllm_extras_go_where_they_apply(streamed: bool) -> None:
    """Sampling fields with generation, template arguments with chat only, extra_body with
    every request (scoring included); whole and streamed requests alike."""
    with served_model("vllm") as server:
        config = model(server="vllm", base_url=server.base_url, **EXTRAS)
        assert ask(config, CHAT, streamed=streamed) == CHAT_ANSWER
        ask(config, PROMPT, streamed=streamed)
        provider = config.build()
        asyncio.run(provider.loglikelihood([LoglikelihoodRequest("Answer:", " B")]))
        asyncio.run(provider.aclose())
        (chat,) = server.bodies("/v1/chat/completions")
        text, scoring = server.bodies("/v1/completions")
    sampling = {"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.1}
    assert chat.items() >= {**sampling, "priority": 3,
                            "chat_template_kwargs": {"enable_thinking": False}}.items()
    assert text.items() >= {**sampling, "priority": 3}.items()
    assert "chat_template_kwargs" not in text
    assert scoring["priority"] == 3
    assert not set(sampling) & set(scoring)
    assert (chat["temperature"], chat["max_tokens"]) == (0.0, 256)  # still the benchmark's


def test_llama_cpp_gets_its_own_name_for_the_repetition_penalty() -> None:
    with served_model("vllm") as server:
        ask(model(server="llama.cpp", base_url=server.base_url, repetition_penalty=1.2), CHAT)
        (chat,) = server.bodies("/v1/chat/completions")
    assert chat["repeat_penalty"] == 1.2
    assert "repetition_penalty" not in chat


def test_extra_body_sends_what_a_generic_server_has_no_key_for() -> None:
    with served_model("vllm") as server:
        ask(model(base_url=server.base_url, extra_body={"top_k": 5}), CHAT)
        (chat,) = server.bodies("/v1/chat/completions")
    assert chat["top_k"] == 5


def test_a_server_started_without_a_tool_parser_is_unsupported_with_the_fix() -> None:
    request = GenerationRequest(messages=CHAT.messages, tools=(
        Tool.function("lookup", "Look a word up", {"type": "object", "properties": {}}),))
    with served_model("vllm", tool_parser=False) as server:
        with pytest.raises(ProviderError) as caught:
            ask(model(server="vllm", base_url=server.base_url), request)
        assert len(server.bodies("/v1/chat/completions")) == 1  # not retried
    assert caught.value.kind == "unsupported"
    assert "--enable-auto-tool-choice --tool-call-parser" in str(caught.value)
