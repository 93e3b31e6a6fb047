"""The lean plain-http client against real loopback servers (asyncio, on 127.0.0.1).

Each server is scripted per connection: what it answers, and whether it closes the connection
afterwards, so keep-alive, chunked and close-delimited answers, stale connections and silence
are all exercised over real sockets.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.plain_http import PlainHTTPClient, PlainResponse, usable_for
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import GenerationRequest, Message, ProviderError

Answer = Callable[[bytes], bytes]  # the request's head and body -> the raw answer
OK_JSON = b'{"ok": true}'


def with_length(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}"
            f"content-length: {len(body)}\r\n\r\n").encode() + body


class Server:
    """Answers each request with `answer`; closes a connection after `close_after` answers."""

    def __init__(self, answer: Answer, close_after: int | None = None,
                 silent: bool = False) -> None:
        self.answer = answer
        self.close_after = close_after
        self.silent = silent
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                if self.silent:
                    await asyncio.sleep(3600)
                writer.write(self.answer(request))
                await writer.drain()
                answered += 1
                if self.close_after is not None and answered >= self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{server.port}/v1"
    finally:
        listener.close()


def run(server: Server, action: Callable[[str], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with serving(server) as base_url:
            return await action(base_url)
    return asyncio.run(main())


def posts(count: int, timeout_s: float = 10.0) -> Callable[[str], Awaitable[list[PlainResponse]]]:
    """Send `count` requests one after another with one client."""
    async def action(base_url: str) -> list[PlainResponse]:
        client = PlainHTTPClient(base_url, timeout_s=timeout_s)
        try:
            return [await client.post(f"{base_url}/chat/completions", content=b'{"n": 1}',
                                      headers={"Authorization": "Bearer k"})
                    for _ in range(count)]
        finally:
            await client.aclose()
    return action


def test_requests_share_a_kept_alive_connection_and_carry_their_headers() -> None:
    server = Server(lambda _request: with_length(OK_JSON))
    answers = run(server, posts(3))
    assert [(a.status_code, a.content) for a in answers] == [(200, OK_JSON)] * 3
    assert answers[0].headers["content-type"] == "application/json"
    assert server.connections == 1
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}".encode() in head
    assert b"Authorization: Bearer k" in head and b"Content-Length: 8" in head
    assert body == b'{"n": 1}'


def test_a_chunked_answer_is_joined() -> None:
    chunked = (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
               b"5\r\n{\"ok\"\r\n7;note=x\r\n: true}\r\n0\r\n\r\n")
    server = Server(lambda _request: chunked)
    assert [a.content for a in run(server, posts(2))] == [OK_JSON] * 2
    assert server.connections == 1


def test_an_answer_ended_by_closing_is_read_whole_and_its_connection_not_reused() -> None:
    server = Server(lambda _request: b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + OK_JSON,
                    close_after=1)
    assert [a.content for a in run(server, posts(2))] == [OK_JSON] * 2
    assert server.connections == 2


def test_a_gzipped_answer_is_decoded() -> None:
    packed = gzip.compress(OK_JSON)
    server = Server(lambda _request: with_length(packed, extra="content-encoding: gzip\r\n"))
    assert run(server, posts(1))[0].content == OK_JSON


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    # The server closes after each answer without saying so: the next request finds the
    # kept-alive connection dead and goes out again on a new one.
    server = Server(lambda _request: with_length(OK_JSON), close_after=1)
    assert [a.content for a in run(server, posts(3))] == [OK_JSON] * 3
    assert server.connections == 3
    assert len(server.requests) == 3  # nothing was sent twice to a live connection


def test_silence_is_a_read_timeout() -> None:
    with pytest.raises(httpx2.ReadTimeout):
        run(Server(lambda _request: b"", silent=True), posts(1, timeout_s=0.05))


def test_a_refused_connection_is_a_connect_error() -> None:
    async def action(base_url: str) -> None:
        client = PlainHTTPClient("http://127.0.0.1:9/v1", timeout_s=5)  # discard: closed
        await client.post("http://127.0.0.1:9/v1/x", content=b"{}", headers={})

    with pytest.raises(httpx2.ConnectError):
        run(Server(lambda _request: b""), action)


def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    with pytest.raises(httpx2.RemoteProtocolError):
        run(Server(lambda _request: b"SSH-2.0-OpenSSH\r\n\r\n"), posts(1))


@pytest.mark.parametrize(("url", "proxy", "expected"), [
    ("http://127.0.0.1:8000/v1", None, True),
    ("https://api.openai.com/v1", None, False),
    ("http://user:secret@127.0.0.1:8000/v1", None, False),  # httpx2 sends the credentials
    ("http://gpu-box:8000/v1", "http://proxy:3128", False),
    ("http://localhost:8000/v1", "http://proxy:3128", True),  # listed in no_proxy
])
def test_plain_http_is_used_only_without_tls_or_a_proxy(
        monkeypatch: pytest.MonkeyPatch, url: str, proxy: str | None, expected: bool) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("http_proxy", proxy)
        monkeypatch.setenv("no_proxy", "localhost")
    assert usable_for(url) is expected


# --- through the provider --------------------------------------------------------------------

def chat_answer(text: str) -> bytes:
    return with_length(json.dumps({
        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}).encode())


def generate(server: Server) -> Any:
    async def action(base_url: str) -> Any:
        provider = OpenAICompatProvider(
            "m", base_url=base_url, retry=RetryPolicy(max_attempts=2, base_delay_s=0.001))
        try:
            return await provider.generate(GenerationRequest(messages=(Message("user", "hi"),)))
        finally:
            await provider.aclose()
    return run(server, action)


def test_the_provider_answers_over_plain_http() -> None:
    server = Server(lambda _request: chat_answer("hello"))
    completion = generate(server)
    assert (completion.text, completion.usage.source) == ("hello", "server")
    assert json.loads(server.requests[0].partition(b"\r\n\r\n")[2])["messages"] == [
        {"role": "user", "content": "hi"}]


def test_a_rate_limit_over_plain_http_carries_the_server_wait() -> None:
    limited = with_length(b'{"error": {"message": "slow down"}}', "429 Too Many Requests",
                          "retry-after: 0\r\n")
    server = Server(lambda _request: limited)
    with pytest.raises(ProviderError) as caught:
        generate(server)
    error = caught.value
    assert (error.kind, error.retry_after_s, error.attempts) == ("rate_limited", 0.0, 2)
    assert error.message == "HTTP 429: slow down"
