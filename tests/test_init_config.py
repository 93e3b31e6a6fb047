"""`bakeoff init`'s files: each one loads as a config, with the models it promises."""

import re
from pathlib import Path

import pytest

from bakeoff import api
from bakeoff.config import load_config
from bakeoff.init_config import LOCAL_MODELS, SETUPS, InitError, Setup, config_text, write_config


@pytest.mark.parametrize("setup", SETUPS)
def test_each_written_file_loads_with_its_benchmark_names_checked(tmp_path: Path,
                                                                  setup: Setup) -> None:
    path = write_config(tmp_path / "bakeoff.toml", setup)
    config = api.load_config(path)  # load_config, then every benchmark name checked
    assert config == load_config(path)
    providers = {m.provider for m in config.models}
    assert providers == {"local": {"llama-cpp"}, "gateway": {"openai"},
                         "both": {"llama-cpp", "openai"}}[setup]
    assert "smoke" in config.suites and config.default_suite == "quick"


def test_local_models_are_bundled_and_gateway_models_name_their_key_variable(
        tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "b.toml", "both"))
    local = [m.name for m in config.models if m.provider == "llama-cpp"]
    assert local == list(LOCAL_MODELS)
    gateway = [m for m in config.models if m.provider == "openai"]
    assert [getattr(m, "api_key_env", None) for m in gateway] == ["GATEWAY_API_KEY"] * 2
    assert all(getattr(m, "base_url", "").endswith("/v1") for m in gateway)


def test_the_file_is_commented() -> None:
    text = config_text("gateway")
    assert text.startswith("# bakeoff.toml, written by `bakeoff init --gateway`")
    assert "# price_input_per_mtok" in text and "api_key_env" in text
    assert "llama-cpp" not in text


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "bakeoff.toml"
    path.write_text("# mine\n")
    with pytest.raises(InitError, match="exists already; --force overwrites it"):
        write_config(path, "local")
    assert path.read_text() == "# mine\n"
    write_config(path, "local", force=True)
    assert "bundled" in path.read_text()


def test_the_readme_headings_the_file_points_to_exist() -> None:
    head = config_text("both").split("\n\n")[0]
    pointer = head[head.index("README.md"):]
    named = re.findall(r'"([^"]+)"', pointer)
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert named and [name for name in named if f"\n## {name}\n" not in readme] == []
