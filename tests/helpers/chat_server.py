"""A real OpenAI-compatible chat server on 127.0.0.1 that answers every request with the same
text: streamed as server-sent events (a chunk per word, then usage) or as one JSON body. For
CLI tests that need answers over real HTTP but no model."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _handler(answer: str, finish: str) -> type[BaseHTTPRequestHandler]:
    words = answer.split(" ")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if body.get("stream"):
                self._stream()
            else:
                self._send("application/json", json.dumps({
                    "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
                    "choices": [{"index": 0, "finish_reason": finish,
                                 "message": {"role": "assistant", "content": answer}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": len(words),
                              "total_tokens": 10 + len(words)}}).encode())

        def _stream(self) -> None:
            pieces = [_chunk({"role": "assistant", "content": ""})]
            pieces += [_chunk({"content": (" " if i else "") + word})
                       for i, word in enumerate(words)]
            pieces += [_chunk({}, finish),
                       {"id": "c1", "object": "chat.completion.chunk", "created": 1,
                        "model": "m", "choices": [],
                        "usage": {"prompt_tokens": 10, "completion_tokens": len(words),
                                  "total_tokens": 10 + len(words)}}]
            events = "".join(f"data: {json.dumps(p)}\n\n" for p in pieces) + "data: [DONE]\n\n"
            self._send("text/event-stream", events.encode())

        def _send(self, content_type: str, payload: bytes) -> None:
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def chat_server(answer: str, finish: str = "stop") -> Iterator[str]:
    """Serve `answer` to every chat request, ended with `finish` ("length": cut off at
    max_tokens); yields the base URL (http://127.0.0.1:PORT/v1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer, finish))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
