"""A loopback OpenAI-compatible server that enforces a requests-per-minute limit with 429s.

An asyncio HTTP/1.1 server (keep-alive, Content-Length bodies) answering /v1/chat/completions
and /v1/completions, streamed (SSE) or not, with a one-word answer and usage. The limit is a
token bucket, as hosted APIs keep theirs: `burst` requests at once, refilled at `rpm` / 60 per
second. Over the limit it answers 429 with Retry-After (whole seconds) and retry-after-ms (the
time until the next request is allowed). With `headers=True` every answer also carries
OpenAI's x-ratelimit-limit-/remaining-/reset-requests headers.

Used by tests/providers/test_pacing_server.py and perf/rate_limit.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field

_ANSWER = "Paris"


@dataclass
class RateLimitedServer:
    rpm: float
    burst: int
    headers: bool = False
    answered: int = 0
    refused: int = 0
    port: int = 0
    _tokens: float = field(init=False)
    _refilled_at: float = field(default_factory=time.monotonic)
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and end the connections still open (a client's idle keep-alives)."""
        if self._server is not None:
            self._server.close()
            for handler in self._handlers:
                handler.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()

    def _take(self) -> tuple[bool, dict[str, str]]:
        """Whether this request is allowed now, and the headers that say how things stand."""
        now = time.monotonic()
        per_s = self.rpm / 60.0
        self._tokens = min(float(self.burst), self._tokens + (now - self._refilled_at) * per_s)
        self._refilled_at = now
        allowed = self._tokens >= 1.0
        if allowed:
            self._tokens -= 1.0
        info: dict[str, str] = {}
        if self.headers:
            until_full = (self.burst - self._tokens) / per_s
            info = {"x-ratelimit-limit-requests": str(self.burst),
                    "x-ratelimit-remaining-requests": str(math.floor(self._tokens)),
                    "x-ratelimit-reset-requests": f"{until_full:.3f}s"}
        if not allowed:
            wait_s = (1.0 - self._tokens) / per_s
            info |= {"retry-after": str(math.ceil(wait_s)),
                     "retry-after-ms": str(math.ceil(wait_s * 1000))}
        return allowed, info

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                path, body = request
                allowed, info = self._take()
                if allowed:
                    self.answered += 1
                    status, content_type, payload = 200, *_answer(path, body)
                else:
                    self.refused += 1
                    status, content_type = 429, "application/json"
                    payload = json.dumps({"error": {"message": "Rate limit reached",
                                                    "type": "requests"}}).encode()
                writer.write(_response(status, content_type, payload, info))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping
        finally:
            writer.close()
            self._handlers.discard(handler)


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, object]] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    raw = await reader.readexactly(length) if length else b"{}"
    return path, json.loads(raw)


def _answer(path: str, body: dict[str, object]) -> tuple[str, bytes]:
    usage = {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}
    chat = path.endswith("/chat/completions")
    choice: dict[str, object] = ({"index": 0, "message": {"role": "assistant", "content": _ANSWER}}
                                 if chat else {"index": 0, "text": _ANSWER})
    kind = "chat.completion" if chat else "text_completion"
    common = {"id": "x", "created": 0, "model": str(body.get("model", "m"))}
    if not body.get("stream"):
        answer = {**common, "object": kind, "usage": usage,
                  "choices": [{**choice, "finish_reason": "stop"}]}
        return "application/json", json.dumps(answer).encode()
    piece: dict[str, object] = ({"index": 0, "delta": {"content": _ANSWER}} if chat
                                else {"index": 0, "text": _ANSWER})
    chunk_kind = "chat.completion.chunk" if chat else "text_completion"
    events = [{**common, "object": chunk_kind, "choices": [{**piece, "finish_reason": "stop"}]},
              {**common, "object": chunk_kind, "choices": [], "usage": usage}]
    text = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
    return "text/event-stream", text.encode()


def _response(status: int, content_type: str, payload: bytes, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 429: "Too Many Requests"}[status]
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}",
             f"Content-Length: {len(payload)}", "Connection: keep-alive",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
