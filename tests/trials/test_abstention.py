"""Abstention: the cases (half answerable, truths recomputed from the prompt), the three grades
on hand-written answers, the abstention patterns, and the protocol's figures on constructed
grades."""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.trials.abstention import (
    CORRECT,
    INCORRECT,
    METRICS,
    NOT_ATTEMPTED,
    TRIALS,
    abstains,
    abstention_summary,
    draw,
    grade,
    numbers_in,
    times_in,
)
from bakeoff.trials.base import Case, Check, Transcript
from bakeoff.types import Completion, GenerationConfig, Message, Timing, Usage, canonical_json

TRIAL = TRIALS[0]
QWEN = "qwen2.5-coder-0.5b-instruct"


def answered(case: Case, text: str) -> Transcript:
    completion = Completion(text, Usage(0, 0), Timing(0.0, 0.0))
    return Transcript((*case.messages, Message("assistant", text)), (completion,))


def scores(case: Case, text: str) -> dict[str, float]:
    return {c.metric: c.value for c in TRIAL.check(case, answered(case, text))}


def case_with(answerable: bool, kind: str, value: object) -> Case:
    expected = {"answerable": answerable, "kind": kind, "value": value}
    return replace(TRIAL.cases(1, 1)[0], expected=canonical_json(expected),
                   metadata=(("answerable", "yes" if answerable else "no"),))


# The trial and its cases


def test_the_trial_is_described() -> None:
    assert TRIAL.info.name == "abstention" and TRIAL.info.category == "Abstention"
    assert TRIAL.info.metrics == METRICS == ("pass", "correct", "attempted")
    assert (TRIAL.info.quick_count, TRIAL.info.full_count) == (4, 40)


def test_same_seed_same_cases_and_more_cases_keep_the_first() -> None:
    assert TRIAL.cases(2, 8) == TRIAL.cases(2, 8)
    assert TRIAL.cases(2, 12)[:8] == TRIAL.cases(2, 8)
    assert [c.messages for c in TRIAL.cases(3, 8)] != [c.messages for c in TRIAL.cases(2, 8)]
    first = TRIAL.cases(2, 1)[0]
    assert first.id == "abstention/0"
    assert first.metadata == (("answerable", "yes"), ("document", "memo"))


def test_half_the_cases_are_answerable_even_in_the_quick_suite() -> None:
    quick = [c.meta("answerable") for c in TRIAL.cases(1, 4)]
    assert quick == ["yes", "no", "yes", "no"]
    full = [c.meta("answerable") for c in TRIAL.cases(1, 40)]
    assert full.count("yes") == full.count("no") == 20
    assert {c.meta("document") for c in TRIAL.cases(1, 6)} == {
        "memo", "product sheet", "timetable"}


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def recompute(prompt: str) -> object:
    """A control's answer, worked out from the prompt's text alone."""
    question = re.search(r"Question: (.*)\n", prompt)
    assert question
    asked = question.group(1)

    def find(pattern: str) -> str:
        match = re.search(pattern, prompt)
        assert match, pattern
        return match.group(1)

    if asked.startswith("In which room"):
        return [find(r"room (\w+)\.")]
    if asked.startswith("At what time does the meeting"):
        return minutes(find(r"starts at (\d\d:\d\d)")) + int(find(r"last (\d+) minutes"))
    if asked.startswith("What is the catering"):
        return int(find(r"budget is ([\d,]+) euros").replace(",", ""))
    if asked.startswith("Who chairs"):
        name = find(r"(\w+ \w+) will chair")
        return [name, name.split()[1]]
    if asked.startswith("How many people"):
        return int(find(r"(\d+) people"))
    if asked.startswith("How much do two units"):
        return 2 * int(find(r"Price: (\d+)"))
    if asked.startswith("How many hours"):
        return int(find(r"Battery life: (\d+)"))
    if asked.startswith("How many years"):
        return int(find(r"Warranty: (\d+)"))
    if asked.startswith("What colour"):
        return [find(r"Colour: (\w+)")]
    if asked.startswith("How many grams"):
        return int(find(r"Weight: (\d+)"))
    if asked.startswith("How many minutes"):
        return minutes(find(r"arrives in \w+ at (\d\d:\d\d)")) - \
            minutes(find(r"departs \w+ at (\d\d:\d\d)"))
    if asked.startswith("From which platform"):
        return int(find(r"platform (\d+)"))
    if asked.startswith("What does a return"):
        return 2 * int(find(r"costs (\d+) euros"))
    return minutes(find(r"arrives in \w+ at (\d\d:\d\d)"))


def test_controls_truths_match_the_prompt_and_unanswerable_lack_a_needed_fact() -> None:
    asked = set()
    for index, case in enumerate(TRIAL.cases(7, 120)):
        truth, prompt = case.truth(), case.messages[0].content
        document, question, answerable, left_out = draw(7, index)
        asked.add(question.text.split(",")[0])
        sentences = dict(document.facts)
        assert sentences[left_out] not in prompt
        assert sum(s in prompt for s in sentences.values()) == len(sentences) - 1
        assert truth["answerable"] == answerable == (case.meta("answerable") == "yes")
        if answerable:
            assert left_out not in question.needs
            assert recompute(prompt) == truth["value"]
        else:
            assert left_out in question.needs
        assert prompt.endswith("reply exactly: I don't know")
    assert len(asked) >= 13  # every question of every template is drawn


# The grades on hand-written answers

CONTROL_NUMBER = case_with(True, "number", 4350)
CONTROL_TIME = case_with(True, "time", 15 * 60 + 30)
CONTROL_NAME = case_with(True, "text", ["Lena Brandt", "Brandt"])
UNANSWERABLE = case_with(False, "number", 204)
GRADES = {
    CORRECT: {"pass": 1.0, "correct": 1.0, "attempted": 1.0},
    INCORRECT: {"pass": 0.0, "correct": 0.0, "attempted": 1.0},
    NOT_ATTEMPTED: {"pass": 0.0, "correct": 0.0, "attempted": 0.0},
}
RIGHT_ABSTENTION = {"pass": 1.0, "correct": 0.0, "attempted": 0.0}


def test_a_control_answered_right_is_correct_even_inside_a_sentence() -> None:
    assert scores(CONTROL_NUMBER, "4350") == GRADES[CORRECT]
    assert scores(CONTROL_NUMBER, "According to the memo, the budget is 4,350 euros.") == \
        GRADES[CORRECT]
    assert scores(CONTROL_TIME, "The meeting ends at 15:30.") == GRADES[CORRECT]
    assert scores(CONTROL_TIME, "It ends at 3:30 pm") == GRADES[CORRECT]
    assert scores(CONTROL_TIME, "15.30") == GRADES[CORRECT]
    assert scores(CONTROL_NAME, "The meeting is chaired by lena BRANDT.") == GRADES[CORRECT]
    assert scores(CONTROL_NAME, "Ms Brandt") == GRADES[CORRECT]
    checks = TRIAL.check(CONTROL_NUMBER, answered(CONTROL_NUMBER, "4,350 euros"))
    assert checks[0].reason == "correct: gives 4350"


def test_a_control_answered_wrong_is_incorrect() -> None:
    for case, text in ((CONTROL_NUMBER, "4,300 euros"), (CONTROL_TIME, "15:45"),
                       (CONTROL_TIME, "3:30 am"), (CONTROL_NAME, "Brandtner"),
                       (CONTROL_NUMBER, "The budget is large.")):
        assert scores(case, text) == GRADES[INCORRECT], text
    checks = TRIAL.check(CONTROL_TIME, answered(CONTROL_TIME, "16:00"))
    assert checks[0].reason == "incorrect: does not give 15:30 (answer: '16:00')"


def test_a_number_is_not_read_out_of_a_clock_time() -> None:
    case = case_with(True, "number", 35)
    assert scores(case, "It departs at 14:35.") == GRADES[INCORRECT]
    assert numbers_in("14:35, then 1,250.5 and 7") == [1250.5, 7.0]
    assert times_in("at 9.05 a.m. or 12:10 pm or 12:00 am") == [545, 730, 0]


def test_a_control_abstained_on_is_not_attempted() -> None:
    assert scores(CONTROL_NUMBER, "I don't know") == GRADES[NOT_ATTEMPTED]
    checks = TRIAL.check(CONTROL_NUMBER, answered(CONTROL_NUMBER, "I don't know"))
    assert checks[0].reason == "not attempted: abstained, but the context gives 4350"


ABSTENTIONS = (
    "I don't know",
    "I don't know.",
    "I don\u2019t know",
    "i dont know",
    "I do not know.",
    "I'm not sure.",
    "The product sheet does not say.",
    "The price is not mentioned in the product sheet.",
    "This cannot be determined from the sheet.",
    "It can't be determined.",
    "There is no information about the price.",
    "I don't have that information.",
    "Unknown.",
    "N/A",
)


@pytest.mark.parametrize("text", ABSTENTIONS)
def test_each_abstention_phrasing_passes_an_unanswerable_question(text: str) -> None:
    # Graded not attempted (never correct), and the right behaviour: pass.
    assert abstains(text)
    assert scores(UNANSWERABLE, text) == RIGHT_ABSTENTION


def test_a_guess_on_an_unanswerable_question_is_incorrect() -> None:
    for text in ("204", "Two units cost 204 euros.", "100 euros",
                 "I don't know, but probably 204.", "Maybe 200? I'm not sure."):
        assert scores(UNANSWERABLE, text) == GRADES[INCORRECT], text
    checks = TRIAL.check(UNANSWERABLE, answered(UNANSWERABLE, "204"))
    assert checks[0].reason == \
        "incorrect: answered ('204') though the context does not give it"


def test_answers_that_are_not_abstentions() -> None:
    for text in ("I know: 204.", "Unknown price, around 200 euros", "Now I know it is 5.",
                 "The budget is known.", ""):
        assert not abstains(text), text


def test_an_empty_or_garbage_answer_is_incorrect_never_an_exception() -> None:
    for case in (CONTROL_NUMBER, CONTROL_TIME, CONTROL_NAME, UNANSWERABLE):
        for text in ("", "   ", "\x00\ufffd", "1234567890" * 600, "99:99 pm" * 50,
                     "1,2,3,,,4.5.6", "\u0663\u0665\u0660"):
            checks = TRIAL.check(case, answered(case, text))
            assert [c.metric for c in checks] == list(METRICS)
            assert all(c.reason for c in checks)
            assert checks[2].value == 1.0  # attempted: never an abstention
            assert checks[0].value == 0.0
    checks = TRIAL.check(UNANSWERABLE, answered(UNANSWERABLE, " "))
    assert checks[0].reason.startswith("incorrect: empty answer")
    no_answer = Transcript(UNANSWERABLE.messages, ())
    assert TRIAL.check(UNANSWERABLE, no_answer)[0].value == 0.0


def test_grade_returns_each_of_the_three() -> None:
    truth = CONTROL_NUMBER.truth()
    assert grade(truth, "4350")[:2] == (CORRECT, True)
    assert grade(truth, "12")[:2] == (INCORRECT, False)
    assert grade(truth, "I don't know")[:2] == (NOT_ATTEMPTED, False)
    assert grade(UNANSWERABLE.truth(), "I don't know")[:2] == (NOT_ATTEMPTED, True)
    assert grade(UNANSWERABLE.truth(), "204")[:2] == (INCORRECT, False)


# The protocol's figures


def graded(answerable: bool, text: str) -> tuple[tuple[tuple[str, str], ...], list[Check]]:
    """A case's metadata and the checks of `text` as its answer (value 4350 on controls)."""
    case = CONTROL_NUMBER if answerable else UNANSWERABLE
    return case.metadata, TRIAL.check(case, answered(case, text))


def test_the_summary_on_constructed_grades() -> None:
    controls = [graded(True, "4350")] * 3 + [graded(True, "12")] + [graded(True, "I don't know")]
    unanswerable = [graded(False, "I don't know")] * 4 + [graded(False, "204")]
    summary = abstention_summary(controls + unanswerable)
    # correct 3 (controls only), incorrect 1 + 1, not attempted 1 + 4, of 10 cases.
    assert (summary["correct"], summary["incorrect"], summary["not_attempted"]) == (3, 2, 5)
    assert summary["cases"] == 10
    assert summary["accuracy_given_attempted"] == pytest.approx(3 / 5)
    assert summary["correct_rate"] == pytest.approx(0.3)
    assert summary["abstention_recall"] == pytest.approx(4 / 5)
    # harmonic mean of 0.6 and 0.3 = 2 * 0.18 / 0.9 = 0.4
    assert summary["f1"] == pytest.approx(0.4)


def test_the_summary_of_nothing_attempted_and_of_no_cases() -> None:
    summary = abstention_summary([graded(True, "I don't know")] * 2)
    assert math.isnan(summary["accuracy_given_attempted"])
    assert math.isnan(summary["abstention_recall"])
    assert summary["correct_rate"] == 0.0
    assert math.isnan(abstention_summary([])["f1"])


# A real model


@pytest.mark.slow
def test_a_real_answer_is_checked_with_a_reason() -> None:
    pytest.importorskip("llama_cpp")
    try:
        path: Path = ensure_model(QWEN)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    case = TRIAL.cases(1, 2)[1]
    provider = LlamaCppProvider(path, QWEN, n_ctx=512)
    try:
        request = replace(case, config=GenerationConfig(max_tokens=24)).request()
        completion = asyncio.run(provider.generate(request))
    finally:
        asyncio.run(provider.aclose())
    checks = TRIAL.check(case, answered(case, completion.text))
    assert [c.metric for c in checks] == list(METRICS)
    assert all(c.value in (0.0, 1.0) and c.reason for c in checks)
