"""Check bakeoff's speed numbers against a llama-cpp-python server's own timings.

Starts `python -m llama_cpp.server` (bundled SmolLM2 135M Instruct, --n_threads 1) on
127.0.0.1, measures one workload at concurrency 1 with bakeoff's speed code, and pairs each
request with the llama_perf_context_print block the server logged for it (see
bakeoff.speed.server_timings for what those lines mean). Then runs a concurrency sweep.

    .venv/bin/python perf/validate_speed.py [--workload short] [--runs 5] [--max-tokens 64]
                                            [--levels 1,2] [--out perf/results/speed.json]

Figures per request: TTFT vs the server's prompt-eval time, bakeoff's decode rate
(1 / TPOT) vs the server's wall-clock decode rate (eval runs ÷ (total − prompt eval)) and its
kernel-only rate (eval runs ÷ eval time). docs/VALIDATION-speed.md has a run's output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.servers

from tests.servers import BUNDLED_MODEL, LlamaServer, start_llama_server

from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.speed.metrics import request_metrics
from bakeoff.speed.server_timings import (
    Agreement,
    ServerTiming,
    agreement,
    parse_server_timings,
)
from bakeoff.speed.sweep import LevelRun, SpeedSettings, sweep_workload
from bakeoff.speed.tokens import ServerTokenCounter
from bakeoff.speed.workloads import build_prompt

SERVER_CONTEXT = 4096  # start_llama_server's --n_ctx


async def measure(server: LlamaServer, settings: SpeedSettings) -> list[LevelRun]:
    provider = OpenAICompatProvider(server.model, base_url=server.base_url)
    counter = await ServerTokenCounter.probe(server.base_url, server.model)
    if counter is None:
        raise SystemExit("the server has no /extras/tokenize endpoint")
    try:
        prompt = await build_prompt(settings.workloads[0], counter, context=SERVER_CONTEXT,
                                    max_tokens=settings.max_tokens)
        return [level async for level in sweep_workload(provider, prompt, settings, counter)]
    finally:
        await provider.aclose()
        await counter.aclose()


def agreements(level: LevelRun, blocks: list[ServerTiming]) -> list[Agreement]:
    """Pair the level's measured requests with the server's blocks for them, in order."""
    paired = []
    for request, block in zip(level.requests, blocks, strict=True):
        metrics = request_metrics(request.times)
        if metrics.ttft_s is None or metrics.tpot_s is None:
            continue
        paired.append(agreement(metrics.ttft_s, metrics.tpot_s, metrics.e2e_s,
                                request.output_tokens or 0, block))
    return paired


def summarise(rows: list[Agreement]) -> dict[str, Any]:
    ttft = [row.ttft_ratio for row in rows]
    decode = [r for r in (row.decode_ratio for row in rows) if r is not None]
    kernel = [row.decode_tokens_per_s / row.server_kernel_decode_tokens_per_s for row in rows
              if row.server_kernel_decode_tokens_per_s]
    return {"requests": len(rows),
            "ttft_over_server_prompt_median": statistics.median(ttft),
            "ttft_over_server_prompt_range": [min(ttft), max(ttft)],
            "decode_over_server_wall_median": statistics.median(decode),
            "decode_over_server_wall_range": [min(decode), max(decode)],
            "decode_over_server_kernel_median": statistics.median(kernel)}


def level_figures(level: LevelRun) -> dict[str, Any]:
    metrics = [request_metrics(r.times) for r in level.requests]
    e2e = sorted(m.e2e_s for m in metrics)
    return {"concurrency": level.concurrency, "requests": len(level.requests),
            "wall_s": level.wall_s, "output_tokens": level.output_tokens,
            "throughput_tokens_per_s": level.output_tokens / level.wall_s,
            "e2e_p50_s": statistics.median(e2e), "e2e_max_s": e2e[-1],
            "ttft_p50_s": statistics.median(m.ttft_s for m in metrics if m.ttft_s is not None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="short")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--levels", default="1,2")
    parser.add_argument("--out", type=Path, default=Path("perf/results/speed.json"))
    parser.add_argument("--log", type=Path, default=Path("/tmp/bakeoff-speed-server.log"))
    args = parser.parse_args()
    levels = tuple(int(level) for level in args.levels.split(","))
    settings = SpeedSettings(workloads=(args.workload,), runs=args.runs, warmup=1,
                             concurrency=levels, max_tokens=args.max_tokens)
    # --interrupt_requests False: by default the server cuts a stream short when another
    # request arrives, and the concurrent levels would measure that instead of queueing.
    with start_llama_server(ensure_model(BUNDLED_MODEL), args.log,
                            extra_args=["--interrupt_requests", "False"]) as server:
        runs = asyncio.run(measure(server, settings))
        sequential = runs[0]
        assert sequential.concurrency == 1, "the first level must be 1 to pair requests"
        # A fresh server logs one block per completion: the warm-up, the concurrency-1
        # requests, then the concurrent levels.
        blocks = parse_server_timings(args.log.read_text(errors="replace"))
        start = len(sequential.warmups)
        rows = agreements(sequential, blocks[start:start + len(sequential.requests)])
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}",
        "model": BUNDLED_MODEL,
        "server": "llama-cpp-python 0.3.16, --n_threads 1 --interrupt_requests False",
        "settings": settings.as_dict(),
        "agreement": summarise(rows),
        "per_request": [asdict(row) for row in rows],
        "sweep": [level_figures(level) for level in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("agreement", "sweep")}, indent=2))


if __name__ == "__main__":
    main()
