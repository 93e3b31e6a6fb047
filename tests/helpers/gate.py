"""A gate in front of a real server: it passes a set number of completion requests, then holds
the next ones, so a test can stop bakeoff at a known point instead of racing it.

    with gate_to(server.base_url) as gate:
        gate.hold_after(2)          # two completions reach the server, the third waits
        ... start bakeoff with base_url = gate.base_url ...
        gate.wait_until_held()      # bakeoff has stored two answers and is waiting for the third
        ... kill bakeoff ...
        gate.open()                 # later requests pass; a held request never reaches the server

Everything else (GET /v1/models, tokenize) passes untouched. `gate.forwarded` counts the
completion requests the server received through the gate, exactly, with no log to parse.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

COMPLETION_PATHS = ("/v1/chat/completions", "/v1/completions")
# Not passed on either way: they describe one hop's connection, not the message.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
               "accept-encoding", "proxy-connection", "te", "trailer", "upgrade"}
WAIT_S = 240.0  # a safety net against a hung test, never a measurement


class Gate:
    """Counts and holds completion requests; shared by the proxy's handler threads."""

    def __init__(self, base_url: str) -> None:
        self._condition = threading.Condition()
        self._passes: int | None = None  # None: everything passes
        self._closed = False
        self.forwarded = 0
        self.held = 0
        self.base_url = base_url  # where bakeoff should send requests

    def hold_after(self, count: int) -> None:
        """Let `count` more completion requests through, then hold the rest."""
        with self._condition:
            self._passes = count

    def open(self) -> None:
        """Let every later request through (those already held stay held)."""
        with self._condition:
            self._passes = None

    def wait_until_held(self, count: int = 1) -> None:
        with self._condition:
            if not self._condition.wait_for(lambda: self.held >= count, timeout=WAIT_S):
                raise AssertionError(f"no request reached the gate's hold in {WAIT_S:.0f}s "
                                     f"({self.forwarded} forwarded)")

    def admit(self) -> bool:
        """True: forward the request now. False: it was held until the gate closed; drop it."""
        with self._condition:
            if self._passes is None or self._passes > 0:
                if self._passes is not None:
                    self._passes -= 1
                self.forwarded += 1
                return True
            self.held += 1
            self._condition.notify_all()
            self._condition.wait_for(lambda: self._closed)
            return False

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, gate: Gate) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream  # scheme://host:port
        self.gate = gate
        self.client = httpx.Client(timeout=httpx.Timeout(600.0, connect=10.0))

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-answer (Ctrl-C, kill -9) is what the tests do


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, the answer ends when the connection closes.
    protocol_version = "HTTP/1.0"
    server: _Proxy

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        completion = self.command == "POST" and self.path.split("?")[0] in COMPLETION_PATHS
        if completion and not self.server.gate.admit():
            return  # held until the gate closed: the server never sees it
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        try:
            with self.server.client.stream(self.command, self.server.upstream + self.path,
                                           headers=headers, content=body) as response:
                self.send_response(response.status_code)
                for key, value in response.headers.items():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.end_headers()
                for chunk in response.iter_raw():
                    self.wfile.write(chunk)
                    self.wfile.flush()
        except (OSError, httpx.HTTPError):
            self.close_connection = True  # the client left; closing the stream tells the server


@contextmanager
def gate_to(base_url: str) -> Iterator[Gate]:
    """A gate on 127.0.0.1 in front of `base_url` (http://host:port/v1), open at first; its
    `base_url` is where bakeoff should send requests."""
    parts = urlsplit(base_url)
    gate = Gate("")
    proxy = _Proxy(f"{parts.scheme}://{parts.netloc}", gate)
    host, port = proxy.server_address[:2]
    gate.base_url = f"http://{host!s}:{port}{parts.path}"
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield gate
    finally:
        gate.close()
        proxy.shutdown()
        proxy.server_close()
        proxy.client.close()
        thread.join()
