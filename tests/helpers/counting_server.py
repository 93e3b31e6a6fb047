"""A deterministic OpenAI-compatible chat server on 127.0.0.1 that counts what it is asked.

Each answer is a function of the request's model and messages alone, so two runs of the same
suite get the same answers whatever order they ask in. The server counts the requests per
prompt (model + messages), the most it had in flight at once, and can hold requests: after
`hold_after(n)` the next requests wait until `release()`, so a test can act while a known
request is in flight. `held_clients` gives the (host, port) each held request came from.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WAIT_S = 120.0  # a safety net against a hung test, never a measurement
WORDS = ("Paris", "Rome", "Madrid", "Berlin", "Tokyo", "blue", "four", "honey", "apple", "ice")


def answer_for(prompt: str) -> str:
    """The server's answer to a prompt: a letter and a word picked by its hash."""
    digest = hashlib.sha256(prompt.encode()).digest()
    return f"{'ABCD'[digest[0] % 4]}. {WORDS[digest[1] % len(WORDS)]}"


@dataclass
class CountingServer:
    base_url: str = ""
    asked: Counter[str] = field(default_factory=Counter)  # prompt -> requests received
    in_flight: int = 0
    most_in_flight: int = 0
    held_clients: list[tuple[str, int]] = field(default_factory=list)
    held_prompts: list[str] = field(default_factory=list)
    _passes: int | None = None  # None: nothing is held
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def hold_after(self, count: int) -> None:
        """Answer `count` more requests, then hold the next ones until `release()`."""
        with self._condition:
            self._passes = count

    def release(self) -> None:
        """Answer the held requests and every later one."""
        with self._condition:
            self._passes = None
            self._condition.notify_all()

    def wait_until_held(self, count: int = 1) -> None:
        with self._condition:
            if not self._condition.wait_for(lambda: len(self.held_clients) >= count,
                                            timeout=WAIT_S):
                raise AssertionError(f"no request held in {WAIT_S:.0f}s")

    def enter(self, prompt: str, client: tuple[str, int]) -> None:
        """Count the request; hold it while the server holds."""
        with self._condition:
            self.asked[prompt] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if self._passes is None:
                return
            if self._passes > 0:
                self._passes -= 1
                return
            self.held_clients.append(client)
            self.held_prompts.append(prompt)
            self._condition.notify_all()
            self._condition.wait_for(lambda: self._passes is None, timeout=WAIT_S)

    def leave(self) -> None:
        with self._condition:
            self.in_flight -= 1


def _handler(server: CountingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
            prompt = json.dumps([body.get("model"), body.get("messages")], sort_keys=True)
            server.enter(prompt, self.client_address[:2])
            try:
                text = answer_for(prompt)
                payload = json.dumps({
                    "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 2,
                              "total_tokens": 12}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client is gone (a killed worker)
            finally:
                server.leave()

    return Handler


@contextmanager
def counting_server() -> Iterator[CountingServer]:
    """A counting server on 127.0.0.1; its `base_url` ends in /v1."""
    state = CountingServer()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    http.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{http.server_address[1]}/v1"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release()
        http.shutdown()
        http.server_close()
        thread.join()
