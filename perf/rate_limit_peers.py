"""bakeoff, lm-evaluation-harness and inspect_ai against the same requests-per-minute limit.

For each server kind and each tool, a fresh loopback server that enforces `--rpm` as hosted
APIs do (tests/helpers/rate_limited_server.py: a token bucket of `--rpm` requests, full at the
start, refilled at rpm / 60 a second, 429 with Retry-After and retry-after-ms over it; the
"headers" kind also sends OpenAI's x-ratelimit-* headers on every answer), and N one-turn chat
requests at concurrency C through:

- bakeoff: its runner with the endpoint's pacer, every completion and score stored in SQLite
  (perf/rate_limit.py's run);
- lm-eval 0.4.13: `local-chat-completions` with its default retries (`generate_until` called
  directly, as perf/api_peers.py does), in the peer venv;
- inspect_ai: `eval()` on its OpenAI-compatible provider with its default retries, in its venv.

Each tool keeps its own defaults for what to do on a 429: that is what a user of it gets.
`lm-eval:N` or `inspect_ai:N` in --tools sets the tool's max_retries to N instead. The
server counts the 429s it answered; each tool reports its wall time (around its request calls;
inspect_ai's whole `eval()`), its right answers and, when the run failed, why. No run can end
before (N - rpm) / (rpm / 60) seconds: 600 at 300 RPM, 60 s.

    .venv/bin/python perf/rate_limit_peers.py [--requests 600] [--rpm 300] [--concurrency 64]
        [--servers headers,retry-after] [--repeats 1] [--tools bakeoff,lm-eval,inspect_ai]
        [--out perf/results/rate_limit_peers.json]

The peer venvs are made (or completed) first if they lack the pinned packages (perf/peer_envs.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import peer_envs
import rate_limit  # puts the repository root on sys.path, for tests.helpers
from tests.helpers.rate_limited_server import RateLimitedServer

ROOT = Path(__file__).resolve().parents[1]
API_PEERS = Path(__file__).with_name("api_peers.py")
TOOLS = ("bakeoff", "lm-eval", "inspect_ai")


async def run_peer(tool: str, python: Path, requests: int, rpm: int, concurrency: int,
                   headers: bool) -> dict[str, Any]:
    """One peer run in its venv against a fresh rate-limited server."""
    server = RateLimitedServer(rpm=rpm, burst=rpm, headers=headers)
    await server.start()
    name, _, retries = tool.partition(":")
    worker = "--lmeval-worker" if name == "lm-eval" else "--inspect-worker"
    try:
        process = await asyncio.create_subprocess_exec(
            str(python), str(API_PEERS), worker, server.base_url, str(requests),
            str(concurrency), "--answer", rate_limit.ANSWER, "--peer-retries", retries or "-1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
    finally:
        await server.stop()
    lines = out.decode().strip().splitlines()
    if process.returncode or not lines:
        raise SystemExit(f"{tool} crashed ({process.returncode}):\n{err.decode()[-3000:]}")
    result = json.loads(lines[-1])
    return {"tool": tool, "server": "headers" if headers else "retry-after",
            "wall_s": round(result["wall_s"], 2), "answers_429": server.refused,
            "answered": server.answered, "right": result["right"], "error": result["error"]}


def run_bakeoff(requests: int, rpm: int, concurrency: int, headers: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        result = asyncio.run(rate_limit.run_once(requests, rpm, concurrency, headers, True,
                                                 Path(scratch)))
    return {"tool": "bakeoff", "server": result["server"], "wall_s": result["wall_s"],
            "answers_429": result["answers_429"], "answered": result["answered"],
            "right": result["right_and_stored"],
            "error": f"{result['errors']} error records" if result["errors"] else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rate_limit.limit_arguments(parser)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "perf/results/rate_limit_peers.json")
    args = parser.parse_args()
    tools = args.tools.split(",")
    envs = {tool: tool.partition(":")[0] for tool in tools if tool != "bakeoff"}
    pythons = {tool: peer_envs.ensure(env) for tool, env in envs.items()}
    commit = rate_limit._commit()
    results = []
    for name in args.servers.split(","):
        for repeat in range(args.repeats):
            turn = repeat % len(tools)
            for tool in tools[turn:] + tools[:turn]:
                if tool == "bakeoff":
                    run = run_bakeoff(args.requests, args.rpm, args.concurrency,
                                      name == "headers")
                else:
                    run = asyncio.run(run_peer(tool, pythons[tool], args.requests, args.rpm,
                                               args.concurrency, name == "headers"))
                results.append(run)
                print(json.dumps(run), flush=True)
    medians = [{"tool": tool, "server": name,
                "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                "median_answers_429": statistics.median(r["answers_429"] for r in runs)}
               for name in args.servers.split(",") for tool in tools
               if (runs := [r for r in results if r["tool"] == tool and r["server"] == name])]
    record = {
        "what": f"{args.requests} one-turn chat requests at a {args.rpm} requests-per-minute "
                f"limit (token bucket of {args.rpm}, full at the start), concurrency "
                f"{args.concurrency}; each tool with its own default retries",
        "floor_s": max(args.requests - args.rpm, 0) / (args.rpm / 60),
        "medians": medians, "runs": results,
        "versions": {"bakeoff": commit, "python": platform.python_version(),
                     "httpx": version("httpx"), "openai": version("openai"),
                     **{env: peer_envs.versions(env) for env in set(envs.values())}},
        "machine": rate_limit._machine(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
