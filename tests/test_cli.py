"""The bakeoff command as a user runs it: exit codes and output.

Most cases run in this process (tests/helpers/cli.py); the first two start a real process
(the installed `bakeoff` script, then `python -m bakeoff`), since that is their subject.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import bakeoff, bakeoff_process, one_error_line


def test_the_installed_command_lists_the_commands(tmp_path: Path) -> None:
    """The `bakeoff` script pip installs beside this Python, run as a user runs it."""
    entry_point = shutil.which("bakeoff", path=str(Path(sys.executable).parent))
    assert entry_point is not None, "no bakeoff script beside this python (pip install -e .)"
    result = subprocess.run([entry_point, "--help"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for command in ("run", "ask", "models", "runs", "report"):
        assert command in result.stdout


def test_a_user_error_in_a_real_process_is_one_line_exit_2_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "bakeoff.toml").write_text("[[models]\n")
    result = bakeoff_process("run", cwd=tmp_path)
    assert one_error_line(result).startswith("bakeoff: error: bakeoff.toml: not valid TOML")


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
    assert one_error_line(bakeoff("run", cwd=tmp_path)).startswith(expected)


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
