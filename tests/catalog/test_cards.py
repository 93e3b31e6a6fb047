"""The shipped cards: valid, sourced, with the vendors' figures; overrides from bakeoff.toml."""

import datetime as dt

import pytest

from bakeoff.catalog import CardError, card_names, load_card, parse_card
from bakeoff.catalog.resolve import (
    context_window,
    figure_origin,
    model_card,
    named_figures,
    plan_figures,
    resolve,
)
from bakeoff.config import parse_config

SEEDS = ["llama-3.1-405b-instruct", "mixtral-8x22b-instruct", "gpt-4o-mini", "mistral-large-2"]


def test_every_shipped_card_loads_and_every_figure_names_a_source() -> None:
    for name in card_names():
        card = load_card(name)
        assert card.name == name
        for claim in card.benchmarks:
            assert claim.source.startswith("https://")
        assert all(source.startswith("https://") for source in card.sources.values())
    assert set(SEEDS) <= set(card_names())


def test_seed_cards_carry_the_vendors_figures() -> None:
    mini = load_card("gpt-4o-mini")
    assert (mini.benchmarks[0].benchmark, mini.benchmarks[0].score) == ("MMLU", 82.0)
    assert mini.price is not None
    assert (mini.price.input_per_mtok, mini.price.output_per_mtok) == (0.15, 0.60)
    assert mini.price.date == dt.date(2024, 7, 18)
    assert mini.price.blended_per_mtok == pytest.approx((3 * 0.15 + 0.60) / 4)
    mixtral = load_card("mixtral-8x22b-instruct")
    assert (mixtral.total_params, mixtral.active_params) == (141e9, 39e9)
    assert (mixtral.architecture, mixtral.expert_count, mixtral.experts_per_token) == ("moe", 8, 2)
    assert (mixtral.context_window, mixtral.license) == (65_536, "Apache-2.0")
    llama = load_card("llama-3.1-405b-instruct")
    assert (llama.context_window, llama.total_params) == (131_072, 405e9)
    large = load_card("mistral-large-2")
    assert (large.total_params, large.context_window) == (123e9, 131_072)


def test_every_seed_card_has_a_dated_sourced_price_and_published_scores() -> None:
    for name in SEEDS:
        card = load_card(name)
        assert card.price is not None and card.price.date is not None, name
        assert card.price.source.startswith("https://"), name
        assert card.benchmarks, name
    mixtral = load_card("mixtral-8x22b-instruct")
    assert mixtral.price is not None
    assert (mixtral.price.input_per_mtok, mixtral.price.output_per_mtok) == (2.0, 6.0)
    claims = {(c.benchmark, c.setting): c.score for c in mixtral.benchmarks}
    assert claims[("GSM8K", "maj@8, instruct model")] == 90.8
    assert claims[("MATH", "maj@4, instruct model")] == 44.6
    speeds = load_card("llama-3.1-405b-instruct").speeds
    assert speeds and all(s.source.startswith("https://") and s.date for s in speeds)


def test_a_figure_without_a_source_is_rejected() -> None:
    with pytest.raises(CardError, match="no source for: context_window"):
        parse_card('name = "x"\ndisplay_name = "X"\ncontext_window = 4096\n', "x.toml")


def test_an_unknown_card_is_one_clear_error() -> None:
    with pytest.raises(CardError, match="unknown model card 'nope'"):
        load_card("nope")


def test_a_configured_model_links_a_card_and_overrides_fields_and_price() -> None:
    config = parse_config("""
[[models]]
name = "big"
provider = "openai"
base_url = "https://gateway.example.com/v1"
card = "llama-3.1-405b-instruct"
spec = { context_window = 32768 }
price_input_per_mtok = 3.0
price_output_per_mtok = 3.5
""", "bakeoff.toml")
    model = config.models[0]
    card = model_card(model, config.source)
    assert card is not None
    assert card.context_window == 32_768 and card.sources["context_window"] == "bakeoff.toml"
    assert card.total_params == 405e9
    assert card.price is not None and card.price.provider == "configured"
    assert (card.price.input_per_mtok, card.price.output_per_mtok) == (3.0, 3.5)
    assert resolve(model, read_files=False).price == card.price


def test_the_cards_price_applies_when_the_model_sets_none() -> None:
    config = parse_config("""
[[models]]
name = "mini"
provider = "openai"
base_url = "https://api.openai.com/v1"
model = "gpt-4o-mini"
card = "gpt-4o-mini"
""", "bakeoff.toml")
    price = resolve(config.models[0], read_files=False).price
    assert price is not None and price.input_per_mtok == 0.15


@pytest.mark.parametrize(("snippet", "message"), [
    ('card = "gpt-5"', "unknown card 'gpt-5'"),
    ("spec = { parameters = 1 }", "spec: unknown card fields parameters"),
])
def test_bad_card_links_are_located_config_errors(snippet: str, message: str) -> None:
    from bakeoff.config import ConfigError

    text = f'[[models]]\nname = "m"\nprovider = "openai"\nbase_url = "http://x/v1"\n{snippet}\n'
    with pytest.raises(ConfigError, match=message):
        parse_config(text, "bakeoff.toml")


ARTICLE = """
[[models]]
name = "a"
provider = "openai"
base_url = "https://a.example.com/v1"
card = "llama-3.1-405b-instruct"
price_input_per_mtok = 6.5
price_output_per_mtok = 6.5
published_speeds = [{ provider = "Article host", output_tokens_per_s = 28.4, ttft_s = 0.5, \
workload = "the article's prompt", date = 2024-07-24, source = "https://example.com/article" }]

[[models]]
name = "b"
provider = "openai"
base_url = "https://b.example.com/v1"
card = "mixtral-8x22b-instruct"
price_input_per_mtok = 1.56
price_output_per_mtok = 1.56
"""


def test_configured_published_speeds_replace_the_cards() -> None:
    config = parse_config(ARTICLE, "bakeoff.toml")
    a, b = (model_card(m, config.source) for m in config.models)
    assert a is not None and b is not None
    [speed] = a.speeds
    assert (speed.provider, speed.output_tokens_per_s, speed.date) == (
        "Article host", 28.4, dt.date(2024, 7, 24))
    assert b.speeds == load_card("mixtral-8x22b-instruct").speeds  # none set: the card's
    assert a.price is not None and a.price.blended_per_mtok == 6.5


def test_a_stored_plan_entry_resolves_to_the_same_figures_as_its_config() -> None:
    config = parse_config(ARTICLE, "bakeoff.toml")
    for model in config.models:
        entry = model.model_dump(mode="json", exclude_defaults=True)
        stored, configured = plan_figures(entry).card, model_card(model)
        assert stored is not None and configured is not None
        assert stored.price is not None and configured.price is not None
        assert stored.price.blended_per_mtok == configured.price.blended_per_mtok
        assert stored.speeds == configured.speeds


def test_a_name_is_a_configured_model_else_a_shipped_card() -> None:
    config = parse_config(ARTICLE, "bakeoff.toml")
    configured = named_figures("a", config).price
    assert configured is not None and configured.input_per_mtok == 6.5
    shipped = named_figures("llama-3.1-405b-instruct", config).price
    assert shipped is not None and shipped.input_per_mtok == 3.5
    with pytest.raises(CardError, match="unknown model card 'a'"):
        named_figures("a")


def test_a_model_with_only_a_published_speed_gets_a_card() -> None:
    config = parse_config("""
[[models]]
name = "bare"
provider = "openai"
base_url = "http://x/v1"
published_speeds = [{ provider = "p", output_tokens_per_s = 10.0, workload = "w", \
date = 2024-01-01, source = "s" }]
""", "bakeoff.toml")
    card = model_card(config.models[0])
    assert card is not None and card.speeds[0].output_tokens_per_s == 10.0


@pytest.mark.parametrize(("speed", "message"), [
    ('{ provider = "p", output_tokens_per_s = 0, workload = "w", date = 2024-01-01, '
     'source = "s" }',
     "models[1] ('m').published_speeds[1].output_tokens_per_s: Input should be greater than 0"),
    ('{ provider = "p", output_tokens_per_s = 5, date = 2024-01-01, source = "s" }',
     "models[1] ('m').published_speeds[1].workload: Field required"),
    ('{ provider = "p", output_tokens_per_s = 5, workload = "w", date = 2024-01-01, '
     'source = "s", speed = 3 }',
     "models[1] ('m').published_speeds[1].speed: unknown key"),
])
def test_a_bad_published_speed_is_a_located_config_error(speed: str, message: str) -> None:
    from bakeoff.config import ConfigError

    text = (f'[[models]]\nname = "m"\nprovider = "openai"\nbase_url = "http://x/v1"\n'
            f"published_speeds = [{speed}]\n")
    with pytest.raises(ConfigError) as error:
        parse_config(text, "bakeoff.toml")
    assert str(error.value).startswith(f"bakeoff.toml: {message}"), str(error.value)


def test_a_models_context_is_the_configured_one_else_its_spec_sheets() -> None:
    config = parse_config("""
[[models]]
name = "mini"
provider = "openai"
base_url = "https://api.openai.com/v1"
card = "gpt-4o-mini"

[[models]]
name = "set"
provider = "openai"
base_url = "https://api.openai.com/v1"
card = "gpt-4o-mini"
context = 32000

[[models]]
name = "bare"
provider = "openai"
base_url = "https://api.openai.com/v1"
""", "bakeoff.toml")
    mini, configured, bare = config.models
    assert context_window(mini) == 128_000  # the card's figure, not "—"
    assert context_window(configured) == 32_000
    assert context_window(bare) is None
    assert figure_origin(model_card(configured) or load_card("gpt-4o-mini"),
                         "context_window") == "set in bakeoff.toml"
    assert figure_origin(load_card("gpt-4o-mini"), "context_window") == "from its model card"
    assert figure_origin(load_card("gpt-4o-mini"), "total_params") is None
