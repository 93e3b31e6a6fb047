"""WinoGrande: partial scoring, shots and the generative fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bakeoff.benchmarks.winogrande import NUM_SHOTS, WinoGrande
from bakeoff.types import GenerationRequest, LoglikelihoodRequest
from tests.helpers.choice import (
    CHAT,
    FIXTURES,
    LOGLIKELIHOOD,
    completion,
    fixture_rows,
    logprobs,
    metric_values,
    replay_lm_eval,
    run_end_to_end,
)


def winogrande() -> WinoGrande:
    return WinoGrande(rows=fixture_rows("winogrande/validation.jsonl"),
                      shot_rows=fixture_rows("winogrande/train.jsonl"))


def test_prompt_is_the_shots_and_each_option_ends_its_context() -> None:
    validation, train = (fixture_rows("winogrande/validation.jsonl"),
                         fixture_rows("winogrande/train.jsonl"))
    [shots, _] = replay_lm_eval(validation, train, NUM_SHOTS, NUM_SHOTS + 1)
    sample = winogrande().load_samples()[0]
    prefix = "".join(f"{row['option1']} lent money to {row['option2']} because "
                     f"{row['option1']} was rich.\n\n" for row in shots)
    assert sample.input == prefix
    assert sample.id == "winogrande/0" and sample.target == "A"
    assert winogrande().requests(sample, LOGLIKELIHOOD) == [
        LoglikelihoodRequest(prefix + "Sarah was a much better surgeon than Maria so Sarah",
                             " always got the harder cases."),
        LoglikelihoodRequest(prefix + "Sarah was a much better surgeon than Maria so Maria",
                             " always got the harder cases."),
    ]


def test_golden_shot_order() -> None:
    """The shot order lm-eval's sampler gives for the first item (a pinned regression)."""
    sample = winogrande().load_samples()[0]
    assert sample.input.startswith(
        "Paul lent money to Sam because Paul was rich.\n\n"
        "Lena lent money to Rosa because Lena was rich.\n\n")


def test_acc_from_the_shared_suffix() -> None:
    benchmark = winogrande()
    sample = benchmark.load_samples()[1]  # answer "1": trophy
    assert metric_values(benchmark, sample, logprobs(-3.0, -4.0)) == {"acc": 1.0}
    assert metric_values(benchmark, sample, logprobs(-5.0, -4.0)) == {"acc": 0.0}
    assert benchmark.score(sample, logprobs(-5.0, -4.0)).extracted == "B"


def test_generative_fallback_shows_the_blank_and_two_options() -> None:
    benchmark = winogrande()
    sample = benchmark.load_samples()[1]
    [chat] = benchmark.requests(sample, CHAT)
    assert isinstance(chat, GenerationRequest)
    content = chat.messages[0].content
    assert "(A or B)" in content
    assert content.endswith("The trophy doesn't fit into the brown suitcase because the _ is "
                            "too large.\nA. trophy\nB. suitcase\nAnswer:")
    assert content.count("was rich.\nA. ") == NUM_SHOTS
    assert metric_values(benchmark, sample, [completion("A")]) == {"acc": 1.0}


def test_user_file_in_hub_schema() -> None:
    path: Path = FIXTURES / "winogrande/validation.jsonl"
    benchmark = WinoGrande(data_file=path, shot_rows=fixture_rows("winogrande/train.jsonl"))
    assert benchmark.load_samples() == winogrande().load_samples()
    assert benchmark.data_source == f"file {path}"


def test_end_to_end_with_smollm2(smollm2: Any) -> None:
    values = run_end_to_end(smollm2, winogrande())
    assert len(values) == 4
