"""Property-based fuzzing of what users feed bakeoff: any bakeoff.toml text, any value at a
known key, any JSON Lines bytes and any speed flags end in a value or in the loader's one-line
error, never in another exception. Small budgets keep it to seconds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bakeoff.benchmarks.data import DataUnavailable, json_lines
from bakeoff.config import Config, ConfigError, parse_config
from bakeoff.speed.api import speed_settings
from bakeoff.speed.workloads import SpeedSettingsError
from bakeoff.trials.custom import TrialFileError, read_cases
from tests.helpers.cli import bakeoff, one_error_line

# No example database: nothing is written into the checkout.
BUDGET = settings(max_examples=50, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])

MODEL = '[[models]]\nname = "remote"\nprovider = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
MODEL_KEYS = ["name", "concurrency", "context", "price_input_per_mtok", "price_output_per_mtok",
              "price_per_hour", "card", "spec", "timeout_s", "max_retries", "model", "endpoint",
              "requests_per_minute", "tokens_per_minute", "api_key_env", "published_speeds"]
SUITE_KEYS = ["benchmarks", "limits", "subsets", "seed"]

scalars = st.one_of(
    st.integers(), st.floats(), st.text(max_size=30), st.booleans(),
    st.sampled_from([10**30, -1, 0, "8", "inf", float("inf"), float("nan"), "", "a" * 5_000]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


def toml_value(value: Any) -> str:
    """`value` written as TOML (json's strings, arrays and numbers are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)} = {toml_value(item)}"
                               for key, item in value.items()) + "}"
    return json.dumps(value)


def config_or_one_line(text: str) -> None:
    try:
        assert isinstance(parse_config(text, "bakeoff.toml"), Config)
    except ConfigError as error:
        assert "\n" not in str(error)


@BUDGET
@given(st.text(max_size=300))
def test_any_text_is_a_config_or_one_error(text: str) -> None:
    config_or_one_line(text)


@BUDGET
@given(st.text(alphabet="[]{}=\"'.,#\n abc123-_", max_size=300))
def test_toml_punctuation_is_a_config_or_one_error(text: str) -> None:
    config_or_one_line(text)


@BUDGET
@given(st.sampled_from(MODEL_KEYS), values)
def test_any_value_at_a_model_key_is_taken_or_refused(key: str, value: Any) -> None:
    text = MODEL.replace('name = "remote"\n', "") if key == "name" else MODEL
    config_or_one_line(text + f"{key} = {toml_value(value)}\n")


@BUDGET
@given(st.sampled_from(SUITE_KEYS), values)
def test_any_value_at_a_suite_key_is_taken_or_refused(key: str, value: Any) -> None:
    lines = {"benchmarks": '["mmlu"]', key: toml_value(value)}
    config_or_one_line("[suites.mine]\n" + "".join(f"{k} = {v}\n" for k, v in lines.items()))


lines = st.one_of(st.binary(max_size=60), st.text(max_size=60).map(str.encode),
                  values.map(lambda value: json.dumps(value).encode()))


@BUDGET
@given(st.lists(lines, max_size=5))
def test_any_json_lines_bytes_are_rows_or_one_located_error(tmp_path: Path,
                                                            rows: list[bytes]) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"\n".join(row.replace(b"\n", b" ") for row in rows))
    for read, refusal in ((json_lines, DataUnavailable), (read_cases, TrialFileError)):
        try:
            read(path)
        except refusal as error:
            assert str(error).startswith(str(path)) and "\n" not in str(error)


@BUDGET
@given(st.text(max_size=20), st.one_of(st.none(), st.floats()),
       st.integers(min_value=1, max_value=10**6))
def test_any_speed_flags_are_settings_or_one_error(concurrency: str, rate: float | None,
                                                   runs: int) -> None:
    try:
        speed_settings(None, runs, 1, concurrency, rate, 20, 300.0, 128)
    except SpeedSettingsError as error:
        assert "\n" not in str(error)


@settings(BUDGET, max_examples=25)
@given(st.sampled_from(MODEL_KEYS), values)
def test_the_cli_given_any_model_value_works_or_says_one_line(tmp_path: Path, key: str,
                                                              value: Any) -> None:
    text = MODEL.replace('name = "remote"\n', "") if key == "name" else MODEL
    (tmp_path / "bakeoff.toml").write_text(text + f"{key} = {toml_value(value)}\n",
                                           encoding="utf-8")
    result = bakeoff("run", "--estimate", "-m", "remote", "-s", "quick", cwd=tmp_path)
    if result.returncode != 0:
        one_error_line(result)
