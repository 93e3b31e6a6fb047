"""The peer tools perf/ measures bakeoff against, each in a venv of its own, made on first use.

`ensure(tool)` creates the tool's venv at the repository root if it is missing and installs
its pinned packages into it (pip does nothing when they are there already), then returns the
venv's Python. The pins are the versions docs/PERFORMANCE.md reports; the venvs are ignored by
git. `lm-eval` is lm-evaluation-harness with its API models; `lm-eval-hf` adds torch (its CPU
build, as the package index here serves it) and what its `hf` model needs to load a GGUF.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PEERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lm-eval": (".peer-venv", ("lm-eval[api]==0.4.13",)),
    "lm-eval-hf": (".peer-venv", ("lm-eval[api]==0.4.13", "torch==2.13.0",
                                  "transformers==5.24.0", "gguf==0.19.0",
                                  "accelerate==1.15.0")),
    "inspect_ai": (".inspect-venv", ("inspect-ai==0.3.285", "openai==3.57.0")),
}


def ensure(tool: str) -> Path:
    """The Python of `tool`'s venv, with its pinned packages installed."""
    folder, packages = PEERS[tool]
    venv = ROOT / folder
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {folder} for {tool} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"{folder}: pip install {' '.join(packages)}", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *packages], check=True)
    return python


def versions(tool: str) -> dict[str, str | None]:
    """Python's and the pinned packages' versions as installed in `tool`'s venv."""
    folder, packages = PEERS[tool]
    names = [package.split("==")[0].split("[")[0] for package in packages]
    script = ("import json, platform\nfrom importlib.metadata import version\n"
              "def v(name):\n    try:\n        return version(name)\n"
              "    except Exception:\n        return None\n"
              f"print(json.dumps({{'python': platform.python_version(), "
              f"**{{name: v(name) for name in {names!r}}}}}))")
    output = subprocess.run([str(ROOT / folder / "bin" / "python"), "-c", script],
                            capture_output=True, text=True, check=True)
    found: dict[str, str | None] = json.loads(output.stdout)
    return found
