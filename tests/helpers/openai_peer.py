"""A scripted OpenAI-compatible peer (httpx.MockTransport) for faults and wire formats a real
server cannot produce on demand. The provider and the SDK under test are real: `generate`
takes the non-streamed path, `streamed` the streamed one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import Completion, GenerationRequest, Message, ProviderError

BASE_URL = "http://fake.test/v1"
KEY_ENV = "BAKEOFF_TEST_API_KEY"
SECRET = "sk-bakeoff-SECRET-do-not-leak-7f3a"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.005)
CHAT = GenerationRequest(messages=(Message("user", "Say hi"),))

Reply = Callable[[httpx.Request], httpx.Response]


# --- scripted peer ---------------------------------------------------------------------------

def chat_chunk(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def usage_chunk(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [], "usage": {"prompt_tokens": prompt_tokens,
                                     "completion_tokens": completion_tokens,
                                     "total_tokens": prompt_tokens + completion_tokens}}


def sse(events: Iterable[dict[str, Any] | str], done: bool = True) -> bytes:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return "".join([*lines, "data: [DONE]\n\n" if done else ""]).encode()


def answer(*pieces: str, usage: tuple[int, int] | None = (5, 2)) -> Reply:
    """A chat answer in `pieces`: streamed when the request asks for a stream, else whole."""
    events: list[dict[str, Any]] = [chat_chunk(p) for p in pieces]
    events.append(chat_chunk(finish="stop"))
    if usage is not None:
        events.append(usage_chunk(*usage))
    streamed = stream_reply(sse(events))
    whole = json_reply(chat_answer("".join(pieces), usage=usage))

    def reply(request: httpx.Request) -> httpx.Response:
        return (streamed if json.loads(request.content).get("stream") else whole)(request)
    return reply


def chat_answer(content: str | None, finish: str | None = "stop",
                usage: tuple[int, int] | None = (5, 2),
                tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A non-streamed chat.completion body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    body: dict[str, Any] = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
                            "choices": [{"index": 0, "message": message,
                                         "finish_reason": finish}]}
    if usage is not None:
        body["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                         "total_tokens": sum(usage)}
    return body


def json_reply(body: dict[str, Any] | str) -> Reply:
    content = body if isinstance(body, str) else json.dumps(body)
    return lambda _request: httpx.Response(
        200, headers={"content-type": "application/json"}, content=content.encode())


def stream_reply(body: bytes) -> Reply:
    return lambda _request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body
    )


def status_reply(status: int, headers: dict[str, str] | None = None,
                 message: str = "nope") -> Reply:
    return lambda _request: httpx.Response(
        status, headers=headers, json={"error": {"message": message, "type": "x"}}
    )


def raise_reply(error: type[httpx.TransportError]) -> Reply:
    def reply(request: httpx.Request) -> httpx.Response:
        raise error("injected", request=request)
    return reply


class CutStream(httpx.AsyncByteStream):
    """Sends one SSE chunk, then the connection dies."""

    def __init__(self, error: type[httpx.TransportError]) -> None:
        self.error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield sse([chat_chunk("partial ")], done=False)
        raise self.error("peer closed connection: incomplete chunked read")


def cut_reply(error: type[httpx.TransportError]) -> Reply:
    return lambda _request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=CutStream(error)
    )


class FakePeer:
    """Answers requests with `replies` in turn; the last one repeats forever."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = replies
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.replies[min(len(self.requests), len(self.replies)) - 1](request)

    def body(self, index: int = 0) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.requests[index].content)
        return parsed


def run_against(peer: FakePeer, action: Callable[[OpenAICompatProvider], Any],
                **provider_options: Any) -> Any:
    """Run `action` on a provider whose HTTP peer is `peer` (retry policy FAST by default)."""
    async def main() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(peer)) as client:
            options = {"retry": FAST, **provider_options}
            provider = OpenAICompatProvider("m", base_url=BASE_URL, http_client=client, **options)
            try:
                return await action(provider)
            finally:
                await provider.aclose()
    return asyncio.run(main())


def generate(peer: FakePeer, request: GenerationRequest = CHAT, **options: Any) -> Completion:
    result: Completion = run_against(peer, lambda p: p.generate(request), **options)
    return result


def generate_error(peer: FakePeer, request: GenerationRequest = CHAT,
                   **options: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        generate(peer, request, **options)
    return caught.value


def streamed(peer: FakePeer, request: GenerationRequest = CHAT, **options: Any) -> Completion:
    """`generate` through the streamed path (with retries), as `bakeoff ask` takes it."""
    result: Completion = run_against(peer, lambda p: p.generate_streamed(request), **options)
    return result


def streamed_error(peer: FakePeer, request: GenerationRequest = CHAT,
                   **options: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        streamed(peer, request, **options)
    return caught.value
