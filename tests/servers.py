"""Real servers for integration tests: llama-cpp-python's OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BUNDLED_MODEL = "smollm2-135m-instruct"
STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class LlamaServer:
    base_url: str  # http://127.0.0.1:PORT/v1
    model: str
    log_path: Path

    def request_count(self, path: str = "/v1/chat/completions") -> int:
        """POSTs to `path` so far, from uvicorn's access log.

        The lines look like: INFO:     127.0.0.1:53872 - "POST /v1/chat/completions HTTP/1.1" 200 OK
        uvicorn writes it before sending the response headers, so any answered call is counted.
        """
        marker = f'"POST {path} HTTP/'
        lines = self.log_path.read_text(errors="replace").splitlines()
        return sum(marker in line for line in lines)

    def reset_reused_prefix(self) -> None:
        """Put the server's model in a known state before a sequence of requests.

        llama-cpp-python keeps the last prompt's tokens in its KV cache and evaluates only
        what a new prompt adds to their common prefix, and a token's logits can depend on the
        batch it was evaluated in. Two runs that must give equal answers therefore start after
        the same fixed request, whatever the tests before them asked.
        """
        response = httpx.post(f"{self.base_url}/completions", timeout=120.0, json={
            "model": self.model, "prompt": "Reset.", "max_tokens": 1, "temperature": 0.0})
        response.raise_for_status()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def start_llama_server(model_path: Path, log_path: Path, *, model_alias: str = BUNDLED_MODEL,
                       threads: int = 1,
                       extra_args: Sequence[str] = ()) -> Iterator[LlamaServer]:
    """Run `python -m llama_cpp.server` on a free port until the block ends.

    stdout and stderr go to `log_path`; a server that is not answering GET /v1/models within
    STARTUP_TIMEOUT_S fails with the tail of that log.

    `extra_args` are appended to the server's command line (e.g. ["--n_batch", "256"]).

    One thread by default: on a small, busy machine llama.cpp's default (all cores for prompt
    batches) spin-waits on preempted threads, and a 12-token prompt took 8 s instead of 0.1 s.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
        "--model_alias", model_alias,
        "--n_threads", str(threads), "--n_threads_batch", str(threads),
        *extra_args,
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = LlamaServer(f"http://127.0.0.1:{port}/v1", model_alias, log_path)
    try:
        _wait_until_ready(process, server)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(process: subprocess.Popen[bytes], server: LlamaServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama server exited with {process.returncode}\n{_tail(server)}")
        try:
            if httpx.get(f"{server.base_url}/models", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.25)
    raise RuntimeError(f"llama server not ready after {STARTUP_TIMEOUT_S:.0f}s\n{_tail(server)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(server: LlamaServer, lines: int = 40) -> str:
    text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])
