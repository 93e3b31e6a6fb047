"""NaturalQuestions-open: lm-eval's prompt (description, "\\n" between shots) and exact match."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.benchmarks.nq_open import NaturalQuestionsOpen, is_correct
from bakeoff.types import Abilities, Completion, GenerationRequest, Timing, Usage

FIXTURE = Path(__file__).parent / "fixtures" / "nq_open.jsonl"

GOLDEN_PROMPT = (
    "Answer these questions:\n\n"
    "Q: what is the capital of italy?\nA: Rome\n"
    "Q: who painted the mona lisa?\nA: Leonardo da Vinci\n"
    "Q: how many days are in a week?\nA: seven\n"
    "Q: what is the boiling point of water in celsius?\nA: 100\n"
    "Q: what gas do plants breathe in?\nA: carbon dioxide\n"
    "Q: which river flows through london?\nA:"
)


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def test_golden_prompt_from_a_user_file() -> None:
    samples = NaturalQuestionsOpen(data_file=FIXTURE).load_samples()
    assert [s.id for s in samples] == ["nq_open/5", "nq_open/6"]
    assert samples[0].input == GOLDEN_PROMPT
    completions = Abilities(loglikelihood=True, endpoint="completions")
    [raw] = NaturalQuestionsOpen().requests(samples[0], completions)
    [chat] = NaturalQuestionsOpen().requests(samples[0], Abilities(endpoint="chat"))
    assert isinstance(raw, GenerationRequest) and isinstance(chat, GenerationRequest)
    assert raw.prompt == GOLDEN_PROMPT and raw.config.stop == ("\n", ".", ",")
    assert raw.config.temperature == 0.0
    assert chat.messages[0].content == GOLDEN_PROMPT


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" Thames", True), (" the Thames.", True), (" The river thames", True),
     (" River Thames, in England", True), (" A Thames", True), ("\tthames ", True),
     (" THE Thames", False),  # lm-eval removes articles before lower-casing
     (" Seine", False)],
)
def test_exact_match_drops_articles_case_and_punctuation(text: str, expected: bool) -> None:
    [sample, _] = NaturalQuestionsOpen(data_file=FIXTURE).load_samples()
    assert NaturalQuestionsOpen().score(sample, [completion(text)]).value == float(expected)


def test_normaliser_by_hand() -> None:
    assert is_correct("an apple", ["Apple"])
    assert is_correct("CO2", ["carbon dioxide", "co2"])
    assert not is_correct("theatre", ["atre"])  # "the" inside a word is kept
    assert not is_correct("", ["x"])
