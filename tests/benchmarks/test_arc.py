"""ARC-Challenge: prompts, labels, the two shot variants, acc vs acc_norm."""

from __future__ import annotations

from typing import Any

import pytest

from bakeoff.benchmarks.arc import ARCChallenge, arc_challenge, arc_challenge_25
from bakeoff.benchmarks.data import DataUnavailable
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

GOLDEN = ("Question: What is 1 plus 1?\nAnswer: 2\n\n"
          "Question: What is 7 plus 7?\nAnswer: 14\n\n"
          "Question: Which tool is best for measuring the mass of a rock?\nAnswer:")


def arc(num_shots: int) -> ARCChallenge:
    return ARCChallenge(num_shots, rows=fixture_rows("arc_challenge/test.jsonl"),
                        shot_rows=fixture_rows("arc_challenge/train.jsonl"))


def test_golden_prompt_and_numeric_labels() -> None:
    sample = arc(2).load_samples()[1]
    assert sample.input == GOLDEN
    assert sample.id == "arc_challenge_2/NYSEDREGENTS_2015_4_8"
    assert sample.choices == ("balance", "ruler", "thermometer")
    assert sample.target == "A"  # answerKey "1" is the first label
    assert arc(2).requests(sample, LOGLIKELIHOOD) == [
        LoglikelihoodRequest(GOLDEN, " balance"), LoglikelihoodRequest(GOLDEN, " ruler"),
        LoglikelihoodRequest(GOLDEN, " thermometer")]


def test_shots_are_drawn_k_at_a_time_from_train() -> None:
    test = fixture_rows("arc_challenge/test.jsonl")
    train = fixture_rows("arc_challenge/train.jsonl")
    expected = replay_lm_eval(test, train, 5, 5)
    for sample, shots in zip(arc(5).load_samples(), expected, strict=True):
        assert sample.input.startswith("".join(
            f"Question: {row['question']}\nAnswer: {row['choices']['text'][0]}\n\n"
            for row in shots))


def test_registered_variants() -> None:
    five, twenty_five = arc_challenge(), arc_challenge_25()
    assert (five.info.name, five.info.shots, five.info.metric) == ("arc_challenge", 5, "acc_norm")
    assert (twenty_five.info.name, twenty_five.info.shots) == ("arc_challenge_25", 25)
    assert five.metrics == five.info.metrics == ("acc_norm", "acc")
    assert five.info.modes == ("loglikelihood", "generative")
    # A shot pool smaller than the shot count fails with one clear line.
    path = FIXTURES / "arc_challenge/test.jsonl"
    small = ARCChallenge(5, data_file=path, shot_rows=fixture_rows("arc_challenge/test.jsonl"))
    with pytest.raises(DataUnavailable, match="5 shots need at least 5 rows in shot rows"):
        small.load_samples()
    assert arc_challenge(data_file=path).info.name == "arc_challenge"


def test_acc_and_acc_norm_disagree() -> None:
    benchmark = arc(2)
    sample = benchmark.load_samples()[1]  # balance (7) / ruler (5) / thermometer (11)
    values = metric_values(benchmark, sample, logprobs(-7.0, -6.0, -20.0))
    assert values == {"acc_norm": 1.0, "acc": 0.0}  # -1.0/char beats -1.2/char
    assert metric_values(benchmark, sample, logprobs(-7.0, -4.0, -20.0)) == {
        "acc_norm": 0.0, "acc": 0.0}


def test_generative_fallback() -> None:
    benchmark = arc(2)
    sample = benchmark.load_samples()[1]
    [chat] = benchmark.requests(sample, CHAT)
    assert isinstance(chat, GenerationRequest)
    content = chat.messages[0].content
    assert "(A, B or C)" in content
    assert content.endswith(
        "Question: What is 7 plus 7?\nA. 14\nB. 7\nC. 0\nD. 10\nAnswer: A\n\n"
        "Question: Which tool is best for measuring the mass of a rock?\n"
        "A. balance\nB. ruler\nC. thermometer\nAnswer:")
    assert metric_values(benchmark, sample, [completion("Answer: A")]) == {
        "acc_norm": 1.0, "acc": 1.0}
    assert metric_values(benchmark, sample, [completion("D")])["acc"] == 0.0  # not a choice


def test_user_file_through_load_first() -> None:
    path = FIXTURES / "arc_challenge/test.jsonl"
    benchmark = ARCChallenge(2, data_file=path,
                             shot_rows=fixture_rows("arc_challenge/train.jsonl"))
    assert benchmark.load_samples() == arc(2).load_samples()


def test_end_to_end_with_smollm2(smollm2: Any) -> None:
    assert len(run_end_to_end(smollm2, arc(5))) == 4 + 3
