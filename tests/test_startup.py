"""Start-up stays fast: the CLI module, `bakeoff --help` and `bakeoff models` import no heavy
package, so that a new top-level import cannot silently slow every command again.

Each check runs in a fresh interpreter (this test process has imported everything already) and
reads its sys.modules; nothing here is timed (perf/startup.py measures the seconds).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Packages that take tens to hundreds of milliseconds to import, or load native libraries.
HEAVY = ("numpy", "openai", "httpx", "llama_cpp", "pygame", "langid", "jsonschema",
         "math_verify", "yaml", "sympy", "playwright", "sqlite3", "huggingface_hub", "datasets",
         "psycopg", "ray")
# What a command's own code imports when it runs; the CLI module imports none of it.
BAKEOFF_HEAVY = ("bakeoff.api", "bakeoff.engine", "bakeoff.benchmarks", "bakeoff.trials",
                 "bakeoff.report", "bakeoff.judging", "bakeoff.store", "bakeoff.speed",
                 "bakeoff.web", "bakeoff.scoring")


def _modules_after(code: str, cwd: Path) -> set[str]:
    """The top-level names in sys.modules after `code` ran in a new interpreter in `cwd`."""
    listing = cwd / "modules.json"
    script = (f"{code}\nimport json, pathlib, sys\n"
              f"pathlib.Path({str(listing)!r}).write_text(json.dumps(sorted(sys.modules)))")
    ran = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                         text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    return set(json.loads(listing.read_text()))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_importing_the_cli_loads_no_heavy_package(tmp_path: Path) -> None:
    modules = _modules_after("import bakeoff.cli", tmp_path)
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, BAKEOFF_HEAVY) == []
    assert "pydantic" not in modules


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["models"]])
def test_help_and_models_load_no_heavy_package(tmp_path: Path, args: list[str]) -> None:
    code = ("from bakeoff.cli import app\n"
            f"try:\n    app({args!r}, prog_name='bakeoff')\n"
            "except SystemExit as exit:\n    assert exit.code in (0, None), exit.code")
    modules = _modules_after(code, tmp_path)
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, BAKEOFF_HEAVY) == []
