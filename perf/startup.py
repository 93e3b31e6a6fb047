"""How long `bakeoff --help` and `bakeoff models` take, wall clock, each in a fresh process.

    .venv/bin/python perf/startup.py [--runs 5] [--baseline REV] [--out perf/results/startup.json]

Each command runs `--runs` times (after one unrecorded run that writes the bytecode caches) in
an empty folder, so the embedded default config applies (the three bundled models; `models`
reads the header of each bundled GGUF already downloaded). With --baseline, the source tree of
git revision REV is extracted to a temporary folder (`git archive`, the checkout is not
touched) and measured in turns with this checkout's, so both see the same machine load; the
JSON then holds both medians and their ratio. Targets (issue 12): --help <= 0.5 s, models <= 1 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from jsonl_files import cpu_model

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: dict[str, list[str]] = {"--help": ["--help"], "models": ["models"]}
TARGETS_S = {"--help": 0.5, "models": 1.0}
PACKAGES = ("typer", "click", "rich", "pydantic", "platformdirs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="a git revision to measure beside this checkout")
    parser.add_argument("--out", type=Path, default=ROOT / "perf/results/startup.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"current": ROOT / "src"}
        if args.baseline:
            trees["baseline"] = _extract_src(args.baseline, Path(scratch) / "baseline")
        folder = Path(scratch) / "cwd"
        folder.mkdir()
        samples = _measure(trees, args.runs, folder)
    result = _result(args, samples)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for tree, commands in result["trees"].items():
        for name, figures in commands.items():
            print(f"{tree:8} bakeoff {name:7} median {figures['median_s']:.3f} s  "
                  f"(samples {', '.join(f'{s:.3f}' for s in figures['samples_s'])})")
    for name, ratio in result.get("speedup", {}).items():
        print(f"bakeoff {name}: {ratio:.1f}x faster than {args.baseline}")
    print(f"wrote {args.out}")


def _extract_src(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", "--format=tar", revision, "src"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _measure(trees: dict[str, Path], runs: int,
             folder: Path) -> dict[str, dict[str, list[float]]]:
    """Seconds per (tree, command); the trees take turns within each round."""
    samples: dict[str, dict[str, list[float]]] = {t: {c: [] for c in COMMANDS} for t in trees}
    for round_number in range(runs + 1):
        for tree, src in trees.items():
            for name, argv in COMMANDS.items():
                seconds = _run_once(src, argv, folder)
                if round_number:  # round 0 writes the .pyc files
                    samples[tree][name].append(seconds)
    return samples


def _run_once(src: Path, argv: list[str], folder: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bakeoff", *argv], cwd=folder, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def _result(args: argparse.Namespace, samples: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    trees: dict[str, dict[str, dict[str, Any]]] = {
        tree: {name: {"median_s": round(statistics.median(values), 4),
                      "samples_s": [round(v, 4) for v in values],
                      "target_s": TARGETS_S[name]}
               for name, values in commands.items()}
        for tree, commands in samples.items()}
    result: dict[str, Any] = {
        "command": "python perf/startup.py " + " ".join(sys.argv[1:]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": "wall-clock seconds of `python -m bakeoff ARGS` in an empty folder, fresh "
                "process each run, bytecode cached",
        "revision": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes_in_src": bool(_git("status", "--porcelain", "src")),
        "baseline": args.baseline,
        "runs": args.runs,
        "trees": trees,
        "machine": {"platform": platform.platform(), "cpu": cpu_model(),
                    "cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "versions": {"python": platform.python_version(),
                     **{p: _version(p) for p in PACKAGES}},
        "bundled_gguf_downloaded": _bundled_downloaded(),
    }
    if "baseline" in trees:
        result["speedup"] = {name: round(trees["baseline"][name]["median_s"]
                                         / trees["current"][name]["median_s"], 2)
                             for name in COMMANDS}
    return result


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _bundled_downloaded() -> dict[str, bool]:
    """Which bundled GGUFs `models` found on disk (their headers are read, which takes time)."""
    from bakeoff.config import bundled_model_config
    from bakeoff.providers.bundled import BUNDLED_MODELS

    return {name: bundled_model_config(name).gguf_file(download=False) is not None
            for name in BUNDLED_MODELS}


if __name__ == "__main__":
    main()
