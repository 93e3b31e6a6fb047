"""Peak memory of `bakeoff run` as the number of items grows: it should stay flat.

Runs `bakeoff run` on the bundled SmolLM2 135M Instruct in a fresh folder per size, with a
suite of its own (MMLU items from two subjects, GSM8K items, as many of each), and reads the
run's peak resident set size with GNU time (/usr/bin/time -f %M). Items are streamed from the store
and answered a few at a time, so memory should not grow with the item count: the JSON records
each size's peak and the ratio of the largest to the smallest.

    .venv/bin/python perf/memory.py [--sizes 10,40,160] [--out perf/results/memory.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from jsonl_files import cpu_model

ROOT = Path(__file__).resolve().parents[1]
BAKEOFF = Path(sys.executable).with_name("bakeoff")
CONFIG = """
[[models]]
name = "smol"
provider = "llama-cpp"
bundled = "smollm2-135m-instruct"

[suites.sized]
benchmarks = ["mmlu", "gsm8k"]
limits = {{mmlu = {items}, gsm8k = {items}}}
subsets = {{mmlu = ["elementary_mathematics", "world_religions"]}}
"""


def peak_of_run(items: int) -> dict[str, Any]:
    """Run the sized suite in a fresh folder; its peak RSS in MiB (GNU time's %M) and wall
    time."""
    with tempfile.TemporaryDirectory(prefix="bakeoff-memory-") as folder:
        Path(folder, "bakeoff.toml").write_text(CONFIG.format(items=items), encoding="utf-8")
        measured = Path(folder, "peak_kib")
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(measured),
                               str(BAKEOFF), "run", "--suite", "sized"], cwd=folder,
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"bakeoff run failed ({done.returncode}): {done.stderr[-2000:]}")
        peak_kib = int(measured.read_text().split()[-1])
    return {"items_per_benchmark": items, "peak_rss_mib": round(peak_kib / 1024, 1),
            "wall_s": round(wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,40,160")
    parser.add_argument("--out", type=Path, default=ROOT / "perf/results/memory.json")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    runs = [peak_of_run(size) for size in sizes]
    for run in runs:
        print(json.dumps(run))
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": f"perf/memory.py --sizes {args.sizes}",
              "machine": {"cpu": cpu_model(), "cores": len(os.sched_getaffinity(0))},
              "versions": {"bakeoff": version("bakeoff"),
                           "llama_cpp_python": version("llama-cpp-python"),
                           "python": platform.python_version()},
              "runs": runs,
              "largest_over_smallest": round(runs[-1]["peak_rss_mib"]
                                             / runs[0]["peak_rss_mib"], 3)}
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
