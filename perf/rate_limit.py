"""How fast, and how politely, bakeoff gets through an endpoint's requests-per-minute limit.

Starts a loopback OpenAI-compatible server that enforces the limit as hosted APIs do, a token
bucket holding a minute's requests and refilled at the limit's rate, answering 429 with
Retry-After / retry-after-ms over it (tests/helpers/rate_limited_server.py), then runs
bakeoff's real runner on it: a generative benchmark of N one-turn prompts, one model at the
given concurrency, every completion and score stored in a real SQLite store. Two servers:
"headers" also sends OpenAI's x-ratelimit-limit-/remaining-/reset-requests on every answer
(as OpenAI does); "retry-after" sends nothing but the 429s' Retry-After.

    .venv/bin/python perf/rate_limit.py [--requests 600] [--rpm 300] [--concurrency 64]
        [--servers headers,retry-after] [--repeats 3] [--unpaced]
        [--out perf/results/rate_limit.json]

`--unpaced` sends without the endpoint's pacer, as bakeoff did before it had one: each
request still honours its own 429's Retry-After, but nothing else slows down.

With a full bucket at the start, N requests cannot finish before (N - rpm) / (rpm / 60)
seconds; 600 at 300 RPM: 60 s. Records per server every run's wall seconds and 429s answered,
their medians, and the versions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.helpers

from api_throughput import AskBenchmark  # noqa: E402  (perf/, the script's own folder)
from tests.helpers.rate_limited_server import RateLimitedServer  # noqa: E402

from bakeoff.engine.runner import ModelSlot, Runner  # noqa: E402
from bakeoff.providers.openai_compat import OpenAICompatProvider  # noqa: E402
from bakeoff.providers.openai_kind import OpenAIModelConfig  # noqa: E402
from bakeoff.providers.pacing import endpoint_pacer  # noqa: E402
from bakeoff.providers.retry import RetryPolicy  # noqa: E402
from bakeoff.store import Store  # noqa: E402

ANSWER = "Paris"  # what the rate-limited server always answers


async def run_once(requests: int, rpm: int, concurrency: int, headers: bool, paced: bool,
                   store_dir: Path) -> dict[str, Any]:
    server = RateLimitedServer(rpm=rpm, burst=rpm, headers=headers)
    await server.start()
    model = OpenAIModelConfig(name="limited", provider="openai", base_url=server.base_url,
                              concurrency=concurrency)
    provider = model.build() if paced else OpenAICompatProvider(
        model.api_model, base_url=model.base_url,
        retry=RetryPolicy(max_attempts=model.max_retries + 1))
    store = Store(store_dir / "store.sqlite")
    try:
        benchmark = AskBenchmark(requests, ANSWER)
        run_id = store.create_run("perf", "perf", {}, {})
        slot = ModelSlot(model.name, provider, model.identity(), concurrency)
        wall = time.perf_counter()
        counts = await Runner(store, run_id).run([slot], {"ask": (benchmark, benchmark.samples)})
        wall = time.perf_counter() - wall
        stored = sum(1 for row in store.scores(run_id) if row.value == 1.0)
    finally:
        await provider.aclose()
        store.close()
        await server.stop()
    pacer = endpoint_pacer(server.base_url, None)
    return {"server": "headers" if headers else "retry-after", "paced": paced,
            "wall_s": round(wall, 2),
            "answers_429": server.refused, "answered": server.answered,
            "errors": counts.errors, "right_and_stored": stored,
            "learned_requests_per_s": pacer.learned_per_s}


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "diff", "--quiet", "--", "src"], cwd=ROOT, check=False)
    return result.stdout.strip() + ("+changes" if dirty.returncode else "")


def _machine() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.machine()
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
             if line.startswith("model name")]
    return f"{names[0] if names else platform.machine()}, {len(names)} cores"


def limit_arguments(parser: argparse.ArgumentParser) -> None:
    """The workload and limiter options perf/rate_limit_peers.py shares with this script."""
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rpm", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--servers", default="headers,retry-after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    limit_arguments(parser)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unpaced", action="store_true", help="without the pacer")
    parser.add_argument("--out", type=Path, default=ROOT / "perf/results/rate_limit.json")
    args = parser.parse_args()
    commit = _commit()  # before the runs: other work may commit meanwhile
    servers = []
    for name in args.servers.split(","):
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as scratch:
                result = asyncio.run(run_once(args.requests, args.rpm, args.concurrency,
                                              name == "headers", not args.unpaced,
                                              Path(scratch)))
            runs.append(result)
            print(json.dumps(result), flush=True)
        servers.append({"server": name, "paced": not args.unpaced,
                        "median_wall_s": statistics.median(run["wall_s"] for run in runs),
                        "median_answers_429": statistics.median(run["answers_429"]
                                                                for run in runs),
                        "runs": runs})
    record = {
        "what": f"{args.requests} requests at a {args.rpm} requests-per-minute limit "
                f"(token bucket of {args.rpm}, full at the start), concurrency "
                f"{args.concurrency}, through bakeoff's runner into a SQLite store",
        "floor_s": max(args.requests - args.rpm, 0) / (args.rpm / 60),
        "servers": servers,
        "versions": {"bakeoff": commit, "python": platform.python_version(),
                     "httpx": version("httpx"), "openai": version("openai")},
        "machine": _machine(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
