"""The CLI guiding a new user: `bakeoff init`, "did you mean" for unknown names, and an export
format taken from the file's extension."""

import csv
import json
from pathlib import Path

import pytest

from bakeoff.config import load_config
from tests.helpers.cli import bakeoff, one_error_line
from tests.report.stored import build_store


def test_init_writes_a_config_that_loads_and_keeps_an_existing_one(tmp_path: Path) -> None:
    result = bakeoff("init", "--gateway", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote bakeoff.toml (gateway models)")
    config = load_config(tmp_path / "bakeoff.toml")
    assert {m.provider for m in config.models} == {"openai"}
    again = one_error_line(bakeoff("init", cwd=tmp_path))
    assert again == "bakeoff: error: bakeoff.toml exists already; --force overwrites it"
    assert bakeoff("init", "--force", "-o", "bakeoff.toml", cwd=tmp_path).returncode == 0
    assert {m.provider for m in load_config(tmp_path / "bakeoff.toml").models} == {"llama-cpp"}


def test_init_takes_one_setup(tmp_path: Path) -> None:
    line = one_error_line(bakeoff("init", "--local", "--both", cwd=tmp_path))
    assert line == "bakeoff: error: give one of --local, --gateway, --both (not --local and --both)"
    assert not (tmp_path / "bakeoff.toml").exists()


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        ("", ("run", "-m", "smolm2"),
         "unknown model 'smolm2' (did you mean 'smollm2-135m-instruct'? known: "
         "smollm2-135m-instruct, gemma-3-270m, qwen2.5-coder-0.5b-instruct)"),
        ("", ("run", "--suite", "quik"), "unknown suite 'quik' (did you mean 'quick'? known: "
                                         "full, quick)"),
        ('[[models]]\nname = "a"\nprovider = "openai"\nbase_url = "http://x"\nconcurency = 3\n',
         ("run",), "models[1] ('a').concurency: unknown key (did you mean 'concurrency'?)"),
        ('[suites.s]\nbenchmarks = ["gsm8kk"]\n', ("run", "-s", "s"),
         "suites.s.benchmarks: unknown benchmark 'gsm8kk' (did you mean 'gsm8k'? known: mmlu, "),
        ('[judge]\nmodel = "qwen2.5"\n', ("run",),
         "judge.model: unknown model 'qwen2.5' (did you mean 'qwen2.5-coder-0.5b-instruct'? "),
        ("", ("speed", "-m", "smollm2-135m-instruct", "-w", "shrt"),
         "--workload 'shrt' (did you mean 'short'?): use one of short, medium, long"),
    ],
)
def test_an_unknown_name_lists_the_known_ones_once_and_suggests_the_nearest(
        tmp_path: Path, config: str, args: tuple[str, ...], expected: str) -> None:
    if config:
        (tmp_path / "bakeoff.toml").write_text(config)
    line = one_error_line(bakeoff(*args, cwd=tmp_path))
    assert expected in line
    known = line.partition("known: ")[2].rstrip(")").split(", ")
    assert len(known) == len(set(known))


def _stored_run(root: Path) -> None:
    (root / "bakeoff-results").mkdir()
    store, _ = build_store(root / "bakeoff-results" / "bakeoff.sqlite")
    store.close()


def test_export_writes_the_format_its_extension_names(tmp_path: Path) -> None:
    _stored_run(tmp_path)
    result = bakeoff("export", "1", "-o", "x.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with (tmp_path / "x.csv").open(newline="") as handle:
        assert next(csv.reader(handle))[:3] == ["model", "benchmark", "sample_id"]
    assert (tmp_path / "x.pairwise.csv").is_file()
    assert bakeoff("export", "1", "-o", "x.JSON", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "x.JSON").read_text())["schema_version"] == 1
    assert bakeoff("export", "1", "-o", "y.txt", "--format", "csv", cwd=tmp_path).returncode == 0
    assert (tmp_path / "y.txt").read_text().startswith("model,benchmark,sample_id")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("-o", "x.xlsx"), "bakeoff: error: x.xlsx: cannot tell the format from the extension "
                           "'.xlsx'; name the file .json or .csv, or give --format json|csv"),
        (("-o", "x.csv", "--format", "xml"), "bakeoff: error: --format 'xml': use json or csv"),
    ],
)
def test_an_unknown_export_format_is_one_line(tmp_path: Path, args: tuple[str, ...],
                                              expected: str) -> None:
    _stored_run(tmp_path)
    assert one_error_line(bakeoff("export", "1", *args, cwd=tmp_path)) == expected
    assert not (tmp_path / "x.xlsx").exists()


def test_models_shows_the_context_the_spec_sheet_knows(tmp_path: Path) -> None:
    (tmp_path / "bakeoff.toml").write_text(
        '[[models]]\nname = "set"\nprovider = "openai"\nbase_url = "http://x/v1"\n'
        'context = 100000\n\n'
        '[[models]]\nname = "carded"\nprovider = "openai"\nbase_url = "http://x/v1"\n'
        'card = "gpt-4o-mini"\n\n'
        '[[models]]\nname = "bare"\nprovider = "openai"\nbase_url = "http://x/v1"\n')
    result = bakeoff("models", cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip()
            for line in result.stdout.splitlines() if line.startswith("│ ")
            and line.split("│")[1].strip() in ("set", "carded", "bare")}
    assert rows == {"set": "100,000", "carded": "128,000", "bare": "—"}
