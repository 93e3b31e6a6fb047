"""Instruction following: each instruction's check on good and bad answers, the strict and loose
scores at prompt and instruction level, and the generator's prompts and combinations."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.trials.base import Case, Transcript
from bakeoff.trials.instructions import (
    CONFLICTS,
    KIND_BY_NAME,
    KINDS,
    METRICS,
    TRIALS,
    follows,
    variants,
)
from bakeoff.types import Completion, GenerationConfig, Message, Timing, Usage, canonical_json

TRIAL = TRIALS[0]
QWEN = "qwen2.5-coder-0.5b-instruct"


def answered(case: Case, text: str) -> Transcript:
    completion = Completion(text, Usage(0, 0), Timing(0.0, 0.0))
    return Transcript((*case.messages, Message("assistant", text)), (completion,))


def case_of(*instructions: tuple[str, dict[str, Any]]) -> Case:
    expected = [{"kind": kind, "args": args} for kind, args in instructions]
    return Case(id="instructions/x", messages=(Message("user", "Write about soup."),),
                expected=canonical_json(expected))


def scores(case: Case, text: str) -> dict[str, float]:
    return {check.metric: check.value for check in TRIAL.check(case, answered(case, text))}


# Each instruction: (kind, args, an answer that follows it, one that does not, part of the reason)
RULES: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("word_count", {"relation": "less", "n": 5}, "Soup is warm.", "Soup is warm and very good.",
     "6 words, expected fewer than 5"),
    ("word_count", {"relation": "at_least", "n": 3}, "Soup is warm.", "Warm soup.",
     "2 words, expected at least 3"),
    ("sentence_count", {"relation": "at_most", "n": 1}, "Soup is warm.", "Soup. Is warm!",
     "2 sentences, expected at most 1"),
    ("sentence_count", {"relation": "at_least", "n": 2}, "Soup. Is warm!", "Soup is warm.",
     "1 sentences, expected at least 2"),
    ("paragraph_count", {"n": 2}, "One.\n\nTwo.", "One.\nStill one.", "1 paragraphs, expected 2"),
    ("keywords", {"words": ["candle", "river"]}, "Candles by the river.", "A river.",
     "missing word(s): candle"),
    ("forbidden_words", {"words": ["very", "good"]}, "Soup is fine.", "Soup is very warm.",
     "used forbidden word(s): very"),
    ("letter_frequency", {"letter": "p", "n": 3}, "Pea soup, please.", "Pea soup.",
     "letter 'p' 2 times, expected at least 3"),
    ("lowercase", {}, "soup is warm.", "Soup is warm.", "capital letters used: S"),
    ("uppercase", {}, "SOUP IS WARM.", "SOUP is warm.", "lowercase letters used: aimrs"),
    ("bullets", {"n": 2}, "Soup:\n* hot\n- salty", "* hot\n* salty\n* thick",
     "3 bullet points, expected 2"),
    ("sections", {"marker": "SECTION", "n": 2}, "SECTION 1\nHot.\nSECTION 2\nSalty.",
     "Section 1\nHot.\nSECTION 2\nSalty.", "1 'SECTION X' markers, expected 2"),
    ("json", {}, '```json\n{"soup": "hot"}\n```', '{"soup": hot}', "not valid JSON"),
    ("start_phrase", {"phrase": "In short"}, "in short, soup is warm.", "Soup, in short, is warm.",
     "expected 'In short'"),
    ("end_phrase", {"phrase": "Have a nice day."}, "Soup is warm. Have a nice day.\n",
     "Have a nice day. Soup is warm.", "expected 'Have a nice day.'"),
    ("postscript", {}, "Soup is warm.\n\nP.S. Add salt.", "Soup is warm. PS add salt.",
     "no line starting with P.S."),
    ("title", {}, "<<On soup>>\nSoup is warm.", "<<>> Soup is warm.", "no <<title>>"),
    ("no_commas", {}, "Soup is warm and salty.", "Soup is warm, salty.", "1 comma(s)"),
    ("placeholders", {"n": 2}, "Dear [name], meet me at [place].", "Dear [name], hello.",
     "1 [placeholder](s), expected at least 2"),
    ("quotation", {}, '"Soup is warm."', 'Soup is "warm."', "not wrapped in double quotation"),
]


def test_every_kind_has_a_good_and_a_bad_answer_here() -> None:
    assert {kind for kind, *_ in RULES} == set(KIND_BY_NAME)


@pytest.mark.parametrize(("kind", "args", "good", "bad", "reason"), RULES)
def test_each_instruction_is_checked(kind: str, args: dict[str, Any], good: str, bad: str,
                                     reason: str) -> None:
    instruction = {"kind": kind, "args": args}
    assert follows(instruction, good) is None
    problem = follows(instruction, bad)
    assert problem is not None and reason in problem
    assert follows(instruction, "   ") == "empty answer"


# Strict and loose, prompt and instruction level


def test_all_followed_scores_one_everywhere() -> None:
    case = case_of(("no_commas", {}), ("keywords", {"words": ["river"]}))
    assert scores(case, "The river is cold.") == dict.fromkeys(METRICS, 1.0)


def test_instruction_level_is_the_share_followed_and_the_reason_names_the_failure() -> None:
    case = case_of(("no_commas", {}), ("keywords", {"words": ["river"]}),
                   ("lowercase", {}))
    checks = TRIAL.check(case, answered(case, "the river is cold, wet."))
    assert [c.metric for c in checks] == list(METRICS)
    assert [c.value for c in checks] == [0.0, 0.0, pytest.approx(2 / 3), pytest.approx(2 / 3)]
    assert checks[0].reason == "2 of 3 instruction(s) followed; failed: no_commas (1 comma(s))"


def test_loose_forgives_a_first_line_a_last_line_and_markdown_stars() -> None:
    case = case_of(("json", {}), ("keywords", {"words": ["river"]}))
    chatty = 'Sure! Here is the JSON:\n{"place": "river"}\nHope this helps.'
    assert scores(case, chatty) == {"prompt_strict": 0.0, "prompt_loose": 1.0,
                                    "instruction_strict": 0.5, "instruction_loose": 1.0}
    bold = case_of(("start_phrase", {"phrase": "In short"}),)
    assert scores(bold, "**In short**, soup is warm.")["prompt_loose"] == 1.0
    assert scores(bold, "**In short**, soup is warm.")["prompt_strict"] == 0.0
    # Loose still fails an answer no variant rescues.
    assert scores(bold, "Soup is warm.\nReally.\nIn short, yes.\nBye.")["prompt_loose"] == 0.0


def test_the_loose_variants_are_ifevals_eight() -> None:
    assert variants("*a*\nb\n*c*") == ["*a*\nb\n*c*", "b\n*c*", "*a*\nb", "b",
                                       "a\nb\nc", "b\nc", "a\nb", "b"]


def test_json_nested_past_pythons_limit_is_a_fail_not_an_exception() -> None:
    assert follows({"kind": "json", "args": {}}, "[" * 100_000) == \
        "not valid JSON (nested too deeply to read)"


def test_an_empty_answer_fails_every_metric_with_a_reason() -> None:
    case = case_of(("forbidden_words", {"words": ["very"]}),)
    checks = TRIAL.check(case, answered(case, ""))
    assert [c.value for c in checks] == [0.0] * 4
    assert all("empty answer" in c.reason for c in checks)


# The generator


def test_same_seed_same_cases_and_more_cases_keep_the_first() -> None:
    assert TRIAL.cases(3, 8) == TRIAL.cases(3, 8)
    assert TRIAL.cases(3, 12)[:8] == TRIAL.cases(3, 8)
    assert [c.messages for c in TRIAL.cases(4, 8)] != [c.messages for c in TRIAL.cases(3, 8)]
    assert TRIAL.cases(3, 2)[1].id == "instructions/1"


def test_cases_hold_one_to_three_instructions_that_can_be_followed_together() -> None:
    groups = {kind.name: kind.group for kind in KINDS}
    seen: set[str] = set()
    for index, case in enumerate(TRIAL.cases(11, 300)):
        kinds = [i["kind"] for i in case.truth()]
        assert len(kinds) == 1 + index % 3
        assert case.meta("instructions") == ",".join(kinds)
        assert len({groups[k] for k in kinds}) == len(kinds)
        assert not any(frozenset((a, b)) in CONFLICTS for a in kinds for b in kinds)
        seen.update(kinds)
    assert seen == set(KIND_BY_NAME)


def test_the_prompt_states_each_instructions_arguments() -> None:
    for case in TRIAL.cases(12, 200):
        prompt = case.messages[0].content
        for instruction in case.truth():
            for value in instruction["args"].values():
                for part in value if isinstance(value, list) else [value]:
                    if part in ("less", "at_least", "at_most"):
                        continue
                    if part == 1 and instruction["kind"] == "placeholders":
                        part = "one"
                    assert re.search(rf"\b{re.escape(str(part))}", prompt), (prompt, part)


# A real model


@pytest.mark.slow
def test_a_real_answer_is_checked_with_a_reason() -> None:
    pytest.importorskip("llama_cpp")
    try:
        path: Path = ensure_model(QWEN)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    case = TRIAL.cases(1, 1)[0]
    provider = LlamaCppProvider(path, QWEN, n_ctx=512)
    try:
        request = replace(case, config=GenerationConfig(max_tokens=48)).request()
        completion = asyncio.run(provider.generate(request))
    finally:
        asyncio.run(provider.aclose())
    checks = TRIAL.check(case, answered(case, completion.text))
    assert [c.metric for c in checks] == list(METRICS)
    assert all(0.0 <= c.value <= 1.0 and c.reason for c in checks)
