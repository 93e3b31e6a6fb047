"""A minimal HTTP/1.1 client for the non-streamed request path to plain-http endpoints.

Self-hosted servers (vLLM, SGLang, llama.cpp) are usually reached over plain http on the same
machine or network, where bakeoff's own CPU is what limits a run: httpx2 spends about 0.6 ms
of CPU on each request, this client a fraction of that (perf/api_throughput.py). It does only
what that path needs: POST a JSON body on a kept-alive connection and read one answer
(Content-Length, chunked or close-delimited; gzip or deflate). https, URLs with credentials,
and any endpoint the environment routes through a proxy go through httpx2 (`usable_for`).

Failures raise httpx2's exception types (ConnectError, ReadError, RemoteProtocolError,
ReadTimeout), so callers map them as they map httpx2's. A request sent on a kept-alive
connection that the server had closed meanwhile is sent again once on a new connection.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import httpx2

_HEAD_LIMIT = 1 << 20  # the largest response head read


@dataclass(frozen=True)
class PlainResponse:
    """One answer: its status, headers (names in lower case) and body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def usable_for(base_url: str) -> bool:
    """True for a plain-http URL without credentials in it that the environment does not send
    through a proxy."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname or parts.username is not None:
        return False
    proxies = urllib.request.getproxies()
    if not (proxies.get("http") or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname))


class _StaleConnection(Exception):
    """The server closed a kept-alive connection before answering on it."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def closed(self) -> bool:
        return self.reader.at_eof() or self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> tuple[PlainResponse, bool]:
        """Send `request`; the answer and whether the connection may be used again."""
        try:
            self.writer.write(request)
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if not error.partial:
                raise _StaleConnection from None
            raise httpx2.RemoteProtocolError("the server closed the connection mid-answer") \
                from None
        except (ConnectionResetError, BrokenPipeError):
            raise _StaleConnection from None
        except asyncio.LimitOverrunError:
            raise httpx2.RemoteProtocolError("the answer's head is too long") from None
        status, keep_alive, headers = _parse_head(head)
        while 100 <= status < 200:  # an interim answer: the real one follows
            status, keep_alive, headers = _parse_head(await self.reader.readuntil(b"\r\n\r\n"))
        body, delimited = await self._body(headers)
        return (PlainResponse(status, headers, _decoded(body, headers)),
                keep_alive and delimited)

    async def _body(self, headers: Mapping[str, str]) -> tuple[bytes, bool]:
        """The body, and whether its end was marked (else the server closed the connection)."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await self._chunks(), True
        length = headers.get("content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                raise httpx2.RemoteProtocolError(f"Content-Length {length!r}") from None
            return await self.reader.readexactly(size), True
        return await self.reader.read(), False

    async def _chunks(self) -> bytes:
        pieces: list[bytes] = []
        while True:
            line = await self.reader.readuntil(b"\r\n")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise httpx2.RemoteProtocolError(f"chunk size {line[:40]!r}") from None
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(pieces)
            pieces.append((await self.reader.readexactly(size + 2))[:-2])


def _parse_head(head: bytes) -> tuple[int, bool, dict[str, str]]:
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise httpx2.RemoteProtocolError(f"not an HTTP/1.x answer: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
    return int(code), keep_alive, headers


def _decoded(body: bytes, headers: Mapping[str, str]) -> bytes:
    encoding = headers.get("content-encoding", "identity").lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class PlainHTTPClient:
    """Kept-alive connections to one plain-http origin, used last-in first-out."""

    def __init__(self, base_url: str, *, timeout_s: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not a plain-http URL: {base_url}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._origin = f"http://{parts.netloc}"
        self._host_header = parts.netloc.rpartition("@")[2].encode("ascii")
        self._timeout_s = timeout_s
        self._idle: list[_Connection] = []

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> PlainResponse:
        """POST `content` to `url` (on this client's origin) and read the whole answer."""
        if not url.startswith(self._origin):
            raise ValueError(f"{url} is not on {self._origin}")
        request = self._request(url[len(self._origin):] or "/", content, headers)
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._send(request)
        except TimeoutError:
            raise httpx2.ReadTimeout(f"no answer within {self._timeout_s:g} s") from None

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _request(self, path: str, content: bytes, headers: Mapping[str, str]) -> bytes:
        lines = [b"POST " + path.encode("ascii") + b" HTTP/1.1", b"Host: " + self._host_header,
                 b"Content-Length: " + str(len(content)).encode(), b"Accept-Encoding: identity"]
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name} holds a line break")
            lines.append(f"{name}: {value}".encode("latin-1"))
        return b"\r\n".join(lines) + b"\r\n\r\n" + content

    async def _send(self, request: bytes) -> PlainResponse:
        for _ in range(2):
            connection, reused = await self._connection()
            try:
                response, reusable = await connection.exchange(request)
            except _StaleConnection:
                connection.close()
                if reused:
                    continue  # closed while idle: once more on a new connection
                raise httpx2.ReadError("the server closed the connection") from None
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
                connection.close()
                raise httpx2.ReadError(f"reading the answer failed ({error!r})") from None
            except BaseException:
                connection.close()
                raise
            if reusable:
                self._idle.append(connection)
            else:
                connection.close()
            return response
        raise httpx2.ReadError("the server closed two connections in a row")

    async def _connection(self) -> tuple[_Connection, bool]:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection, True
            connection.close()
        try:
            reader, writer = await asyncio.open_connection(self._host, self._port,
                                                           limit=_HEAD_LIMIT)
        except OSError as error:
            raise httpx2.ConnectError(f"cannot connect to {self._origin} ({error})") from None
        return _Connection(reader, writer), False
