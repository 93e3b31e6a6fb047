"""The verdict, FAQ and recommendations never claim more than the data."""

from pathlib import Path

from bakeoff.config import parse_config
from bakeoff.report.data import (
    ModelSpeed,
    ReportData,
    SpeedFigures,
    build_report_data,
    report_from_cards,
)
from bakeoff.report.insights import faq, load_profiles, quality_standing, recommend, verdict
from bakeoff.report.tables import spec_table
from tests.report.stored import build_store


def _data(tmp_path: Path) -> ReportData:
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    return build_report_data(store, [run_id], generated_at=0.0)


def test_only_significant_differences_are_worded_as_wins(tmp_path: Path) -> None:
    data = _data(tmp_path)
    [choices, quality] = verdict(data, recommend(data, load_profiles()))
    assert quality.startswith("On the standard benchmarks (gsm8k, humaneval, mmlu), alpha beats "
                              "beta on humaneval")
    assert "alpha beats beta on humaneval" in quality
    assert "alpha beats beta on mmlu" in quality
    # gsm8k: 0.55 vs 0.45, p = 0.625: not a win.
    assert "on gsm8k" not in quality
    # gamma was scored in another mode: never ranked.
    assert "gamma" not in quality
    # The choice's reason cites what decided: beta is significantly worse, gamma unmeasured.
    # Use cases go by their short names, so the list reads unambiguously.
    assert choices.startswith("Choose alpha for accuracy-critical work, long documents, code "
                              "and synthetic data (better on humaneval pass@5 than beta: 0.640 "
                              "vs 0.433 for beta, paired bootstrap p < 0.001; decided by measured "
                              "quality: gamma has no comparable measure); no choice for ")


def test_modes_are_not_ranked_together(tmp_path: Path) -> None:
    data = _data(tmp_path)
    # gamma's only metric is mmlu in loglikelihood mode: no comparable metric at all.
    assert quality_standing(data, "gamma") is None
    # mmlu has a pair without a test (gamma), so it is left out: gsm8k and humaneval count.
    assert quality_standing(data, "beta") == (1, 2)


def test_ratios_come_from_the_numbers_shown(tmp_path: Path) -> None:
    data = _data(tmp_path)
    data.speed = SpeedFigures({"alpha": ModelSpeed(tokens_per_s_p50=28.44),
                               "beta": ModelSpeed(tokens_per_s_p50=68.66)}, "test")
    entry = next(e for e in faq(data) if e.question.startswith("Which generates faster, alpha "
                                                               "or beta"))
    assert entry.answer == "beta generates 2.4× faster: p50 68.7 vs 28.4 tokens/s."
    assert entry.evidence["ratio"] == round(68.7 / 28.4, 1)


def test_missing_figures_are_missing_not_zero(tmp_path: Path) -> None:
    data = _data(tmp_path)
    answers = [e.answer for e in faq(data)]
    assert "Not measured for alpha and beta: no speed ratio." in answers
    assert any("No price on record for beta" in a for a in answers)
    chat = next(r for r in recommend(data, load_profiles()) if r.profile.key ==
                "high-throughput-chat")
    assert "output tokens/s" in chat.not_measured
    assert any("tokens per s unknown" in u for u in chat.unchecked)


def test_a_non_significant_lead_is_a_tie(tmp_path: Path) -> None:
    data = _data(tmp_path)
    # Restricted to gsm8k, where alpha's lead is not significant, nobody wins.
    profile = load_profiles()[0]
    from dataclasses import replace
    only_gsm8k = replace(profile, benchmarks=("gsm8k",))
    [rec] = recommend(data, [only_gsm8k])
    assert rec.choice is None
    assert "no clear choice" in rec.reasons[0]


def test_hard_constraints_exclude(tmp_path: Path) -> None:
    data = report_from_cards(["llama-3.1-405b-instruct", "mixtral-8x22b-instruct"],
                             generated_at=0.0)
    long_docs = next(r for r in recommend(data, load_profiles())
                     if r.profile.key == "multilingual")
    assert long_docs.excluded == {}
    assert long_docs.choice is None  # quality not measured: no pick on card figures alone
    profiles_file = tmp_path / "p.toml"
    profiles_file.write_text('[ctx]\ntitle = "big context"\nweights = { context = 1.0 }\n'
                             'constraints = { min_context = 100000 }\n')
    [rec] = recommend(data, load_profiles(profiles_file))
    assert rec.excluded == {"mixtral-8x22b-instruct": "context 65,536 < 100,000"}
    assert rec.choice == "llama-3.1-405b-instruct"
    context = next(e for e in faq(data) if e.evidence["kind"] == "context")
    assert context.answer == ("Context window: 131,072 tokens for llama-3.1-405b-instruct (from "
                              "its model card) vs 65,536 tokens for mixtral-8x22b-instruct (from "
                              "its model card).")


def test_a_configured_context_is_said_to_be_configured_and_written_out() -> None:
    config = parse_config("""
[[models]]
name = "big"
provider = "openai"
base_url = "https://gateway.example.com/v1"
card = "llama-3.1-405b-instruct"
context = 128000

[[models]]
name = "small"
provider = "openai"
base_url = "https://gateway.example.com/v1"
card = "mixtral-8x22b-instruct"
""", "bakeoff.toml")
    data = report_from_cards(["big", "small"], generated_at=0.0, config=config)
    context = next(e for e in faq(data) if e.evidence["kind"] == "context")
    assert context.answer == ("Context window: 128,000 tokens for big (set in bakeoff.toml) vs "
                              "65,536 tokens for small (from its model card).")
    table = spec_table(data)
    assert table is not None
    [row] = [row for row in table[1] if row[0] == "context window (tokens)"]
    assert row == ["context window (tokens)", "128,000 (configured)", "65,536"]


def test_a_report_from_cards_labels_every_figure_published() -> None:
    data = report_from_cards(["llama-3.1-405b-instruct", "mixtral-8x22b-instruct"],
                             generated_at=0.0)
    first, second = verdict(data, recommend(data, load_profiles()))
    assert first.startswith("Nothing was measured")
    speed = next(e for e in faq(data) if e.evidence["kind"] == "speed")
    assert speed.answer.startswith("Published, not measured: mixtral-8x22b-instruct generates "
                                   "1.9× faster, 98.3 vs 51.5 tokens/s (for llama")
    assert speed.evidence["ratio"] == round(98.3 / 51.5, 1)
    price = next(e for e in faq(data) if e.evidence["kind"] == "price")
    assert price.answer == ("mixtral-8x22b-instruct costs 1.2× less per 1M tokens: $3 vs "
                            "$3.5 (list prices, blended 3:1 in:out).")
    assert price.evidence["ratio"] == round(0.0035 / 0.003, 1)
    assert speed.answer in second and price.answer in second


def test_a_measured_speed_is_never_replaced_by_a_published_one() -> None:
    data = report_from_cards(["llama-3.1-405b-instruct", "mixtral-8x22b-instruct"],
                             generated_at=0.0)
    data.speed = SpeedFigures({"llama-3.1-405b-instruct": ModelSpeed(tokens_per_s_p50=40.0)},
                              "speed run 1")
    speed = next(e for e in faq(data) if e.evidence["kind"] == "speed")
    assert speed.answer == "Not measured for mixtral-8x22b-instruct: no speed ratio."


def test_no_choice_when_most_of_a_profiles_weight_was_not_measured(tmp_path: Path) -> None:
    data = _data(tmp_path)  # quality measured; no speed, and beta and gamma have no price
    by_key = {r.profile.key: r for r in recommend(data, load_profiles())}
    for key in ("high-throughput-chat", "tight-budget"):  # speed+latency 0.7, price 0.7
        assert by_key[key].choice is None
        assert by_key[key].reasons[0].startswith("most of what this profile weighs has no "
                                                 "figure (")
    assert by_key["accuracy-critical"].choice == "alpha"  # quality is all it weighs
