"""The bakeoff command in tests: in this process through typer's CliRunner, or as a real process
where the process itself is what is tested (the installed entry point, signals, kill -9).

Both return a `Ran` (exit code, stdout, stderr), so a test reads the same either way.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from bakeoff import cli

BAKEOFF = [sys.executable, "-m", "bakeoff"]
COLUMNS = 80  # rich's width when it cannot ask a terminal


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def bakeoff(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> Ran:
    """`bakeoff ARGS` run in `cwd`, in this process, with `env` added to the environment.

    bakeoff.cli prints through two module-level rich Consoles; they write to whatever
    sys.stdout and sys.stderr are at print time, so CliRunner captures them. Their width is
    set here from COLUMNS (default 80) because a Console reads COLUMNS only when it is made.
    An exception bakeoff does not handle is raised here, as a real process would print it.
    """
    env = dict(env or {})
    columns = int(env.get("COLUMNS", COLUMNS))
    env["COLUMNS"] = str(columns)
    cli.console.width = columns
    cli.errors.width = columns
    with contextlib.chdir(cwd):
        result = _runner().invoke(cli.app, list(args), env=env, catch_exceptions=False,
                                  prog_name="bakeoff")
    return Ran(result.exit_code, result.stdout, result.stderr)


def _runner() -> CliRunner:
    """A runner that keeps stderr apart from stdout, whatever click is installed."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2 mixes them
    except TypeError:
        return CliRunner()  # click >= 8.2: always apart (result.output has both)


def bakeoff_process(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
                    timeout_s: float = 600) -> Ran:
    """`python -m bakeoff ARGS` as a real process; for what only a process shows."""
    done = subprocess.run([*BAKEOFF, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout_s, check=False)
    return Ran(done.returncode, done.stdout, done.stderr)


def one_error_line(result: Ran) -> str:
    """The single line a user error prints, after checking it is alone and exits 2."""
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    return lines[0]
