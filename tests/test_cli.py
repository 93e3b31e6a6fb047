"""The bakeoff command as a user runs it: a real process, its exit code and its output."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BAKEOFF = [sys.executable, "-m", "bakeoff"]


def bakeoff(*args: str, cwd: Path, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BAKEOFF, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300, check=False)


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = bakeoff("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "ask", "models", "runs", "report"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('[[models]]\nname = "a"\nprovider = "openai"\nbase_url = "http://x"\nspeed = 1\n',
         "bakeoff: error: bakeoff.toml: models[1] ('a').speed: unknown key"),
        ('[[models]]\nname = "a"\nprovider = "openai"\nbase_url = "http://x"\n'
         'concurrency = "many"\n',
         "bakeoff: error: bakeoff.toml: models[1] ('a').concurrency: Input should be a valid "
         "integer"),
        ("[[models]\n", "bakeoff: error: bakeoff.toml: not valid TOML"),
    ],
)
def test_a_bad_config_prints_one_located_line_and_exits_2(tmp_path: Path, config: str,
                                                          expected: str) -> None:
    (tmp_path / "bakeoff.toml").write_text(config)
    result = bakeoff("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr + result.stdout


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    result = bakeoff("run", "-c", "missing.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "bakeoff: error: missing.toml: no such file"


def test_unknown_model_and_suite_exit_2(tmp_path: Path) -> None:
    result = bakeoff("run", "-m", "gpt-17", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("bakeoff: error: <embedded default>: unknown model 'gpt-17'")
    result = bakeoff("run", "--suite", "enormous", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown suite 'enormous'" in result.stderr


def test_report_of_a_missing_store_or_run_exits_2(tmp_path: Path) -> None:
    result = bakeoff("report", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert "no store yet" in result.stderr
    (tmp_path / "bakeoff-results").mkdir()
    from bakeoff.store import Store

    Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite").close()
    result = bakeoff("report", "7", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("no run 7 in bakeoff-results/bakeoff.sqlite")


def test_models_lists_the_bundled_models(tmp_path: Path) -> None:
    result = bakeoff("models", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("smollm2-135m-instruct", "gemma-3-270m", "qwen2.5-coder-0.5b-instruct"):
        assert name in result.stdout
