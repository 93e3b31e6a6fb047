"""Long-context trials: the generated texts, their truths (recomputed from the text), the string
match checker, and the grid and effective-length figures."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.providers.llama_cpp.tokenizer import GgufTokenizer
from bakeoff.trials.base import Case, Transcript
from bakeoff.trials.long_context import (
    DEPTHS,
    LENGTHS,
    TRIALS,
    Metadata,
    case_length,
    cell,
    effective_length,
    grid,
    length_means,
    match_all,
)
from bakeoff.types import Completion, GenerationConfig, Message, Timing, Usage

QWEN = "qwen2.5-coder-0.5b-instruct"
BY_NAME = {trial.info.name: trial for trial in TRIALS}
FACT = re.compile(r"(?:One s|S|s)torage code of the ([a-z]+-[a-z]+) archive is (\d+)\.")
ASSIGNMENT = re.compile(r"VAR ([A-Z]{5}) = (?:VAR ([A-Z]{5})|(\d+))\.")


def answered(case: Case, text: str) -> Transcript:
    completion = Completion(text, Usage(0, 0), Timing(0.0, 0.0))
    return Transcript((*case.messages, Message("assistant", text)), (completion,))


def document(case: Case) -> str:
    return case.messages[0].content


@pytest.fixture(scope="module")
def qwen_path() -> Path:
    pytest.importorskip("llama_cpp")
    try:
        return ensure_model(QWEN)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")


@pytest.fixture(scope="module")
def qwen_tokens(qwen_path: Path) -> Iterator[GgufTokenizer]:
    tokenizer = GgufTokenizer(qwen_path)
    yield tokenizer
    tokenizer.close()


# Determinism and the grid


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_same_seed_same_cases_and_more_cases_keep_the_first(name: str) -> None:
    trial = BY_NAME[name]
    assert trial.cases(5, 6) == trial.cases(5, 6)
    assert trial.cases(5, 9)[:6] == trial.cases(5, 6)
    assert [c.messages for c in trial.cases(6, 3)] != [c.messages for c in trial.cases(5, 3)]
    assert [c.id for c in trial.cases(5, 3)] == [f"{name}/0", f"{name}/1", f"{name}/2"]


def test_the_first_45_cases_cover_every_cell_once_and_quick_cases_are_short() -> None:
    cells = [cell(index) for index in range(len(LENGTHS) * len(DEPTHS))]
    assert sorted(cells) == sorted((n, d) for n in LENGTHS for d in DEPTHS)
    for trial in TRIALS:
        assert trial.info.full_count == 45
        quick = trial.cases(1, trial.info.quick_count)
        assert all(case_length(case) <= 1024 for case in quick)
        assert len({case.meta("depth") for case in quick}) == len(quick)


def test_metadata_holds_length_and_depth() -> None:
    case = BY_NAME["ctx_needle"].cases(3, 5)[4]
    assert case.meta("length") == str(LENGTHS[4]) and case_length(case) == LENGTHS[4]
    assert float(case.meta("depth")) in DEPTHS


def test_a_case_holds_a_little_under_its_length_in_real_tokens(
        qwen_tokens: GgufTokenizer) -> None:
    """Qwen2.5's tokenizer reads the most tokens of the bundled three (a digit, a capital each)."""
    for trial in TRIALS:
        for case in trial.cases(2, 6):
            tokens = qwen_tokens.count(document(case))
            assert 0.8 * case_length(case) <= tokens <= case_length(case), trial.info.name


# Truths, recomputed from the text


def test_the_filler_holds_no_digits_or_hyphens_outside_the_facts() -> None:
    for trial in TRIALS:
        for case in trial.cases(4, 4):
            body = document(case).rsplit("\n\n", 1)[0]
            rest = ASSIGNMENT.sub("", FACT.sub("", body))
            assert not re.search(r"[\d-]", rest), trial.info.name


@pytest.mark.parametrize("name", ["ctx_needle", "ctx_multikey"])
def test_the_asked_code_is_the_one_fact_about_the_asked_key(name: str) -> None:
    for case in BY_NAME[name].cases(8, 12):
        body, asked = document(case).rsplit("\n\n", 1)
        key = re.search(r"the ([a-z]+-[a-z]+) archive\?", asked)
        assert key
        facts = FACT.findall(body)
        assert [code for k, code in facts if k == key.group(1)] == case.truth()["values"]
        assert sorted(code for k, code in facts if k != key.group(1)) == \
            sorted(case.truth()["distractors"])
        assert len(facts) == (1 if name == "ctx_needle" else 4)


def test_multivalue_expects_every_code_of_its_key() -> None:
    for case in BY_NAME["ctx_multivalue"].cases(8, 12):
        facts = FACT.findall(document(case))
        assert len({key for key, _ in facts}) == 1
        assert sorted(code for _, code in facts) == sorted(case.truth()["values"])


def resolve(text: str) -> dict[str, str]:
    """Every variable's value, following assignments in the order they are written."""
    values: dict[str, str] = {}
    for name, source, number in ASSIGNMENT.findall(text):
        values[name] = number or values[source]
    return values


def test_variable_tracking_expects_exactly_the_variables_holding_the_value() -> None:
    for case in BY_NAME["ctx_variables"].cases(8, 18):
        body, asked = document(case).rsplit("\n\n", 1)
        value = re.search(r"hold the value (\d+)", asked)
        assert value
        values = resolve(body)
        assert len(values) == 10
        truth = case.truth()
        assert sorted(n for n, v in values.items() if v == value.group(1)) == \
            sorted(truth["values"])
        assert sorted(n for n, v in values.items() if v != value.group(1)) == \
            sorted(truth["distractors"])


def test_the_needle_sits_at_its_depth() -> None:
    for case in BY_NAME["ctx_needle"].cases(9, 45):
        if case_length(case) < 2048:
            continue
        body = document(case).rsplit("\n\n", 1)[0]
        match = FACT.search(body)
        assert match
        assert abs(match.start() / len(body) - float(case.meta("depth"))) < 0.02


# The checker


def test_all_expected_values_must_appear() -> None:
    case = BY_NAME["ctx_multivalue"].cases(1, 1)[0]
    codes = case.truth()["values"]
    [check] = BY_NAME["ctx_multivalue"].check(case, answered(case, ", ".join(codes)))
    assert (check.metric, check.value) == ("pass", 1.0)
    [check] = BY_NAME["ctx_multivalue"].check(case, answered(case, ", ".join(codes[:3])))
    assert check.value == 0.0
    assert check.reason.startswith(f"missing 1 of 4: {codes[3]}")


def test_distractors_named_too_pass_but_the_reason_says_so() -> None:
    trial = BY_NAME["ctx_variables"]
    case = trial.cases(1, 1)[0]
    truth = case.truth()
    everything = ", ".join(truth["values"] + truth["distractors"])
    [check] = trial.check(case, answered(case, everything))
    assert check.value == 1.0
    assert check.reason == (f"found all 5 expected value(s); also named 5 distractor(s): "
                            f"{', '.join(truth['distractors'])}")
    [check] = trial.check(case, answered(case, ", ".join(truth["distractors"])))
    assert check.value == 0.0 and "also named 5 distractor(s)" in check.reason


def test_a_code_inside_a_longer_number_does_not_count() -> None:
    assert match_all(["4821937"], "The code is 4821937.").value == 1.0
    assert match_all(["4821937"], "The code is 48219370.").value == 0.0
    assert match_all(["4821937"], "14821937").value == 0.0


def test_variable_names_match_whole_words_in_any_case() -> None:
    assert match_all(["QLMTZ", "HRWEB"], "qlmtz, HRWEB").value == 1.0
    check = match_all(["QLMTZ", "HRWEB"], "QLMTZX, HRWEB")
    assert check.value == 0.0 and "QLMTZ" in check.reason


def test_an_empty_or_garbage_answer_fails_with_a_reason() -> None:
    case = BY_NAME["ctx_needle"].cases(1, 1)[0]
    [check] = BY_NAME["ctx_needle"].check(case, answered(case, "  \n"))
    assert (check.value, check.reason) == (0.0, "empty answer")
    [check] = BY_NAME["ctx_needle"].check(case, answered(case, "I like turtles " * 20))
    assert check.value == 0.0 and "answer: 'I like turtles" in check.reason


# Figures


def test_grid_and_length_means() -> None:
    rows: list[tuple[Metadata, float]] = [
        ((("length", "256"), ("depth", "0.0")), 1.0),
        ({"length": "256", "depth": "0.0"}, 0.0),
        ((("length", "256"), ("depth", "1.0")), 1.0),
        ((("length", "512"), ("depth", "0.0")), 0.0),
        ((("language", "de"),), 1.0)]
    cells = grid(rows)
    assert cells == {(256, 0.0): 0.5, (256, 1.0): 1.0, (512, 0.0): 0.0}
    assert length_means(cells) == {256: 0.75, 512: 0.0}


def test_effective_length_is_where_the_mean_stays_above_the_threshold() -> None:
    assert effective_length({256: 1.0, 512: 0.9, 1024: 0.85, 2048: 0.5}) == 1024
    # A dip ends it: a later lucky length does not count.
    assert effective_length({256: 1.0, 512: 0.6, 1024: 0.9}) == 256
    assert effective_length({1024: 0.9, 256: 0.95, 512: 0.9}) == 1024
    assert effective_length({256: 0.8, 512: 0.9}) is None
    assert effective_length({256: 0.8}, threshold=0.75) == 256
    assert effective_length({}) is None


# A real model


@pytest.mark.slow
def test_a_real_answer_is_checked_with_a_reason(qwen_path: Path) -> None:
    trial = BY_NAME["ctx_needle"]
    case = trial.cases(1, 1)[0]
    provider = LlamaCppProvider(qwen_path, QWEN, n_ctx=512)
    try:
        request = replace(case, config=GenerationConfig(max_tokens=16)).request()
        completion = asyncio.run(provider.generate(request))
    finally:
        asyncio.run(provider.aclose())
    [check] = trial.check(case, answered(case, completion.text))
    assert check.metric == "pass" and check.value in (0.0, 1.0) and check.reason
