"""The `openai` provider kind: any OpenAI-compatible endpoint (OpenAI, Mistral, gateways, vLLM,
SGLang, Ollama, llama.cpp servers). Its keys and abilities; the provider itself is in
openai_compat.py, imported (with the OpenAI SDK) only when a model is built. `server` names a
self-hosted server's preset (providers/serving.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from bakeoff.providers.base import MAX_NAME, MAX_TEXT, Amount, Count, ModelConfig, Provider
from bakeoff.providers.pacing import endpoint_pacer
from bakeoff.providers.retry import RetryPolicy
from bakeoff.providers.serving import (
    PRESETS,
    ServerKind,
    check_extra_body,
    check_json,
    check_sampling,
    check_set_once,
    identity_suffix,
    sampling_body,
)
from bakeoff.types import Abilities


class OpenAIModelConfig(ModelConfig):
    """The `openai` provider kind: any OpenAI-compatible endpoint."""

    provider: Literal["openai"]
    base_url: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    # The model id the API expects (default: the bakeoff name).
    model: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    # The variable the API key is read from at call time; the key itself is never stored.
    api_key_env: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    endpoint: Literal["chat", "completions"] = "chat"
    # The kind of server (providers/serving.py): "vllm" and "sglang" score multiple choice by
    # prompt logprobs, an item's choices in one request; their extra fields below are allowed.
    server: ServerKind = "generic"
    # The server returns prompt logprobs (vLLM, SGLang, llama.cpp server): score multiple
    # choice by loglikelihood through its completions endpoint instead of letter generation.
    # Unset: the server preset's default (on for vllm and sglang).
    loglikelihood: bool | None = None
    # The server accepts `tools` (function calling) and `response_format` with a JSON Schema;
    # set false for one that does not, and such requests become "unsupported" error records.
    tools: bool = True
    structured_output: bool = True
    timeout_s: Annotated[Amount, Field(gt=0, le=86_400)] = 120.0
    max_retries: Annotated[Count, Field(ge=0, le=20)] = 4
    # Caps on what is sent to the model's endpoint (shared by every model on it), kept from
    # the first request; without them bakeoff paces itself by the server's headers and 429s.
    requests_per_minute: Annotated[Amount, Field(gt=0)] | None = None
    tokens_per_minute: Annotated[Amount, Field(gt=0)] | None = None
    # Sampling fields OpenAI lacks, for the servers that take them (generation requests only).
    top_k: Annotated[Count, Field(ge=-1, le=1 << 20)] | None = None
    min_p: Annotated[Amount, Field(ge=0, le=1)] | None = None
    repetition_penalty: Annotated[Amount, Field(gt=0, le=100)] | None = None
    # Passed to the chat template by vLLM and SGLang (chat requests only).
    chat_template_kwargs: dict[str, Any] | None = None
    # Any other fields, sent as they are with every request.
    extra_body: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extra_body")
    @classmethod
    def _passable(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_extra_body(value)
        return value

    @field_validator("chat_template_kwargs")
    @classmethod
    def _sendable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            check_json(value)
        return value

    @model_validator(mode="after")
    def _server_takes_extras(self) -> OpenAIModelConfig:
        check_sampling(self.server, self._sampling() | {
            "chat_template_kwargs": self.chat_template_kwargs})
        check_set_once(self.extra_body, self._generation_body() | self._chat_body())
        return self

    @property
    def api_model(self) -> str:
        return self.model or self.name

    def build(self) -> Provider:
        # The SDK is imported only when a model of this kind is built, not at start-up.
        from bakeoff.providers.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(
            self.api_model, base_url=self.base_url, api_key_env=self.api_key_env,
            endpoint=self.endpoint, timeout_s=self.timeout_s, abilities=self.abilities(),
            extra_body=self.extra_body, generation_body=self._generation_body(),
            chat_body=self._chat_body(),
            batched_scoring=PRESETS[self.server].batched_scoring,
            retry=RetryPolicy(max_attempts=self.max_retries + 1, pacer=endpoint_pacer(
                self.base_url, self.api_key_env, requests_per_minute=self.requests_per_minute,
                tokens_per_minute=self.tokens_per_minute)))

    def identity(self) -> str:
        # The server preset is left out: it changes how scores are asked for, not the scores.
        # What it lets a model send (sampling fields, template arguments, extra fields) is in.
        asked = self._sampling() | {"chat_template_kwargs": self.chat_template_kwargs,
                                    "extra_body": self.extra_body}
        return (f"openai|{self.base_url}|{self.api_model}|{self.endpoint}"
                + identity_suffix(asked))

    def _sampling(self) -> dict[str, object]:
        return {"top_k": self.top_k, "min_p": self.min_p,
                "repetition_penalty": self.repetition_penalty}

    def _generation_body(self) -> dict[str, Any]:
        """Fields sent with generation requests: the sampling keys, in the server's names."""
        return sampling_body(self.server, self._sampling())

    def _chat_body(self) -> dict[str, Any]:
        """Fields sent with chat requests."""
        if self.chat_template_kwargs is None:
            return {}
        return {"chat_template_kwargs": self.chat_template_kwargs}

    def scores_loglikelihood(self) -> bool:
        """Whether multiple choice is scored by prompt logprobs (set, or the preset's)."""
        if self.loglikelihood is None:
            return PRESETS[self.server].loglikelihood
        return self.loglikelihood

    def abilities(self) -> Abilities:
        return Abilities(loglikelihood=self.scores_loglikelihood(), tools=self.tools,
                         structured_output=self.structured_output, streaming_usage=True,
                         endpoint=self.endpoint)

    def served_by(self) -> str:
        return f"{self.base_url} ({self.api_model})"

    def server_url(self) -> str | None:
        return self.base_url
