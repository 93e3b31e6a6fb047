"""TriviaQA: lm-eval's prompt, stops and exact match on aliases; loaded through FileSource."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bakeoff.benchmarks.generative import random_shots
from bakeoff.benchmarks.triviaqa import (
    METRIC,
    TriviaQA,
    extract_answer,
    is_correct,
    parse_rows,
)
from bakeoff.types import Abilities, Completion, GenerationRequest, Timing, Usage

FIXTURE = Path(__file__).parent / "fixtures" / "trivia_qa_rc_nocontext.jsonl"
COMPLETIONS = Abilities(loglikelihood=True, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")

GOLDEN_PROMPT = (
    "Question: Which planet is known as the Red Planet??\nAnswer: Mars\n\n"
    "Question: What is the capital of France??\nAnswer: Paris\n\n"
    "Question: How many legs has a spider??\nAnswer: 8\n\n"
    "Question: Who wrote Hamlet??\nAnswer: William Shakespeare\n\n"
    "Question: What colour is the sky on a clear day??\nAnswer: Blue\n\n"
    "Question: Which is the largest ocean on Earth??\nAnswer:"
)


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def test_user_file_gives_golden_prompt_and_first_five_rows_as_shots() -> None:
    samples = TriviaQA(data_file=FIXTURE).load_samples()
    assert [s.id for s in samples] == ["triviaqa/5", "triviaqa/6"]
    assert samples[0].input == GOLDEN_PROMPT
    assert json.loads(samples[0].meta("aliases")) == ["The Pacific Ocean", "Pacific"]
    assert TriviaQA(data_file=FIXTURE).load_samples(limit=1) == samples[:1]


def test_train_split_shots_follow_lm_eval_sampler() -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    samples = TriviaQA(rows=rows[5:], shot_rows=rows[:5]).load_samples()
    assert [s.id for s in samples] == ["triviaqa/0", "triviaqa/1"]
    expected = random_shots(parse_rows(rows[:5]), 5, 2)
    for sample, shots in zip(samples, expected, strict=True):
        assert sample.input.startswith(f"Question: {shots[0].question}?\nAnswer: ")
    # The sampler is seeded once per task (1234) and draws in item order.
    assert random_shots(list(range(10)), 3, 2) == random_shots(list(range(10)), 3, 2)
    first, second = random_shots(list(range(10)), 3, 2)
    assert first != second


def test_requests_are_greedy_with_lm_eval_stops_for_both_endpoints() -> None:
    [sample, _] = TriviaQA(data_file=FIXTURE).load_samples()
    [raw] = TriviaQA().requests(sample, COMPLETIONS)
    [chat] = TriviaQA().requests(sample, CHAT)
    assert isinstance(raw, GenerationRequest) and isinstance(chat, GenerationRequest)
    assert raw.prompt == GOLDEN_PROMPT
    assert raw.config.temperature == 0.0
    assert raw.config.stop == ("\n", ".", ",")
    assert [(m.role, m.content) for m in chat.messages] == [("user", GOLDEN_PROMPT)]
    assert chat.config == raw.config


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" Pacific", True), (" pacific.", True), (" The Pacific Ocean", True),
     ("  PACIFIC\nQuestion: next", True), (" the pacific ocean!", True),
     (" Pacific Ocean", False),  # not an alias
     (" Atlantic", False), ("", False)],
)
def test_exact_match_against_any_alias(text: str, expected: bool) -> None:
    [sample, _] = TriviaQA(data_file=FIXTURE).load_samples()
    score = TriviaQA().score(sample, [completion(text)])
    assert score.metric == METRIC
    assert score.value == (1.0 if expected else 0.0)


def test_extraction_and_normalisation_by_hand() -> None:
    assert extract_answer(" Paris, France") == "Paris"
    assert extract_answer(" St. Louis") == "St"  # stops at "." exactly as lm-eval's until
    assert is_correct("W. Shakespeare", ["w shakespeare"])
    assert not is_correct("a Pacific", ["Pacific"])  # TriviaQA keeps articles
    assert is_correct("Shakespeare’s", ["shakespeare’s"])  # non-ASCII apostrophe is kept


def test_end_to_end_with_the_bundled_smollm2(smollm2: Any) -> None:
    """One real greedy generation per fixture item, through the in-process provider."""
    benchmark = TriviaQA(data_file=FIXTURE)

    async def answer_all() -> list[float]:
        values = []
        for sample in benchmark.load_samples():
            [request] = benchmark.requests(sample, COMPLETIONS)
            assert isinstance(request, GenerationRequest)
            done = await smollm2.generate(request)
            assert not any(stop in done.text for stop in ("\n", ".", ","))
            score = benchmark.score(sample, [done])
            assert score.extracted == done.text.strip()
            values.append(score.value)
        return values

    values = asyncio.run(answer_all())
    assert len(values) == 2 and all(value in (0.0, 1.0) for value in values)
