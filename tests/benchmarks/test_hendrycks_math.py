"""MATH maj@4: the Minerva prompt, math-verify equivalence, majority voting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.benchmarks.hendrycks_math import (
    MINERVA_SHOTS,
    MathMajority,
    build_prompt,
)
from bakeoff.scoring.extract import math_answers_equivalent, parse_math_answer
from bakeoff.types import Abilities, Completion, GenerationRequest, Timing, Usage

pytest.importorskip("math_verify")

FIXTURE = Path(__file__).parent / "fixtures" / "hendrycks_math.jsonl"


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def test_prompt_is_the_four_minerva_exemplars_then_the_problem() -> None:
    prompt = build_prompt("What is $1+1$?")
    assert prompt.startswith("Problem:\nFind the domain of the expression  $\\frac{\\sqrt{x-2}}")
    assert prompt.endswith("I hope it is correct.\n\nProblem:\nWhat is $1+1$?\n\nSolution:")
    assert prompt.count("Problem:\n") == 5 and prompt.count("\n\nSolution: ") == 4
    assert len(MINERVA_SHOTS) == 4


def test_samples_and_sampled_requests_from_a_user_file() -> None:
    math = MathMajority(data_file=FIXTURE)
    samples = math.load_samples()
    assert [s.id for s in samples] == ["math/0", "math/1"]
    requests = math.requests(samples[0], Abilities(loglikelihood=True, endpoint="completions"))
    assert len(requests) == 4
    assert all(isinstance(r, GenerationRequest) and r.prompt == samples[0].input
               for r in requests)
    configs = [r.config for r in requests if isinstance(r, GenerationRequest)]
    assert [c.seed for c in configs] == [0, 1, 2, 3]
    assert {c.temperature for c in configs} == {0.6}
    assert configs[0].stop == ("Problem:",)
    [chat, *_] = math.requests(samples[0], Abilities(loglikelihood=False, endpoint="chat"))
    assert isinstance(chat, GenerationRequest) and chat.messages[0].content == samples[0].input


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [("$\\frac{1}{2}$", "$0.5$", True), ("$\\frac{1}{2}$", "1/2", True),
     ("so the answer is $\\boxed{\\frac{1}{2}}$.", "The final answer is $0.5$.", True),
     ("$\\boxed{12}$", "$\\boxed{13}$", False), ("$\\sqrt{4}$", "$2$", True)],
)
def test_math_verify_equivalence(first: str, second: str, same: bool) -> None:
    parsed_first, parsed_second = parse_math_answer(first), parse_math_answer(second)
    assert parsed_first is not None and parsed_second is not None
    assert math_answers_equivalent(parsed_first, parsed_second) is same


def test_no_answer_parses_to_none() -> None:
    assert parse_math_answer("I do not know.") is None


def test_vote_groups_equivalent_answers_not_strings() -> None:
    [sample, _] = MathMajority(data_file=FIXTURE).load_samples()
    texts = [" so $\\boxed{0.5}$.", " it is $\\boxed{\\frac{1}{2}}$.", " $\\boxed{1/3}$.",
             " $\\boxed{1/3}$."]
    maj4, maj1 = MathMajority().score_all(sample, [completion(t) for t in texts])
    # Two groups of two: a tie, one of the two tied groups is right.
    assert (maj4.metric, maj4.value) == ("maj@4,math-verify", 0.5)
    assert (maj1.metric, maj1.value) == ("maj@1,math-verify", 0.5)
    texts[2] = " $\\boxed{2/4}$"
    maj4, maj1 = MathMajority().score_all(sample, [completion(t) for t in texts])
    assert (maj4.value, maj1.value) == (1.0, 0.75)
    assert maj4.extracted is not None


def test_unparseable_samples_do_not_vote() -> None:
    [_, sample] = MathMajority(data_file=FIXTURE).load_samples()
    texts = [" no idea", " no idea", " no idea", " $\\boxed{12}$"]
    maj4, maj1 = MathMajority().score_all(sample, [completion(t) for t in texts])
    assert (maj4.value, maj1.value) == (1.0, 0.25)
    nothing = MathMajority().score_all(sample, [completion(" hmm")] * 4)
    assert [s.value for s in nothing] == [0.0, 0.0]
    assert nothing[0].extracted is None
    with pytest.raises(ValueError, match="expects 4 completions"):
        MathMajority().score_all(sample, [completion(" 1")])
