"""How fast bakeoff's benchmark request path is against an endpoint that answers at once.

Starts a loopback OpenAI-compatible server in a child process (a minimal asyncio HTTP/1.1
server written here: /v1/chat/completions and /v1/completions, streamed or not, with usage,
and a fixed latency per request), then runs bakeoff's real runner on it: a generative
benchmark of N samples, one model at a given concurrency, every completion and score stored in
a real SQLite store (a fresh file per level). Per level it records requests/s, CPU seconds of
the bakeoff process per request, and the ratio to the ideal (at latency L with concurrency C,
N requests cannot finish before ceil(N / C) x L).

    .venv/bin/python perf/api_throughput.py [--requests 1000] [--repeats 3]
        [--levels 0:64,200:64,200:256] [--out perf/results/api_throughput.json]
        [--profile api_throughput.prof] [--revision GIT_REVISION] [--compare-clients]

Each level runs `--repeats` times; the JSON keeps every run and the median. The server is a
separate process so that its CPU is not counted as bakeoff's. `--revision` measures bakeoff as
it was at that commit (exported with git archive and imported from there), for before/after
figures from one script. lm-evaluation-harness is not run side by side here (see
docs/PERFORMANCE.md). `--compare-clients` also times each HTTP client the request path could
use (the OpenAI SDK's non-streamed call, httpx, httpx2, bakeoff's plain_http) alone.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode
from bakeoff.engine.runner import ModelSlot, Runner
from bakeoff.providers.openai_kind import OpenAIModelConfig
from bakeoff.store import Store
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationConfig,
    GenerationRequest,
    Message,
    Request,
    Sample,
    Score,
)

ROOT = Path(__file__).resolve().parents[1]
ANSWER = "The answer is 42."


# --- the loopback server ---------------------------------------------------------------------

def _chat_body(stream: bool) -> list[bytes]:
    """The response bodies (one, or the SSE events) for a chat request."""
    usage = {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
    if not stream:
        return [json.dumps({
            "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": ANSWER}}],
            "usage": usage}).encode()]
    events: list[dict[str, Any]] = [
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        for delta, finish in (({"role": "assistant", "content": ""}, None),
                              *(({"content": word}, None) for word in _pieces(ANSWER)),
                              ({}, "stop"))]
    events.append({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                   "choices": [], "usage": usage})
    return [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]


def _pieces(text: str) -> list[str]:
    """The text in word-sized pieces, spaces kept, as a server streams it."""
    words = text.split(" ")
    return [words[0], *(" " + word for word in words[1:])]


def _text_body(stream: bool) -> list[bytes]:
    usage = {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
    choice = {"index": 0, "text": ANSWER, "finish_reason": "stop", "logprobs": None}
    body = {"id": "t1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [choice], "usage": usage}
    if not stream:
        return [json.dumps(body).encode()]
    return [f"data: {json.dumps(body)}\n\n".encode(), b"data: [DONE]\n\n"]


class _Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; requests on one connection are answered in order."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.pending: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.task = asyncio.get_running_loop().create_task(self._answer())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task:
            self.task.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            self.pending.put_nowait((head[0].split(" ")[1], body))

    async def _answer(self) -> None:
        while True:
            path, body = await self.pending.get()
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            stream = b'"stream":true' in body.replace(b" ", b"")
            assert self.transport is not None
            self.transport.write(_ANSWERS[path.endswith("/chat/completions"), stream])


def _answer(chat: bool, stream: bool) -> bytes:
    """The whole HTTP answer (made once: the server should cost as little CPU as it can)."""
    parts = (_chat_body if chat else _text_body)(stream)
    if stream:
        head = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n")
        chunks = [b"%x\r\n%s\r\n" % (len(p), p) for p in parts]
        return head + b"".join(chunks) + b"0\r\n\r\n"
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(parts[0]), parts[0]))


_ANSWERS = {(chat, stream): _answer(chat, stream) for chat in (True, False)
            for stream in (True, False)}


def serve(port: int, latency_s: float) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Connection(latency_s), "127.0.0.1", port,
                                          backlog=1024)
        async with server:
            await server.serve_forever()
    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int) -> None:
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the loopback server did not start")


# --- bakeoff's side --------------------------------------------------------------------------

class AskBenchmark:
    """N distinct one-turn chat prompts; right when the answer is the server's fixed text."""

    info = BenchmarkInfo("ask", 0, "exact_match", "one-turn chat prompts", "made here")

    def __init__(self, count: int, answer: str = ANSWER) -> None:
        stamp = time.time_ns()  # distinct prompts per run, so nothing comes from a cache
        self.samples = [Sample(f"ask/{i}", f"question {i} of {stamp}", answer)
                        for i in range(count)]

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        return self.samples[:limit]

    def mode_for(self, abilities: Abilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: Abilities) -> list[Request]:
        return [GenerationRequest(config=GenerationConfig(max_tokens=16),
                                  messages=(Message("user", sample.input),))]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        text = completions[0].text
        return Score(sample.id, "exact_match", float(text == sample.target), text)

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return [self.score(sample, completions)]


async def _run_level(base_url: str, requests: int, concurrency: int,
                     store_dir: Path) -> dict[str, float]:
    model = OpenAIModelConfig(name="loop", provider="openai", base_url=base_url,
                              concurrency=concurrency)
    provider = model.build()
    store = Store(store_dir / "store.sqlite")
    try:
        benchmark = AskBenchmark(requests)
        run_id = store.create_run("perf", "perf", {}, {})
        runner = Runner(store, run_id)
        slot = ModelSlot(model.name, provider, model.identity(), concurrency)
        cpu, wall = time.process_time(), time.perf_counter()
        counts = await runner.run([slot], {"ask": (benchmark, benchmark.samples)})
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        stored = sum(1 for row in store.scores(run_id) if row.value == 1.0)
    finally:
        await provider.aclose()
        store.close()
    if counts.errors or stored != requests:
        raise SystemExit(f"{counts.errors} errors, {stored} of {requests} right and stored")
    return {"wall_s": wall, "cpu_s": cpu, "requests_per_s": requests / wall,
            "cpu_ms_per_request": 1000 * cpu / requests}


def measure(levels: list[tuple[int, int]], requests: int, repeats: int,
            profile: Path | None) -> list[dict[str, Any]]:
    results = []
    for latency_ms, concurrency in levels:
        port = _free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port),
                                   str(latency_ms / 1000)])
        try:
            _wait_for(port)
            runs = []
            for repeat in range(repeats):
                with tempfile.TemporaryDirectory() as scratch:
                    coroutine = _run_level(f"http://127.0.0.1:{port}/v1", requests, concurrency,
                                           Path(scratch))
                    if profile is not None and repeat == 0 and not results:
                        profiler = cProfile.Profile()
                        runs.append(profiler.runcall(asyncio.run, coroutine))
                        profiler.dump_stats(profile)
                    else:
                        runs.append(asyncio.run(coroutine))
        finally:
            server.terminate()
            server.wait()
        ideal_s = math.ceil(requests / concurrency) * latency_ms / 1000
        wall = statistics.median(r["wall_s"] for r in runs)
        level = {
            "latency_ms": latency_ms, "concurrency": concurrency, "requests": requests,
            "requests_per_s": requests / wall,
            "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in runs),
            "ideal_requests_per_s": requests / ideal_s if ideal_s else None,
            "ratio_to_ideal": ideal_s / wall if ideal_s else None,
            "runs": runs,
        }
        results.append(level)
        ratio = "" if level["ratio_to_ideal"] is None else \
            f", {level['ratio_to_ideal']:.3f} of ideal"
        print(f"latency {latency_ms} ms, concurrency {concurrency}: "
              f"{level['requests_per_s']:.0f} req/s, "
              f"{level['cpu_ms_per_request']:.2f} ms CPU/request{ratio}", flush=True)
    return results


async def _bare_client(name: str, base_url: str, requests: int,
                       concurrency: int) -> dict[str, float]:
    """One HTTP client alone (no runner, no store) posting the same chat request."""
    import httpx
    import httpx2
    import openai

    from bakeoff.providers.plain_http import PlainHTTPClient

    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16}
    content, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
    url = base_url + "/chat/completions"
    sdk = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    clients: dict[str, Any] = {
        "httpx": httpx.AsyncClient(limits=httpx.Limits(max_connections=None,
                                                       max_keepalive_connections=256)),
        "httpx2": httpx2.AsyncClient(limits=httpx2.Limits(max_connections=None,
                                                          max_keepalive_connections=256)),
        "plain_http": PlainHTTPClient(base_url, timeout_s=60)}

    async def one() -> str:
        if name == "openai_sdk":
            answer = await sdk.chat.completions.create(model="m", max_tokens=16, messages=[
                {"role": "user", "content": "hi"}])
            return answer.choices[0].message.content or ""
        response = await clients[name].post(url, content=content, headers=headers)
        text: str = json.loads(response.content)["choices"][0]["message"]["content"]
        return text

    async def worker(left: list[int]) -> None:
        while left:
            left.pop()
            await one()

    try:
        await asyncio.gather(*(worker(list(range(concurrency))) for _ in range(concurrency)))
        left = list(range(requests))
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(left) for _ in range(concurrency)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await sdk.close()
        for client in clients.values():
            await client.aclose()
    return {"requests_per_s": requests / wall, "cpu_ms_per_request": 1000 * cpu / requests}


def compare_clients(requests: int) -> list[dict[str, Any]]:
    """The HTTP clients the request path could use, alone, at latency 0 / concurrency 64."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "0"])
    results = []
    try:
        _wait_for(port)
        for name in ("openai_sdk", "httpx", "httpx2", "plain_http"):
            result = asyncio.run(_bare_client(name, f"http://127.0.0.1:{port}/v1", requests, 64))
            results.append({"client": name, **result})
            print(f"{name}: {result['requests_per_s']:.0f} req/s, "
                  f"{result['cpu_ms_per_request']:.2f} ms CPU/request", flush=True)
    finally:
        server.terminate()
        server.wait()
    return results


def _commit(revision: str = "HEAD") -> str:
    result = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    if revision != "HEAD":
        return result.stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "--", "src"], cwd=ROOT, check=False)
    return result.stdout.strip() + ("+changes" if dirty.returncode else "")


def _measure_revision(revision: str, arguments: list[str]) -> None:
    """Run this script on bakeoff's source as of `revision`."""
    commit = _commit(revision)
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(["git", "archive", commit, "src"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        environment = {**os.environ, "PYTHONPATH": str(Path(scratch) / "src")}
        subprocess.run([sys.executable, __file__, *arguments, "--measured-commit", commit],
                       env=environment, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "LATENCY_S"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--levels", default="0:64,200:64,200:256",
                        help="latency_ms:concurrency pairs")
    parser.add_argument("--out", type=Path, default=ROOT / "perf/results/api_throughput.json")
    parser.add_argument("--profile", type=Path, help="cProfile of the first level's first run")
    parser.add_argument("--revision", help="measure bakeoff as of this git revision")
    parser.add_argument("--compare-clients", action="store_true",
                        help="also time each HTTP client alone (non-streamed, latency 0)")
    parser.add_argument("--measured-commit", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), float(args.serve[1]))
        return
    if args.revision:
        arguments = sys.argv[1:]
        at = arguments.index("--revision")
        _measure_revision(args.revision, arguments[:at] + arguments[at + 2:])
        return
    import bakeoff
    print(f"bakeoff from {Path(bakeoff.__file__).parent}", flush=True)
    levels = [(int(a), int(b)) for a, b in (pair.split(":") for pair in args.levels.split(","))]
    results = measure(levels, args.requests, args.repeats, args.profile)
    clients = compare_clients(args.requests) if args.compare_clients else None
    record = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python perf/api_throughput.py " + " ".join(
            a for a in sys.argv[1:] if a != "--measured-commit" and a != args.measured_commit)
        + (f" --revision {args.measured_commit}" if args.measured_commit else ""),
        "machine": {"platform": platform.platform(), "cpus": multiprocessing.cpu_count(),
                    "processor": platform.processor() or platform.machine()},
        "versions": {"python": platform.python_version(), "openai": version("openai"),
                     "httpx": version("httpx"), "httpx2": version("httpx2"),
                     "bakeoff_commit": args.measured_commit or _commit()},
        "levels": results,
        **({"bare_clients": clients} if clients is not None else {}),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
