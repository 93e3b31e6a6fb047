"""The `openai` provider kind: any OpenAI-compatible endpoint (OpenAI, Mistral, gateways, vLLM,
SGLang, Ollama, llama.cpp servers). Its keys and abilities; the provider itself is in
openai_compat.py, imported (with the OpenAI SDK) only when a model is built."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bakeoff.providers.base import MAX_NAME, MAX_TEXT, Amount, Count, ModelConfig, Provider
from bakeoff.providers.pacing import endpoint_pacer
from bakeoff.providers.retry import RetryPolicy
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
    # The server returns prompt logprobs (vLLM, SGLang, llama.cpp server): score multiple
    # choice by loglikelihood through its completions endpoint instead of letter generation.
    loglikelihood: bool = False
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

    @property
    def api_model(self) -> str:
        return self.model or self.name

    def build(self) -> Provider:
        # The SDK is imported only when a model of this kind is built, not at start-up.
        from bakeoff.providers.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(
            self.api_model, base_url=self.base_url, api_key_env=self.api_key_env,
            endpoint=self.endpoint, timeout_s=self.timeout_s, abilities=self.abilities(),
            retry=RetryPolicy(max_attempts=self.max_retries + 1, pacer=endpoint_pacer(
                self.base_url, self.api_key_env, requests_per_minute=self.requests_per_minute,
                tokens_per_minute=self.tokens_per_minute)))

    def identity(self) -> str:
        return f"openai|{self.base_url}|{self.api_model}|{self.endpoint}"

    def abilities(self) -> Abilities:
        return Abilities(loglikelihood=self.loglikelihood, tools=self.tools,
                         structured_output=self.structured_output, streaming_usage=True,
                         endpoint=self.endpoint)

    def served_by(self) -> str:
        return f"{self.base_url} ({self.api_model})"

    def server_url(self) -> str | None:
        return self.base_url
