"""Parallel local decoding: throughput and what it does to answers, on the bundled models.

For each bundled model this sends the same GSM8K requests (the benchmark's own 5-shot prompts,
greedy, as `bakeoff run` sends them) to the in-process llama.cpp provider, first one
sequence at a time (`concurrency = 1`, today's sequential engine) and then with N sequences
decoded together, N from `--parallel`. Per setting it records wall time, generated tokens per
second, prompt tokens actually evaluated (after KV prefix reuse) and GSM8K accuracy (flexible
extract); per parallel setting, how many answers are character-for-character identical to the
sequential ones, how many items changed from right to wrong and back, and McNemar's exact p
on the items' correctness.

    .venv/bin/python perf/parallel_decoding.py [--items 40] [--parallel 4,8,16]
        [--models smollm2-135m-instruct,gemma-3-270m,qwen2.5-coder-0.5b-instruct]
        [--out perf/results/parallel_decoding.json]

One process, one model loaded at a time, settings alternating within a model so that machine
noise hits both alike; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from jsonl_files import cpu_model

from bakeoff.benchmarks.base import Benchmark
from bakeoff.benchmarks.gsm8k import FLEXIBLE_METRIC
from bakeoff.benchmarks.registry import BENCHMARKS
from bakeoff.providers.bundled import BUNDLED_MODELS, ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.types import Completion, GenerationRequest, Sample

ROOT = Path(__file__).resolve().parents[1]


def gsm8k_work(items: int, model: str, benchmark: Benchmark
               ) -> list[tuple[Sample, GenerationRequest]]:
    abilities = LlamaCppProvider(ensure_model(model), model).abilities
    work = []
    for sample in benchmark.load_samples(items):
        (request,) = benchmark.requests(sample, abilities)
        assert isinstance(request, GenerationRequest)
        work.append((sample, request))
    return work


async def answer_all(provider: LlamaCppProvider, requests: list[GenerationRequest],
                     parallel: int) -> list[Completion]:
    """At most `parallel` requests in flight, in order, as the runner's workers send them."""
    limit = asyncio.Semaphore(parallel)

    async def one(request: GenerationRequest) -> Completion:
        async with limit:
            return await provider.generate(request)

    return list(await asyncio.gather(*(one(r) for r in requests)))


def measure(model: str, parallel: int, work: list[tuple[Sample, GenerationRequest]],
            benchmark: Benchmark) -> dict[str, Any]:
    provider = LlamaCppProvider(ensure_model(model), model, parallel=parallel)
    requests = [request for _, request in work]
    try:
        asyncio.run(provider.generate(requests[0]))  # load the weights outside the timing
        started = time.perf_counter()
        completions = asyncio.run(answer_all(provider, requests, parallel))
        wall = time.perf_counter() - started
        evaluated = _prompt_tokens_evaluated(provider)
    finally:
        asyncio.run(provider.aclose())
    correct = [next(s.value for s in benchmark.score_all(sample, [completion])
                    if s.metric == FLEXIBLE_METRIC) == 1.0
               for (sample, _), completion in zip(work, completions, strict=True)]
    generated = sum(c.usage.output_tokens for c in completions)
    return {"parallel": parallel, "wall_s": round(wall, 2), "generated_tokens": generated,
            "generated_tokens_per_s": round(generated / wall, 1),
            "prompt_tokens": sum(c.usage.input_tokens for c in completions),
            "prompt_tokens_evaluated": evaluated,
            "accuracy": round(sum(correct) / len(correct), 4),
            "correct": correct, "answers": [c.text for c in completions]}


def _prompt_tokens_evaluated(provider: LlamaCppProvider) -> int | None:
    """What the parallel decoder evaluated after prefix sharing (None for the sequential
    engine, which reuses the longest cached prefix of the one previous prompt)."""
    batcher = provider._batcher
    decoder = batcher._decoder if batcher is not None else None
    return None if decoder is None else decoder.prompt_tokens_evaluated


def compare(sequential: dict[str, Any], parallel: dict[str, Any]) -> dict[str, Any]:
    pairs = list(zip(sequential["correct"], parallel["correct"], strict=True))
    right_to_wrong = sum(a and not b for a, b in pairs)
    wrong_to_right = sum(b and not a for a, b in pairs)
    identical = sum(a == b for a, b in zip(sequential["answers"], parallel["answers"],
                                            strict=True))
    return {"parallel": parallel["parallel"],
            "speedup": round(sequential["wall_s"] / parallel["wall_s"], 2),
            "identical_answers": identical, "items": len(pairs),
            "right_to_wrong": right_to_wrong, "wrong_to_right": wrong_to_right,
            "accuracy_change_points": round(100 * (parallel["accuracy"]
                                                   - sequential["accuracy"]), 1),
            "mcnemar_exact_p": mcnemar_exact(right_to_wrong, wrong_to_right)}


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p on the discordant counts."""
    n = b + c
    if n == 0:
        return 1.0
    tail: float = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def machine() -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "llama_cpp_python": version("llama-cpp-python"), "bakeoff": version("bakeoff")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--parallel", default="8")
    parser.add_argument("--models", default=",".join(BUNDLED_MODELS))
    parser.add_argument("--out", type=Path, default=ROOT / "perf/results/parallel_decoding.json")
    args = parser.parse_args()
    settings = [int(p) for p in args.parallel.split(",")]
    benchmark = BENCHMARKS["gsm8k"]()
    results: dict[str, Any] = {}
    for model in args.models.split(","):
        work = gsm8k_work(args.items, model, benchmark)
        runs = {1: measure(model, 1, work, benchmark)}
        for parallel in settings:
            runs[parallel] = measure(model, parallel, work, benchmark)
        results[model] = {"runs": runs,
                          "against_sequential": [compare(runs[1], runs[p]) for p in settings]}
        for row in results[model]["against_sequential"]:
            print(model, json.dumps(row))
        print(model, {p: (r["generated_tokens_per_s"], r["accuracy"]) for p, r in runs.items()})
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": "perf/parallel_decoding.py " + " ".join(
                  f"--{k} {v}" for k, v in (("items", args.items), ("parallel", args.parallel),
                                           ("models", args.models))),
              "machine": machine(), "benchmark": "gsm8k (5-shot, greedy)",
              "models": results}
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
