"""Timing one streamed request, and settling its token counts afterwards.

The clock starts just before the provider's stream is first asked for an event (the request
is sent then; for an in-process model any wait for the model's lock counts, as a client would
see it) and the first content chunk's own arrival stamp (`StreamDelta.at`) is the first token.
A failed request is kept as an error, never as a fast empty answer; so is a stream that ends
without a finish reason, which was cut off rather than finished.

Token counts are settled after a whole load level has finished: recounting with a server's
tokenize endpoint would otherwise queue behind the generations being timed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from bakeoff.providers.base import Provider, StreamDelta
from bakeoff.speed.metrics import RequestTimes
from bakeoff.speed.tokens import TokenCounter
from bakeoff.types import Completion, GenerationRequest, ProviderError


@dataclass(frozen=True)
class MeasuredRequest:
    """One request as measured: its timestamps, its text and its token counts."""

    index: int
    warmup: bool
    sent: float
    chunk_arrivals: tuple[float, ...]
    finished: float
    prompt_text: str
    text: str
    input_tokens: int | None
    output_tokens: int | None
    token_source: str  # Usage.source: "server", "tokenizer" or "estimate"
    finish_reason: str | None
    error: str | None

    @property
    def times(self) -> RequestTimes:
        return RequestTimes(sent=self.sent, chunk_arrivals=self.chunk_arrivals,
                            finished=self.finished, output_tokens=self.output_tokens or 0)


async def measure_request(provider: Provider, request: GenerationRequest, index: int,
                          *, warmup: bool = False) -> MeasuredRequest:
    """Stream one request and record when each content chunk arrived."""
    arrivals: list[float] = []
    final: Completion | None = None
    sent = time.time()
    try:
        async for event in provider.stream(request):
            if isinstance(event, StreamDelta):
                if event.text:
                    arrivals.append(event.at)
            else:
                final = event
    except ProviderError as error:
        return _failed(index, warmup, sent, arrivals, request, f"{error.kind}: {error.message}")
    finished = time.time()
    if final is None or final.finish_reason is None:
        # A stream that stops without saying why was cut off (llama-cpp-python's server
        # ends a stream early when another request arrives, unless --interrupt_requests False).
        return _failed(index, warmup, sent, arrivals, request, "the stream ended without a "
                       "finish reason (cut off)")
    return MeasuredRequest(
        index=index, warmup=warmup, sent=sent, chunk_arrivals=tuple(arrivals),
        finished=finished, prompt_text=_prompt_text(request), text=final.text,
        input_tokens=final.usage.input_tokens, output_tokens=final.usage.output_tokens,
        token_source=final.usage.source, finish_reason=final.finish_reason, error=None)


async def settle_tokens(measured: MeasuredRequest,
                        counter: TokenCounter | None) -> MeasuredRequest:
    """Replace estimated counts with the tokenizer's, when there is a tokenizer."""
    if measured.error is not None or measured.token_source != "estimate" or counter is None:
        return measured
    return replace(measured, input_tokens=await counter.count(measured.prompt_text),
                   output_tokens=await counter.count(measured.text), token_source="tokenizer")


def _failed(index: int, warmup: bool, sent: float, arrivals: list[float],
            request: GenerationRequest, message: str) -> MeasuredRequest:
    return MeasuredRequest(
        index=index, warmup=warmup, sent=sent, chunk_arrivals=tuple(arrivals),
        finished=time.time(), prompt_text=_prompt_text(request), text="", input_tokens=None,
        output_tokens=None, token_source="none", finish_reason=None, error=message)


def _prompt_text(request: GenerationRequest) -> str:
    if request.prompt is not None:
        return request.prompt
    return "\n".join(message.content for message in request.messages)
