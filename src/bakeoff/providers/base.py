"""The Provider protocol: how bakeoff talks to a model, whatever serves it.

A provider knows nothing of benchmarks. It turns a `GenerationRequest` into a `Completion`
(streamed, so time to first token is always measured) and, where the backend exposes token
log-probabilities, scores continuations. Failures raise `ProviderError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bakeoff.types import Completion, GenerationRequest, LoglikelihoodRequest, ProviderError


@dataclass(frozen=True)
class StreamDelta:
    """A piece of streamed text and the instant (time.time()) it arrived."""

    text: str
    at: float


StreamEvent = StreamDelta | Completion


@runtime_checkable
class Provider(Protocol):
    """A model behind some API. `kind` and `model_id` form the cache identity."""

    kind: str
    model_id: str
    supports_loglikelihood: bool
    # "chat" when only a chat endpoint is offered (chat APIs); "completions" when raw prompts work.
    preferred_endpoint: str

    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """Yield text deltas as they arrive, then exactly one final `Completion`."""
        ...

    async def generate(self, request: GenerationRequest) -> Completion: ...

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]: ...

    async def aclose(self) -> None: ...


async def collect(stream: AsyncIterator[StreamEvent]) -> Completion:
    """Drain a stream and return its final Completion."""
    final: Completion | None = None
    async for event in stream:
        if isinstance(event, Completion):
            final = event
    if final is None:
        raise ProviderError("bad_response", "the stream ended without a completion")
    return final
