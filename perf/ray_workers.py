"""Throughput of `bakeoff run` on Ray with 1, 2 and 4 workers, the local executor beside it.

Two backends, each a separate process on 127.0.0.1:

1. llama-cpp-python servers: two `python -m llama_cpp.server` (one thread each, one per core)
   serving the bundled SmolLM2 135M Instruct, one model configured on each (concurrency 2).
   The suite is a synthetic multiple-choice benchmark (`--items` questions, letter answers of
   at most 16 tokens) that both models answer: real requests a model must decode.
2. A loopback server that answers at once (tests/helpers/counting_server.py in a process of
   its own): what is left is bakeoff's own cost per request and per shard, the overhead an
   executor adds. Run with shards of 16 items, and at 2 workers also of 4 and 64, so the cost
   per shard separates from the cost per request.

Each configuration runs the suite into a fresh store (no answer reused), after a short
warm-up run that is not recorded, the local executor first and again last. The figure is the
wall time of `api.run_suite` (actors started, work, report written); starting Ray itself
(`ray.init`) is timed apart, as a cluster is started once for many runs.

    .venv/bin/python perf/ray_workers.py [--items 32] [--loopback-items 200] [--repeats 3]

With `--repeats N` the whole sequence runs N times over (the machine is shared and noisy) and
the results carry each configuration's median seconds and requests/s.

Results: perf/results/ray_workers.json, summarised in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "perf")]

from jsonl_files import cpu_model  # noqa: E402
from tests.servers import BUNDLED_MODEL, start_llama_server  # noqa: E402

from bakeoff.api import load_config, run_suite  # noqa: E402
from bakeoff.engine.executor import Executor, LocalExecutor  # noqa: E402

RESULTS = ROOT / "perf" / "results" / "ray_workers.json"
WORKERS = (1, 2, 4)
NOUNS = ("river", "mountain", "city", "forest", "desert", "ocean", "valley", "island",
         "bridge", "tower", "garden", "castle")


def write_suite(root: Path, urls: list[str], items: int) -> None:
    """A multiple-choice benchmark of `items` questions and one model per server URL (each
    with a model id of its own, so no model's answer is another's cached one)."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    rows = [{"question": f"Question {n}: which word names a place, {NOUNS[n % 12]} or "
                         f"{'quickly' if n % 2 else 'purple'}?",
             "choices": [NOUNS[n % 12], "quickly" if n % 2 else "purple"], "answer": 0}
            for n in range(items)]
    (root / "data" / "places.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    models = "".join(f"""
[[models]]
name = "m{index}"
provider = "openai"
base_url = "{url}"
model = "{BUNDLED_MODEL}-{index}"
concurrency = 2
max_retries = 0
""" for index, url in enumerate(urls))
    (root / "bakeoff.toml").write_text(f"""
[benchmarks.places]
kind = "multiple_choice"
path = "data/places.jsonl"
{models}
[suites.perf]
benchmarks = ["places"]
""")


def measure(root: Path, label: str, executor: Executor, workers: int | None,
            shard_size: int | None, repeat: int = 0) -> dict[str, Any]:
    """One run into a fresh store: seconds, requests/s, samples/s."""
    import ray

    started_ray = None
    if workers is not None:
        began = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        started_ray = time.perf_counter() - began
    store = root / f"store-{label}-{repeat}.sqlite"
    try:
        began = time.perf_counter()
        result = run_suite(load_config(root / "bakeoff.toml"), suite_name="perf",
                           store_file=store, executor=executor)
        seconds = time.perf_counter() - began
    finally:
        if workers is not None:
            ray.shutdown()
    counts = result.counts
    row = {"executor": label, "repeat": repeat, "workers": workers, "shard_size": shard_size,
           "seconds": round(seconds, 3), "ray_init_s": None if started_ray is None
           else round(started_ray, 3), "requests": counts.calls, "samples": counts.scored,
           "requests_per_s": round(counts.calls / seconds, 2),
           "samples_per_s": round(counts.scored / seconds, 2), "errors": counts.errors}
    print(json.dumps(row), flush=True)
    return row


def configurations() -> Iterator[tuple[str, Executor, int | None, int | None]]:
    """The local executor first and last (how much the machine's load moved meanwhile), Ray
    with 1, 2 and 4 workers between."""
    from bakeoff.engine.ray_executor import SHARD_SIZE, RayExecutor

    yield "local", LocalExecutor(), None, None
    for workers in WORKERS:
        yield f"ray-{workers}", RayExecutor(workers=workers), workers, SHARD_SIZE
    yield "local-again", LocalExecutor(), None, None


def _serve_loopback(ready: Any) -> None:
    from tests.helpers.counting_server import counting_server

    with counting_server() as server:
        ready.send(server.base_url)
        while True:
            time.sleep(3600)


@contextmanager
def loopback_server() -> Iterator[str]:
    """The instant-answer server in a process of its own (not competing for this one's GIL)."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=_serve_loopback, args=(sending,), daemon=True)
    process.start()
    try:
        yield receiving.recv()
    finally:
        process.terminate()
        process.join()


def loopback_runs(work: Path, repeat: int) -> list[dict[str, Any]]:
    """Every configuration against the instant server, then Ray at 2 workers with shards of 4
    and 64, and with a quarter of the items (the difference is the cost of the rest)."""
    from bakeoff.engine.ray_executor import SHARD_SIZE, RayExecutor

    rows = [measure(work / "loopback", label, executor, workers, shard, repeat)
            for label, executor, workers, shard in configurations()]
    rows += [measure(work / "loopback", f"ray-2-shard{shard}",
                     RayExecutor(workers=2, shard_size=shard), 2, shard, repeat)
             for shard in (4, 64)]
    rows.append(measure(work / "loopback-short", "ray-2-quarter", RayExecutor(workers=2), 2,
                        SHARD_SIZE, repeat))
    return rows


def medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Each configuration's median seconds and requests/s over the repeats."""
    labels = dict.fromkeys(row["executor"] for row in rows)
    return {label: {key: statistics.median(r[key] for r in rows if r["executor"] == label)
                    for key in ("seconds", "requests_per_s")} for label in labels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--loopback-items", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    from bakeoff.providers.bundled import ensure_model

    runs: dict[str, list[dict[str, Any]]] = {"llama_cpp_server": [], "loopback": []}
    with tempfile.TemporaryDirectory() as folder, ExitStack() as servers:
        work = Path(folder)
        urls = [servers.enter_context(start_llama_server(
                    ensure_model(BUNDLED_MODEL), work / f"server{n}.log",
                    model_alias=f"{BUNDLED_MODEL}-{n}")).base_url
                for n in range(2)]
        # Warm-up (not recorded): the servers' first requests page the model in.
        write_suite(work / "warm-up", urls, 4)
        measure(work / "warm-up", "warm-up", LocalExecutor(), None, None)
        write_suite(work / "llama", urls, args.items)
        for repeat in range(args.repeats):
            for label, executor, workers, shard in configurations():
                runs["llama_cpp_server"].append(measure(work / "llama", label, executor,
                                                        workers, shard, repeat))
        with loopback_server() as url:
            write_suite(work / "loopback", [url, url], args.loopback_items)
            write_suite(work / "loopback-short", [url, url], args.loopback_items // 4)
            for repeat in range(args.repeats):
                runs["loopback"] += loopback_runs(work, repeat)
    import llama_cpp
    import ray

    RESULTS.write_text(json.dumps({
        "script": "perf/ray_workers.py", "args": vars(args),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cores": len(os.sched_getaffinity(0)),
                    "python": platform.python_version()},
        "versions": {"ray": ray.__version__, "llama_cpp_python": llama_cpp.__version__},
        "model": BUNDLED_MODEL, "medians": {name: medians(rows) for name, rows in runs.items()},
        "runs": runs}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
