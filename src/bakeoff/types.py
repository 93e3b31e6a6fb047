"""The values that flow through bakeoff: requests, completions, samples, scores and errors.

Everything here is plain data (frozen dataclasses), so it can be hashed, stored and compared.
A provider turns a request into a `Completion` or raises `ProviderError`; the runner turns that
error into an `ErrorRecord`, which is stored and counted but never scored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
Endpoint = Literal["chat", "completions"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


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

    def __post_init__(self) -> None:
        if bool(self.messages) == (self.prompt is not None):
            raise ValueError("a GenerationRequest needs exactly one of messages or prompt")

    @property
    def endpoint(self) -> Endpoint:
        return "completions" if self.prompt is not None else "chat"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "generate", **asdict(self)}


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """The log-probability of `continuation` following `context` (raw text, no chat template)."""

    context: str
    continuation: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "loglikelihood", **asdict(self)}


Request = GenerationRequest | LoglikelihoodRequest


def request_key(provider_kind: str, model_id: str, request: Request) -> str:
    """The cache key of a request: same provider, model and request give the same key."""
    payload = {"provider": provider_kind, "model": model_id, "request": request.as_dict()}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
