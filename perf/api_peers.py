"""bakeoff, lm-evaluation-harness and inspect_ai side by side on the same loopback API server.

For each level (latency per request, concurrency) this starts the loopback OpenAI-compatible
server of perf/api_throughput.py in a child process and, against that one server, alternately
runs:

- bakeoff: the path perf/api_throughput.py measures (the runner, a generative benchmark of N
  distinct one-turn chat prompts, every completion and score stored in a fresh SQLite store);
- lm-eval: lm-evaluation-harness's `local-chat-completions` model, its `generate_until` called
  directly with N `Instance`s (distinct one-turn chat prompts, no task, no tokenizer), in a
  child process run by the peer venv's Python; nothing is stored per request;
- lm-eval cached: the same wrapped in lm-eval's `CachingLM` (what `--use_cache` does), which
  writes every answer to a SqliteDict as it arrives, the nearest to bakeoff's storing;
- inspect_ai (unless --without-inspect): `eval()` of a task of N distinct one-turn samples
  (generate, exact-match scorer) on its OpenAI-compatible provider (`openai-api/...`, the
  OpenAI SDK), `max_connections` = the concurrency, in its own venv; the timing is the whole
  `eval()` call, task set-up and log writing included (it has no narrower entry point).

Each runs `--repeats` times per level (the order rotates per repeat); the JSON keeps every run
and the median. Wall time and CPU time are those of the process that sends the requests, around
the request calls alone (not interpreter start-up or imports). The peers' venvs (.peer-venv,
.inspect-venv; lm-eval's API models need no torch) are made first if they lack the pinned
versions (perf/peer_envs.py). Run with bakeoff's venv:

    .venv/bin/python perf/api_peers.py [--without-inspect]
        [--requests 1000] [--repeats 3] [--levels 0:16,0:64,200:16,200:64,200:256]
        [--out perf/results/api_throughput_peers.json]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("bakeoff", "lm-eval", "lm-eval cached")


# --- lm-eval's side: runs in the peer venv, imports nothing of bakeoff ----------------------

def lmeval_run(base_url: str, requests: int, concurrency: int, cache_db: str | None,
               answer: str = "The answer is 42.", retries: int | None = 1) -> None:
    """Send `requests` chat prompts through local-chat-completions; print one JSON line.
    `retries`: lm-eval's max_retries (None: its default); a run that fails says so in the
    line (`error`) instead of crashing, with its time until then."""
    import logging
    import tempfile

    logging.disable(logging.WARNING)
    from lm_eval.api.instance import Instance
    from lm_eval.api.model import CachingLM
    from lm_eval.api.registry import get_model
    from lm_eval.models.api_models import JsonChatStr

    model = get_model("local-chat-completions")(
        base_url=base_url + "/chat/completions", model="loop", num_concurrent=concurrency,
        tokenizer_backend=None, tokenized_requests=False, max_gen_toks=16,
        **({} if retries is None else {"max_retries": retries}))
    stamp = time.time_ns()  # distinct prompts per run
    gen_kwargs = {"until": [], "max_gen_toks": 16, "do_sample": False}
    instances = [
        Instance("generate_until", {}, (JsonChatStr(json.dumps(
            [{"role": "user", "content": f"question {i} of {stamp}"}])), gen_kwargs), i)
        for i in range(requests)]
    with tempfile.TemporaryDirectory() as scratch:
        lm: Any = model if cache_db is None else CachingLM(model, f"{scratch}/{cache_db}")
        cpu, wall = time.process_time(), time.perf_counter()
        answers, error = [], None
        try:
            answers = lm.generate_until(instances)
        except Exception as failure:  # e.g. retries spent on 429s: the whole call fails
            error = f"{type(failure).__name__}: {str(failure)[:200]}"
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if cache_db is not None:
            stored = len(lm.dbdict)
            lm.dbdict.close()
        else:
            stored = 0
    right = sum(text == answer for text in answers)
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "right": right, "stored": stored,
                      "error": error}))


# --- inspect_ai's side: runs in its own venv, imports nothing of bakeoff --------------------

def inspect_run(base_url: str, requests: int, concurrency: int,
                answer: str = "The answer is 42.", retries: int | None = 1) -> None:
    """An inspect_ai eval of `requests` one-turn prompts (generate, then exact match) through
    its OpenAI-compatible provider; print one JSON line. It keeps each finished sample in its
    sample buffer as it goes and writes the whole log at the end, both inside the timing."""
    import logging
    import os
    import tempfile

    logging.disable(logging.WARNING)
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import GenerateConfig
    from inspect_ai.scorer import exact
    from inspect_ai.solver import generate

    os.environ.update({"LOOP_API_KEY": "unused", "LOOP_BASE_URL": base_url})
    stamp = time.time_ns()  # distinct prompts per run
    dataset = MemoryDataset([Sample(input=f"question {i} of {stamp}",
                                    target=answer, id=i)
                             for i in range(requests)])
    task = Task(dataset=dataset, solver=generate(), scorer=exact(),
                config=GenerateConfig(max_tokens=16, temperature=0.0))
    with tempfile.TemporaryDirectory() as logs:
        cpu, wall = time.process_time(), time.perf_counter()
        [log] = inspect_eval(task, model="openai-api/loop/loop", max_connections=concurrency,
                             log_dir=logs, display="none",
                             **({} if retries is None else {"max_retries": retries}))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    right, error = 0, None
    if log.status == "success" and log.results is not None:
        accuracy = log.results.scores[0].metrics["mean"].value  # exact(): the mean of 0/1
        right = round(accuracy * log.results.completed_samples)
    else:
        error = f"{log.status}: {str(log.error.message if log.error else '')[:200]}"
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "right": right, "stored": requests,
                      "error": error}))


# --- the driver: bakeoff's venv -----------------------------------------------------------------

def _peer(tool: str, python: str, worker: str, base_url: str, requests: int,
          concurrency: int, *extra: str, check_stored: bool = False) -> dict[str, float]:
    """One run of a peer's worker (this file in its venv); every answer must be right."""
    command = [python, __file__, worker, base_url, str(requests), str(concurrency), *extra]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode:
        raise SystemExit(f"{tool} failed:\n{output.stderr[-3000:]}")
    result: dict[str, float] = json.loads(output.stdout.strip().splitlines()[-1])
    if result["right"] != requests or (check_stored and result["stored"] != requests):
        raise SystemExit(f"{tool}: {result} of {requests} requests")
    return {**result, "requests_per_s": requests / result["wall_s"],
            "cpu_ms_per_request": 1000 * result["cpu_s"] / requests}


def _bakeoff(base_url: str, requests: int, concurrency: int) -> dict[str, float]:
    import asyncio
    import tempfile

    import api_throughput

    with tempfile.TemporaryDirectory() as scratch:
        return asyncio.run(api_throughput._run_level(base_url, requests, concurrency,
                                                     Path(scratch)))


def _summary(runs: list[dict[str, float]], requests: int, ideal_s: float) -> dict[str, Any]:
    wall = statistics.median(r["wall_s"] for r in runs)
    return {"requests_per_s": requests / wall,
            "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in runs),
            "ratio_to_ideal": ideal_s / wall if ideal_s else None, "runs": runs}


def measure(levels: list[tuple[int, int]], requests: int, repeats: int,
            peer_python: str, inspect_python: str | None) -> list[dict[str, Any]]:
    import api_throughput

    peers = PEERS + (("inspect_ai",) if inspect_python else ())
    results = []
    for latency_ms, concurrency in levels:
        port = api_throughput._free_port()
        server = subprocess.Popen([sys.executable, api_throughput.__file__, "--serve",
                                   str(port), str(latency_ms / 1000)])
        base_url = f"http://127.0.0.1:{port}/v1"
        runs: dict[str, list[dict[str, float]]] = {peer: [] for peer in peers}
        try:
            api_throughput._wait_for(port)
            for repeat in range(repeats):
                turn = repeat % len(peers)
                for peer in peers[turn:] + peers[:turn]:
                    if peer == "bakeoff":
                        run = _bakeoff(base_url, requests, concurrency)
                    elif peer == "inspect_ai":
                        assert inspect_python is not None
                        run = _peer(peer, inspect_python, "--inspect-worker", base_url,
                                    requests, concurrency)
                    else:
                        cached = peer == "lm-eval cached"
                        run = _peer(peer, peer_python, "--lmeval-worker", base_url, requests,
                                    concurrency, *(["--cached"] if cached else []),
                                    check_stored=cached)
                    runs[peer].append(run)
        finally:
            server.terminate()
            server.wait()
        ideal_s = math.ceil(requests / concurrency) * latency_ms / 1000
        level = {"latency_ms": latency_ms, "concurrency": concurrency, "requests": requests,
                 "ideal_requests_per_s": requests / ideal_s if ideal_s else None,
                 **{peer: _summary(runs[peer], requests, ideal_s) for peer in peers}}
        results.append(level)
        for peer in peers:
            summary = level[peer]
            ratio = "" if summary["ratio_to_ideal"] is None else \
                f", {summary['ratio_to_ideal']:.3f} of ideal"
            print(f"latency {latency_ms} ms, concurrency {concurrency}, {peer}: "
                  f"{summary['requests_per_s']:.0f} req/s, "
                  f"{summary['cpu_ms_per_request']:.2f} ms CPU/request{ratio}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lmeval-worker", nargs=3, metavar=("BASE_URL", "N", "CONCURRENCY"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--inspect-worker", nargs=3, metavar=("BASE_URL", "N", "CONCURRENCY"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--cached", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--answer", default="The answer is 42.", help=argparse.SUPPRESS)
    parser.add_argument("--peer-retries", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--without-inspect", action="store_true",
                        help="leave inspect_ai out (its 1,000-sample runs take ~20 s each)")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--levels", default="0:16,0:64,200:16,200:64,200:256",
                        help="latency_ms:concurrency pairs")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "perf/results/api_throughput_peers.json")
    args = parser.parse_args()
    if args.lmeval_worker:
        base_url, count, concurrency = args.lmeval_worker
        retries = None if args.peer_retries < 0 else args.peer_retries  # -1: the tool's own
        lmeval_run(base_url, int(count), int(concurrency),
                   "answers.sqlite" if args.cached else None, args.answer, retries)
        return
    if args.inspect_worker:
        base_url, count, concurrency = args.inspect_worker
        retries = None if args.peer_retries < 0 else args.peer_retries
        inspect_run(base_url, int(count), int(concurrency), args.answer, retries)
        return
    sys.path.insert(0, str(Path(__file__).parent))  # api_throughput, peer_envs
    import api_throughput
    import peer_envs

    peer_python = str(peer_envs.ensure("lm-eval"))
    inspect_python = None if args.without_inspect else str(peer_envs.ensure("inspect_ai"))
    levels = [(int(a), int(b)) for a, b in (pair.split(":") for pair in args.levels.split(","))]
    results = measure(levels, args.requests, args.repeats, peer_python, inspect_python)
    from importlib.metadata import version
    record = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python perf/api_peers.py " + " ".join(sys.argv[1:]),
        "machine": {"platform": platform.platform(), "cpus": multiprocessing.cpu_count(),
                    "processor": platform.processor() or platform.machine()},
        "versions": {"bakeoff": {"python": platform.python_version(),
                                 "openai": version("openai"), "httpx2": version("httpx2"),
                                 "bakeoff_commit": api_throughput._commit()},
                     "lm_eval": peer_envs.versions("lm-eval"),
                     **({"inspect_ai": peer_envs.versions("inspect_ai")}
                        if inspect_python else {})},
        "stores_per_request": {
            "bakeoff": "every completion and score in SQLite (bakeoff.store)",
            "lm-eval": "nothing: answers are returned in memory",
            "lm-eval cached": "every answer in a SqliteDict (CachingLM, as --use_cache)",
            "inspect_ai": "each finished sample in its sample buffer (SQLite), the whole log "
                          "written at the end (inside the timing)"},
        "levels": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
