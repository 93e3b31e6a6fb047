from pathlib import Path

import pytest

from bakeoff import api
from bakeoff.config import ConfigError, load_config, parse_config
from bakeoff.engine.plan import BUILTIN_SUITES, check_benchmark_names, resolve_suite
from bakeoff.providers.bundled import ASSUMED_PRICE_PER_HOUR, BUNDLED_MODELS
from bakeoff.providers.llama_cpp import LlamaCppModelConfig
from bakeoff.providers.openai_kind import OpenAIModelConfig

GOOD = """
[[models]]
name = "llama-3.1-405b"
provider = "openai"
base_url = "https://gateway.example.com/v1"
model = "meta-llama/llama-3.1-405b-instruct"
api_key_env = "GATEWAY_API_KEY"
price_input_per_mtok = 3.0
price_output_per_mtok = 3.0

[[models]]
name = "local"
provider = "llama-cpp"
bundled = "smollm2-135m-instruct"

[suites.mine]
benchmarks = ["mmlu"]
limits = { mmlu = 10 }
"""


def test_a_good_config_parses() -> None:
    config = parse_config(GOOD, "bakeoff.toml")
    assert [m.name for m in config.models] == ["llama-3.1-405b", "local"]
    assert config.model("llama-3.1-405b").api_model == "meta-llama/llama-3.1-405b-instruct"
    assert resolve_suite(config, "mine").limits == {"mmlu": 10}
    assert resolve_suite(config, "quick") == BUILTIN_SUITES["quick"]
    # Each entry is its provider kind's config, with exactly that kind's keys.
    assert [type(m) for m in config.models] == [OpenAIModelConfig, LlamaCppModelConfig]


def test_with_no_file_the_embedded_default_applies(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert [m.name for m in config.models] == list(BUNDLED_MODELS)
    assert config.default_suite == "quick"


def test_bundled_names_resolve_without_config() -> None:
    config = parse_config("", "bakeoff.toml")
    assert config.model("gemma-3-270m").bundled == "gemma-3-270m"


def test_bundled_models_carry_the_assumed_machine_price_unless_the_config_sets_theirs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert ASSUMED_PRICE_PER_HOUR == 0.0864  # AWS m6a.large on demand, us-east-1 (README)
    assert {m.price_per_hour for m in load_config(None).models} == {ASSUMED_PRICE_PER_HOUR}
    assert parse_config("", "b.toml").model("gemma-3-270m").price_per_hour == \
        ASSUMED_PRICE_PER_HOUR  # `-m NAME`
    own = parse_config('[[models]]\nname = "g"\nprovider = "llama-cpp"\nbundled = '
                       '"gemma-3-270m"\nprice_per_hour = 0.5\n', "b.toml")
    assert own.model("g").price_per_hour == 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace('api_key_env = "GATEWAY_API_KEY"',
                      'api_key_env = "GATEWAY_API_KEY"\ncolour = "red"'),
         "bakeoff.toml: models[1] ('llama-3.1-405b').colour: unknown key"),
        (GOOD.replace("price_input_per_mtok = 3.0", 'price_input_per_mtok = "cheap"'),
         "bakeoff.toml: models[1] ('llama-3.1-405b').price_input_per_mtok: "
         "Input should be a valid number without quotes, not a string"),
        (GOOD.replace('base_url = "https://gateway.example.com/v1"\n', ""),
         "bakeoff.toml: models[1] ('llama-3.1-405b').base_url: Field required"),
        (GOOD.replace('provider = "openai"', 'provider = "vllm"'),
         "bakeoff.toml: models[1] ('llama-3.1-405b'): unknown provider 'vllm' "
         "(known: openai, llama-cpp"),
        (GOOD.replace('provider = "llama-cpp"\n', ""),
         "bakeoff.toml: models[2] ('local'): provider is missing (known: openai, llama-cpp"),
        (GOOD.replace('bundled = "smollm2-135m-instruct"',
                      'bundled = "smollm2-135m-instruct"\nbase_url = "http://a"'),
         "bakeoff.toml: models[2] ('local').base_url: unknown key"),
        # A rate cap paces an endpoint's requests: a model run in-process has none to pace.
        (GOOD.replace('bundled = "smollm2-135m-instruct"',
                      'bundled = "smollm2-135m-instruct"\nrequests_per_minute = 60'),
         "bakeoff.toml: models[2] ('local').requests_per_minute: unknown key"),
        (GOOD.replace('bundled = "smollm2-135m-instruct"', 'n_ctx = 2048'),
         "bakeoff.toml: models[2] ('local'): provider 'llama-cpp' needs exactly one of bundled "
         "or path"),
        (GOOD.replace('bundled = "smollm2-135m-instruct"', 'bundled = "gpt-5"'),
         "bakeoff.toml: models[2] ('local'): unknown bundled model 'gpt-5'"),
        ("[[models]]\nname = 'x'\nprovider = 'openai'\nbase_url = 'http://a'\n" * 2,
         "bakeoff.toml: model names must be unique: x"),
        ("models = [", "bakeoff.toml: not valid TOML"),
        ("[suites.s]\nbenchmarks = ['mmlu']\nlimits = { gsm8k = 3 }",
         "bakeoff.toml: suites.s: limits names benchmarks not in the suite: gsm8k"),
    ],
)
def test_bad_configs_say_where_and_what(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "bakeoff.toml")
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such file"):
        load_config(tmp_path / "nope.toml")


def test_unknown_model_and_suite_list_the_known_ones() -> None:
    config = parse_config(GOOD, "bakeoff.toml")
    with pytest.raises(ConfigError, match=r"unknown model .gpt-9. .known: llama-3\.1-405b, local"):
        config.model("gpt-9")
    with pytest.raises(ConfigError, match=r"unknown suite .huge. .known: full, mine, quick"):
        resolve_suite(config, "huge")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[data]\nmmlux = 'a.jsonl'", "bakeoff.toml: data.mmlux: unknown benchmark 'mmlux'"),
        ("[benchmarks.mmlu]\nkind = 'generative'\npath = 'a.jsonl'",
         "bakeoff.toml: benchmarks.mmlu: the name of a built-in benchmark"),
        ("[suites.s]\nbenchmarks = ['mmlu', 'nope']",
         "bakeoff.toml: suites.s.benchmarks: unknown benchmark 'nope'"),
    ],
)
def test_benchmark_names_are_checked_where_config_meets_benchmarks(text: str,
                                                                    expected: str) -> None:
    config = parse_config(text, "bakeoff.toml")  # the config alone knows no benchmark
    with pytest.raises(ConfigError) as raised:
        check_benchmark_names(config)
    assert str(raised.value).startswith(expected)


def test_the_api_loads_a_config_with_its_benchmark_names_checked(tmp_path: Path) -> None:
    path = tmp_path / "bakeoff.toml"
    path.write_text("[suites.s]\nbenchmarks = ['nope']\n")
    with pytest.raises(ConfigError, match="unknown benchmark 'nope'"):
        api.load_config(path)
