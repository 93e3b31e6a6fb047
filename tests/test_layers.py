"""The package's arrows point one way (docs/ARCHITECTURE.md): these checks keep them so."""

import ast
import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "bakeoff"

# package -> bakeoff packages it must never import (at module level or inside a function).
FORBIDDEN = {
    # Suggestions for unknown names: used by config and engine, so it imports no package.
    "names": ("types", "config", "providers", "engine", "benchmarks", "report", "cost",
              "catalog", "store", "trials", "api", "cli"),
    "types": ("config", "providers", "engine", "benchmarks", "report", "cost", "catalog"),
    "config": ("benchmarks", "engine", "report", "cost", "speed", "api", "cli"),
    "providers": ("benchmarks", "engine", "report", "cost", "speed", "store", "api", "cli",
                  "config"),
    "benchmarks": ("config", "providers", "engine", "report", "cost", "api", "cli"),
    "engine": ("cost", "report", "speed", "api", "cli", "catalog"),
    "catalog": ("providers.bundled", "engine", "report", "cost", "api", "cli"),
    "cost": ("report", "api", "cli"),
    "report": ("api", "cli", "engine"),
    "store": ("providers", "engine", "benchmarks", "report", "cost", "api", "cli"),
    "trials": ("config", "providers", "engine", "report", "cost", "store", "api", "cli"),
    # The local server reads the store and renders with report/; the CLI starts it.
    "web": ("api", "cli", "engine", "providers", "config", "cost", "benchmarks"),
    # The judge honours --max-cost through the runner's spending-cap protocol (engine.spending)
    # and nothing else of the engine.
    "judging": ("config", "engine.runner", "engine.plan", "engine.chat", "benchmarks", "report",
                "cost", "speed", "web", "api", "cli"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name.removeprefix("bakeoff.") for name in names if name.startswith("bakeoff.")}


def package_files(package: str) -> list[Path]:
    folder = SOURCE / package
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [SOURCE / f"{package}.py"]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    wrong = [f"{path.relative_to(SOURCE)} imports bakeoff.{module}"
             for path in package_files(package) for module in sorted(imported_modules(path))
             if any(module == banned or module.startswith(banned + ".")
                    for banned in FORBIDDEN[package])]
    assert wrong == []


def test_nothing_outside_providers_branches_on_a_provider_name() -> None:
    branch = re.compile(r"""provider\s*[!=]=\s*["']|["'](openai|llama-cpp)["']\s*[!=]=""")
    wrong = [f"{path.relative_to(SOURCE)}:{number}"
             for path in sorted(SOURCE.rglob("*.py")) if "providers" not in path.parts
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if branch.search(line)]
    assert wrong == []
