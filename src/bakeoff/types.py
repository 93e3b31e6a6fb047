"""The values that flow through bakeoff: requests, completions, samples, scores and errors.

Everything here is plain data (frozen dataclasses), so it can be hashed, stored and compared.
A provider turns a request into a `Completion` or raises `ProviderError`; the runner turns that
error into an `ErrorRecord`, which is stored and counted but never scored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
Endpoint = Literal["chat", "completions"]
# "auto": the model decides; "none": no call; "required": at least one call; any other value
# names the one function the model must call.
ToolChoice = str


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for; `arguments` is the JSON text as the model wrote it."""

    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict[str, Any] | None:
        """The arguments as an object, or None when the text is not a JSON object."""
        try:
            value = json.loads(self.arguments) if self.arguments.strip() else {}
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Message:
    """One chat turn. An assistant turn may carry tool calls; a "tool" turn answers one call
    (`tool_call_id`) with its result as `content`."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data; the tool fields only when set, so a plain turn keeps its old form."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [asdict(call) for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        return data


def canonical_json(value: Any) -> str:
    """JSON text with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Tool:
    """A function the model may call (the OpenAI function schema). The JSON Schema of its
    parameters is kept as canonical JSON text, so a request stays hashable."""

    name: str
    description: str = ""
    parameters_json: str = '{"properties":{},"type":"object"}'

    @classmethod
    def function(cls, name: str, description: str, parameters: dict[str, Any]) -> Tool:
        return cls(name, description, canonical_json(parameters))

    @property
    def parameters(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.parameters_json)
        return value

    def as_openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.name,
                                                 "description": self.description,
                                                 "parameters": self.parameters}}


@dataclass(frozen=True)
class JsonSchemaFormat:
    """`response_format`: the answer must be JSON that follows this schema (canonical JSON)."""

    name: str
    schema_json: str
    strict: bool = True

    @classmethod
    def of(cls, name: str, schema: dict[str, Any], strict: bool = True) -> JsonSchemaFormat:
        return cls(name, canonical_json(schema), strict)

    @property
    def schema(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.schema_json)
        return value

    def as_openai(self) -> dict[str, Any]:
        return {"type": "json_schema", "json_schema": {"name": self.name, "schema": self.schema,
                                                       "strict": self.strict}}


@dataclass(frozen=True)
class Abilities:
    """What a model's provider can do, declared before any call. A request that needs an
    ability the model lacks ends in an "unsupported" error record, never a wrong answer."""

    # Token log-probabilities of a given text (multiple choice by loglikelihood).
    loglikelihood: bool = False
    # Native function calling (`tools`, `tool_choice`, tool turns).
    tools: bool = False
    # Output constrained to a JSON Schema (`response_format`).
    structured_output: bool = False
    # Token counts arrive with a streamed answer (else they are recounted or estimated).
    streaming_usage: bool = False
    # The model runs in this process (its concurrency: requests decoded together).
    in_process: bool = False
    # "completions": raw prompts work; "chat": only chat messages.
    endpoint: Endpoint = "chat"


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings. temperature 0 means greedy decoding."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = 1234
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerationRequest:
    """One generation: either chat `messages` or a raw `prompt` for a completions endpoint."""

    config: GenerationConfig = field(default_factory=GenerationConfig)
    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    # Functions the model may call, and whether it must (see ToolChoice); chat only.
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice = "auto"
    # The answer must be JSON following this schema; chat only.
    response_format: JsonSchemaFormat | None = None

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.prompt is not None):
            raise ValueError("a GenerationRequest needs exactly one of messages or prompt")
        if self.prompt is not None and (self.tools or self.response_format is not None):
            raise ValueError("tools and response_format need chat messages, not a prompt")

    @property
    def endpoint(self) -> Endpoint:
        return "completions" if self.prompt is not None else "chat"

    @property
    def needs(self) -> tuple[str, ...]:
        """The abilities (field names of `Abilities`) this request needs beyond generation."""
        wanted = [name for name, used in (
            ("tools", bool(self.tools) or any(m.tool_calls or m.role == "tool"
                                              for m in self.messages)),
            ("structured_output", self.response_format is not None)) if used]
        return tuple(wanted)

    @cached_property
    def canonical(self) -> str:
        """`as_dict()` as canonical JSON, made once per request: its cache key and its stored
        form both use it."""
        return canonical_json(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the cache key and the store. Tool and format fields appear only when
        set, so every request that uses none of them keeps the key it always had."""
        data: dict[str, Any] = {"kind": "generate", "config": asdict(self.config),
                                "messages": [m.as_dict() for m in self.messages],
                                "prompt": self.prompt}
        if self.tools:
            data["tools"] = [tool.as_openai() for tool in self.tools]
            data["tool_choice"] = self.tool_choice
        if self.response_format is not None:
            data["response_format"] = self.response_format.as_openai()
        return data


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """The log-probability of `continuation` following `context` (raw text, no chat template)."""

    context: str
    continuation: str

    @cached_property
    def canonical(self) -> str:
        return canonical_json(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "loglikelihood", **asdict(self)}


Request = GenerationRequest | LoglikelihoodRequest


def request_key(provider_kind: str, model_id: str, request: Request) -> str:
    """The cache key of a request: same provider, model and request give the same key.

    The hashed text is canonical_json({"provider": ..., "model": ..., "request": as_dict()}),
    written out in its sorted key order so that the request's part is made once."""
    text = (f'{{"model":{canonical_json(model_id)},"provider":{canonical_json(provider_kind)},'
            f'"request":{request.canonical}}}')
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    # "server": the endpoint (or the in-process engine) reported the counts; "tokenizer":
    # bakeoff counted them with the model's tokenizer; "estimate": neither was possible, so
    # input is characters / 4 and output the number of streamed chunks; "none": no tokens
    # were generated (loglikelihood scoring).
    source: Literal["server", "tokenizer", "estimate", "none"] = "server"


@dataclass(frozen=True)
class Timing:
    """Wall-clock instants (time.time()) of one call; first_token is None when nothing came."""

    started: float
    finished: float
    first_token: float | None = None

    @property
    def latency_s(self) -> float:
        return self.finished - self.started

    @property
    def ttft_s(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.started


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage
    timing: Timing
    finish_reason: str | None = None
    # Log-probability result for loglikelihood requests (sum over continuation tokens).
    logprob: float | None = None
    is_greedy: bool | None = None
    # Functions the model asked to call, in the order it wrote them.
    tool_calls: tuple[ToolCall, ...] = ()


ErrorKind = Literal[
    "rate_limited", "server_error", "timeout", "connection", "bad_response", "bad_request",
    "auth", "unsupported", "internal",
]


@dataclass(frozen=True)
class ErrorRecord:
    """A call that failed after its retries. Shown and counted as an error, never scored."""

    kind: ErrorKind
    message: str
    attempts: int = 1


class ProviderError(Exception):
    """Raised by providers when a call cannot produce a completion."""

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool = False,
                 retry_after_s: float | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.attempts = attempts

    def record(self) -> ErrorRecord:
        return ErrorRecord(kind=self.kind, message=self.message, attempts=self.attempts)


@dataclass(frozen=True)
class Sample:
    """One benchmark item. `choices` is empty for generative items."""

    id: str
    input: str
    target: str
    choices: tuple[str, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()

    def meta(self, key: str, default: str = "") -> str:
        return dict(self.metadata).get(key, default)


@dataclass(frozen=True)
class Score:
    """The score of one sample: `value` in [0, 1]; `extracted` is what the scorer read."""

    sample_id: str
    metric: str
    value: float
    extracted: str | None = None
