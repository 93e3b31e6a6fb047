"""Malformed inputs a user can give (config values, data rows, flags): each is one line that
says where and what, never a traceback, never a coerced value, never a run that cannot end."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bakeoff import cli
from bakeoff.benchmarks.data import DataUnavailable, json_lines
from bakeoff.config import ConfigError, parse_config
from bakeoff.names import nearest
from bakeoff.speed.api import speed_settings
from bakeoff.speed.workloads import SpeedSettingsError
from bakeoff.trials.custom import TrialFileError, read_cases
from tests.helpers.cli import bakeoff, bakeoff_process, one_error_line
from tests.helpers.projects import write_project

MODEL = '[[models]]\nname = "remote"\nprovider = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "bakeoff.toml")
    message = str(caught.value)
    assert "\n" not in message and len(message) < 500, message
    return message


@pytest.mark.parametrize(("line", "expected"), [
    ('concurrency = "8"', "remote').concurrency: Input should be a valid integer without quotes"),
    ('price_input_per_mtok = "3"', "price_input_per_mtok: Input should be a valid number without"),
    ('price_output_per_mtok = "0.5"', "price_output_per_mtok: Input should be a valid number"),
    ("concurrency = 8.0", "concurrency: Input should be a valid integer"),
    ("concurrency = true", "concurrency: Input should be a valid integer"),
    ("timeout_s = inf", "timeout_s: Input should be a finite number"),
    ("timeout_s = nan", "timeout_s: Input should be a finite number"),
    ("timeout_s = 1e9", "timeout_s: Input should be less than or equal to 86400"),
    ("price_input_per_mtok = inf", "price_input_per_mtok: Input should be a finite number"),
    ("price_per_hour = -inf", "price_per_hour: Input should be a finite number"),
    ("requests_per_minute = nan", "requests_per_minute: Input should be a finite number"),
    ("concurrency = 100000", "concurrency: Input should be less than or equal to 256"),
])
def test_config_numbers_are_strict_finite_and_bounded(line: str, expected: str) -> None:
    assert expected in config_error(MODEL + line + "\n")


def test_a_float_key_still_takes_an_integer() -> None:
    model = parse_config(MODEL + "timeout_s = 30\nprice_input_per_mtok = 3\n", "b.toml").models[0]
    assert model.price_input_per_mtok == 3.0


def test_suite_numbers_are_strict() -> None:
    suite = '[suites.mine]\nbenchmarks = ["mmlu"]\n'
    assert "limits.mmlu: Input should be a valid integer without quotes" in config_error(
        suite + 'limits = { mmlu = "20" }\n')
    assert "seed: Input should be a valid integer" in config_error(suite + "seed = 1.5\n")


def test_a_huge_model_name_is_refused_at_once_in_a_short_line() -> None:
    huge = "a" * 1_000_000
    message = config_error(MODEL.replace('"remote"', f'"{huge}"'))
    assert "name: String should have at most 200 characters" in message
    assert "unknown key" in config_error(MODEL + f"{huge} = 1\n")


def test_a_huge_unknown_name_is_no_typo_of_a_known_one() -> None:
    # difflib's time grows with the square of the length: a 1 MB name must not be matched.
    assert nearest("a" * 1_000_000, ["alpha", "beta"]) is None


@pytest.mark.parametrize("value", [
    "[" * 100_000 + "]" * 100_000,
    "{a=" * 5_000 + "1" + "}" * 5_000,
])
def test_deeply_nested_toml_is_one_line(value: str) -> None:
    assert "nested too deeply" in config_error(MODEL + f"spec = {{ x = {value} }}\n")


@pytest.mark.parametrize(("concurrency", "rate", "expected"), [
    ("100000", None, "concurrency levels must be at most 1024"),
    ("1", float("nan"), "the Poisson rate must be above 0"),
    ("1", float("inf"), "the Poisson rate must be above 0"),
    ("9" * 5_000, None, "use numbers separated by commas"),
])
def test_speed_settings_are_bounded(concurrency: str, rate: float | None, expected: str) -> None:
    with pytest.raises(SpeedSettingsError, match=expected):
        speed_settings(None, 5, 1, concurrency, rate, 20, 300.0, 128)


GOOD_ROW = b'{"question": "q", "answer": "a"}\n'
BAD_ROWS = {
    b'{"question": "\xff\xfe"}\n': "2: not UTF-8 text",
    b'{"n": ' + b"9" * 5_000 + b"}\n": "2: a number with too many digits",
    b"[" * 100_000 + b"]" * 100_000 + b"\n": "2: arrays or objects nested too deeply",
}


@pytest.mark.parametrize(("row", "expected"), BAD_ROWS.items())
def test_a_bad_benchmark_row_is_located(tmp_path: Path, row: bytes, expected: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(GOOD_ROW + row)
    with pytest.raises(DataUnavailable, match=f"rows.jsonl:{expected}"):
        json_lines(path)


@pytest.mark.parametrize(("row", "expected"), BAD_ROWS.items())
def test_a_bad_trial_row_is_located(tmp_path: Path, row: bytes, expected: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(GOOD_ROW + row)
    with pytest.raises(TrialFileError, match=f"cases.jsonl:{expected}"):
        read_cases(path)


def test_deeply_nested_yaml_cases_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(TrialFileError, match=r"cases\.yaml: not valid YAML"):
        read_cases(path)


def test_a_run_on_a_data_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    write_project(tmp_path)
    (tmp_path / "data" / "faq.jsonl").write_bytes(
        b'{"question": "x", "choices": ["a", "b"], "answer": 0}\n{"question": "\xff"}\n')
    result = bakeoff("run", "--estimate", "-s", "mysuite", "-m", "smollm2-135m-instruct",
                     cwd=tmp_path)
    assert one_error_line(result).startswith("bakeoff: error: data/faq.jsonl:2: not UTF-8 text")


LOCAL = '[[models]]\nname = "mine"\nprovider = "llama-cpp"\npath = "{path}"\n'


@pytest.mark.parametrize(("content", "expected"), [
    (b"not a model", "model 'mine': mine.gguf: not a GGUF file (no GGUF magic)"),
    (None, "model 'mine': mine.gguf: cannot read the model file (No such file or directory)"),
])
def test_a_model_path_that_is_no_gguf_file_is_one_line(tmp_path: Path, content: bytes | None,
                                                        expected: str) -> None:
    if content is not None:
        (tmp_path / "mine.gguf").write_bytes(content)
    (tmp_path / "bakeoff.toml").write_text(LOCAL.format(path="mine.gguf"), encoding="utf-8")
    for command in (("run", "--estimate"), ("speed",)):
        assert one_error_line(bakeoff(*command, "-m", "mine", cwd=tmp_path)) == (
            f"bakeoff: error: {expected}")


def remote_project(root: Path, extra: str = "") -> Path:
    (root / "bakeoff.toml").write_text(MODEL + extra, encoding="utf-8")
    (root / "afile").write_text("x", encoding="utf-8")
    (root / "afolder").mkdir()
    return root


@pytest.mark.parametrize(("args", "expected"), [
    (("runs", "--store", "afolder"), "--store afolder: a folder; give the store's file, such as "
                                     "afolder/bakeoff.sqlite"),
    (("report", "1", "--store", "afolder"), "--store afolder: a folder"),
    (("report", "--models", "remote", "--profiles", "nope.toml"), "--profiles nope.toml: no "
                                                                  "such file"),
    (("report", "--models", "remote", "--profiles", "afolder"), "--profiles afolder: a folder"),
    (("report", "--models", "remote", "-o", "afile"), "--output afile: a file, not a folder"),
    (("report", "--models", "remote", "-o", "afile/x"), "afile/x: a file is where a folder is "
                                                        "needed"),
    (("speed", "-m", "remote", "--concurrency", "100000"), "concurrency levels must be at most"),
    (("speed", "-m", "remote", "--rate", "nan"), "the Poisson rate must be above 0"),
    (("run", "--estimate", "-m", "a" * 1_000_000), "bakeoff.toml: unknown model 'aaaa"),
])
def test_a_bad_flag_is_one_line(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    line = one_error_line(bakeoff(*args, cwd=remote_project(tmp_path)))
    assert line.startswith(f"bakeoff: error: {expected}") and len(line) < 500


@pytest.mark.parametrize(("folder", "expected"), [
    ("afile", "afile: a file is where a folder is needed"),
    ("afile/results", "afile/results: a file is where a folder is needed"),
    ("/proc/no-such-process", "/proc/no-such-process: No such file or directory"),
])
def test_an_output_dir_that_cannot_be_made_is_one_line(tmp_path: Path, folder: str,
                                                        expected: str) -> None:
    project = remote_project(tmp_path, f'[output]\ndir = "{folder}"\n')
    result = bakeoff("speed", "-m", "remote", "--runs", "1", "--warmup", "0", cwd=project)
    assert one_error_line(result) == f"bakeoff: error: {expected}"


INTERRUPTED_IMPORT = """
import builtins
real_import = builtins.__import__
def interrupted_import(name, *args, **kwargs):
    if name == "typer":  # the CLI's first heavy import: Ctrl-C while it loads
        raise KeyboardInterrupt
    return real_import(name, *args, **kwargs)
builtins.__import__ = interrupted_import
from bakeoff.__main__ import main
main()
"""


def test_ctrl_c_while_the_cli_loads_is_one_line_and_130(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_IMPORT], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr, done.stdout) == (130, "bakeoff: interrupted\n", "")


@pytest.mark.parametrize(("fault", "expected"), [
    (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    (PermissionError(errno.EACCES, "Permission denied", "reports/run-1.html"),
     "reports/run-1.html: Permission denied"),
    (OSError(errno.EROFS, "Read-only file system", "bakeoff-results"),
     "bakeoff-results: Read-only file system"),
])
def test_a_full_disk_or_read_only_folder_is_one_line(capsys: pytest.CaptureFixture[str],
                                                     fault: OSError, expected: str) -> None:
    with pytest.raises(typer.Exit) as exited, cli.user_errors():
        raise fault
    assert exited.value.exit_code == 2
    assert capsys.readouterr().err == f"bakeoff: error: {expected}\n"


def test_an_os_error_a_user_did_not_cause_stays_a_traceback() -> None:
    with pytest.raises(ConnectionRefusedError), cli.user_errors():
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")


def test_published_figures_are_strict_numbers_too() -> None:
    speeds = 'published_speeds = [{ provider = "p", output_tokens_per_s = "28" }]\n'
    assert "published_speeds[1].output_tokens_per_s: Input should be a valid number without " \
           "quotes" in config_error(MODEL + speeds)
    assert "output_tokens_per_s: Input should be a finite number" in config_error(
        MODEL + speeds.replace('"28"', "inf"))


def damage_table(path: Path, table: str) -> None:
    """A store with one run whose page holding `table` is overwritten with junk (the file
    stays an SQLite file that opens, as one damaged page leaves it)."""
    import sqlite3

    from bakeoff.store import Store

    store = Store(path)
    store.create_run("plan", "quick", {"suite": "quick"}, {})
    store.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                         (table,)).fetchone()
    (size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size:root * size] = b"\xff" * size
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["runs"], ["export", "1", "-o", "x.json"]])
def test_a_damaged_store_is_one_line_not_a_traceback(tmp_path: Path, command: list[str]) -> None:
    damage_table(tmp_path / "s.sqlite", "runs")
    result = bakeoff_process(*command, "--store", "s.sqlite", cwd=tmp_path)
    line = one_error_line(result)
    assert "the store cannot be read or written: database disk image is malformed" in line


def test_a_run_refuses_a_store_with_a_damaged_page_it_would_not_read(tmp_path: Path) -> None:
    write_project(tmp_path)
    store = tmp_path / "bakeoff-results" / "bakeoff.sqlite"
    store.parent.mkdir()
    damage_table(store, "speed_requests")  # a table a run of this project never reads
    damaged = store.read_bytes()
    result = bakeoff_process("run", "-m", "smollm2-135m-instruct", "--suite", "mysuite",
                             cwd=tmp_path)
    line = one_error_line(result)
    assert "the store is damaged" in line and "nothing was changed" in line
    assert store.read_bytes() == damaged
