"""Structured-output trials: generated schemas and facts, the three metrics on hand-written
answers, constrained and free modes, and one real answer from the bundled Qwen2.5-Coder 0.5B."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bakeoff.cache import FetchError
from bakeoff.trials.base import Case, Check, Transcript
from bakeoff.trials.structured import TEMPLATES, TRIALS, StructuredTrial, parse_answer
from bakeoff.types import Abilities, Completion, Message, Timing, Usage

CONSTRAINED, FREE = TRIALS
WITH, WITHOUT = Abilities(structured_output=True), Abilities()


def answered(case: Case, text: str) -> Transcript:
    reply = Completion(text, Usage(1, 1), Timing(0.0, 0.0))
    return Transcript((*case.messages, Message("assistant", text)), (reply,))


def checks(case: Case, value: Any) -> dict[str, tuple[float, str]]:
    text = value if isinstance(value, str) else json.dumps(value)
    return {c.metric: (c.value, c.reason) for c in FREE.check(case, answered(case, text))}


def case_named(name: str, seed: int = 0) -> Case:
    return next(c for c in FREE.cases(seed, len(TEMPLATES)) if c.meta("schema") == name)


def filled(schema: dict[str, Any]) -> Any:
    """A value that follows `schema`: the smallest one the generator's keywords allow."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {key: filled(sub) for key, sub in schema["properties"].items()
                if key in schema["required"]}
    if kind == "array":
        return [filled(schema["items"]) for _ in range(max(schema.get("minItems", 1), 1))]
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    fixed = {"email": "a@b.test", "date": "2026-01-02"}.get(schema.get("format", ""))
    return fixed or {"^[A-Z]{3}-[0-9]{4}$": "ABC-1234", "^ORD-[0-9]{5}$": "ORD-12345",
                     "^([01][0-9]|2[0-3]):[0-5][0-9]$": "09:30"}.get(schema.get("pattern", ""),
                                                                     "x")


def perfect(case: Case) -> dict[str, Any]:
    truth = case.truth()
    value: dict[str, Any] = filled(truth["schema"])
    return {**value, **(truth["facts"] or {})}


# Cases


@pytest.mark.parametrize("trial", TRIALS, ids=lambda t: t.info.name)
def test_cases_are_deterministic_and_grow_by_appending(trial: StructuredTrial) -> None:
    assert trial.cases(3, 10) == trial.cases(3, 10)
    assert trial.cases(3, 10)[:4] == trial.cases(3, 4)
    assert trial.cases(3, 10) != trial.cases(4, 10)
    for index, case in enumerate(trial.cases(3, 10)):
        assert case.id == f"{trial.info.name}/{index}"
        assert case.expected == json.dumps(case.truth(), sort_keys=True)
        assert case.config.max_tokens <= 256


def test_both_trials_ask_the_same_and_only_one_constrains() -> None:
    for constrained, free in zip(CONSTRAINED.cases(5, 16), FREE.cases(5, 16), strict=True):
        assert constrained.messages == free.messages and constrained.expected == free.expected
        assert free.response_format is None and constrained.response_format is not None
        assert constrained.response_format.schema == constrained.truth()["schema"]
    assert [t.info.metrics for t in TRIALS] == [("schema", "valid_json", "content")] * 2
    assert {t.info.category for t in TRIALS} == {"Structured output"}


def test_the_mode_is_labelled_and_a_model_without_the_ability_gets_no_format() -> None:
    [case] = CONSTRAINED.cases(0, 1)
    assert CONSTRAINED.mode_for(WITH) == "constrained"
    assert CONSTRAINED.opening(case, WITH) == case
    assert CONSTRAINED.mode_for(WITHOUT) == "free"
    assert CONSTRAINED.opening(case, WITHOUT).request().needs == ()
    assert FREE.mode_for(WITH) == FREE.mode_for(WITHOUT) == "free"
    assert FREE.opening(case, WITH).response_format is None


def test_the_templates_go_from_flat_to_nested_with_and_without_facts() -> None:
    cases = FREE.cases(0, len(TEMPLATES))
    assert len({c.meta("schema") for c in cases}) == len(TEMPLATES)
    assert {c.meta("shape") for c in cases} == {"flat", "nested"}
    assert {c.meta("facts") for c in cases} == {"yes", "no"}
    keywords = json.dumps([c.truth()["schema"] for c in cases])
    for word in ("enum", "pattern", "minItems", "maxItems", '"date"', '"email"'):
        assert word in keywords


def test_every_schema_is_valid_and_the_prompt_states_it() -> None:
    for case in FREE.cases(1, 16):
        schema = case.truth()["schema"]
        Draft202012Validator.check_schema(schema)
        assert json.dumps(schema, sort_keys=True) in case.messages[0].content
        assert "no code fence" in case.messages[0].content


def test_every_schema_turns_into_a_llama_cpp_grammar() -> None:
    pytest.importorskip("llama_cpp")
    from bakeoff.providers.llama_cpp.tools import output_grammar

    for case in CONSTRAINED.cases(0, len(TEMPLATES)):
        assert output_grammar(case.request(), tagged_calls=False)


# The facts, recomputed from the text


def text_of(case: Case) -> str:
    match = re.search(r"Text: (.*?)\n\n", case.messages[0].content, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_facts_are_what_the_text_says() -> None:
    for case in FREE.cases(2, 48):
        facts, schema = case.truth()["facts"], case.truth()["schema"]
        if facts is None:
            continue
        assert set(facts) <= set(schema["properties"])
        if case.meta("schema") in ("recipe", "town"):
            stated = next(str(v) for v in facts.values())
            assert stated in case.messages[0].content
            continue
        text = text_of(case)
        for key, value in facts.items():
            if isinstance(value, str) and key not in ("date", "start_time"):  # reformatted
                assert value in text
            elif isinstance(value, int | float) and not isinstance(value, bool) and value:
                assert f"{value:g}" in text
        if "date" in facts:
            written = re.search(r"on (\d+ \w+ \d{4})", text)
            assert written is not None
            assert datetime.strptime(written.group(1), "%d %B %Y").strftime(
                "%Y-%m-%d") == facts["date"]
        if "items" in facts:
            listed = [{"product": p, "quantity": int(q)}
                      for q, p in re.findall(r"(\d) x ([\w -]+?)(?:,|\.)", text)]
            assert listed == facts["items"]
        if "attendees" in facts:
            assert re.findall(r"[\w.]+@[\w.]+\w", text) == facts["attendees"]
        if "start_time" in facts:
            clock = re.search(r"at (\d+):(\d\d)", text)
            assert clock is not None
            assert f"{int(clock.group(1)):02d}:{clock.group(2)}" == facts["start_time"]
        assert Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER
                                    ).is_valid(perfect(case))


# The three metrics on hand-written answers


def test_a_perfect_answer_passes_all_three_metrics() -> None:
    for case in FREE.cases(0, 16):
        found = checks(case, perfect(case))
        assert [v for v, _ in found.values()] == [1.0, 1.0, 1.0], found
        assert list(found) == ["schema", "valid_json", "content"]


def test_facts_compare_normalised_and_lists_order_free() -> None:
    order = case_named("order")
    answer = perfect(order)
    answer["items"] = list(reversed(answer["items"]))
    answer["customer"]["name"] = answer["customer"]["name"].upper() + "."
    assert checks(order, answer)["content"][0] == 1.0


def test_an_answer_that_is_not_json_fails_every_metric_with_why() -> None:
    case = case_named("contact")
    good = json.dumps(perfect(case))
    for text, why in (("", "the answer is empty"),
                      (f"```json\n{good}\n```", "the answer is in a code fence"),
                      (f"Here it is: {good}", "not JSON: Expecting value"),
                      (f"{good} Hope this helps", "not JSON: Extra data"),
                      ('{"age": NaN}', "not JSON: NaN is not JSON")):
        found = checks(case, text)
        assert [v for v, _ in found.values()] == [0.0, 0.0, 0.0]
        assert found["valid_json"][1].startswith(f"valid_json: {why}")
        assert found["schema"][1].startswith("schema: not checked")


SCHEMA_BREAKS = [
    ("contact", lambda a: a.pop("age"), "$: 'age' is a required property"),
    ("contact", lambda a: a.update(age="57"), "$.age: '57' is not of type 'integer'"),
    ("contact", lambda a: a.update(nick="M"), "$: Additional properties are not allowed"),
    ("contact", lambda a: a.update(email="marta at mail"), "$.email: 'marta at mail' is not a "
                                                          "'email'"),
    ("event", lambda a: a.update(date="5 November 2026"), "$.date: '5 November 2026' is not a "
                                                          "'date'"),
    ("product", lambda a: a.update(category="tools"), "$.category: 'tools' is not one of"),
    ("product", lambda a: a.update(sku="abc-12"), "$.sku: 'abc-12' does not match"),
    ("product", lambda a: a.update(tags=["a", "b", "c", "d"]), "$.tags: ['a', 'b', 'c', 'd'] "
                                                               "is too long"),
    ("order", lambda a: a["items"][0].update(quantity=0), "$.items[0].quantity: 0 is less than "
                                                          "the minimum of 1"),
]


@pytest.mark.parametrize(("name", "change", "reason"), SCHEMA_BREAKS,
                         ids=[f"{n}-{r.split(':')[0]}-{i}" for i, (n, _, r)
                              in enumerate(SCHEMA_BREAKS)])
def test_a_schema_violation_names_where_and_what(name: str, change: Callable[[Any], Any],
                                                 reason: str) -> None:
    case = case_named(name)
    answer = perfect(case)
    change(answer)
    found = checks(case, answer)
    assert found["valid_json"] == (1.0, "valid_json: parses")
    assert found["schema"][0] == 0.0 and found["schema"][1].startswith(f"schema: {reason}")


def test_wrong_facts_fail_content_only() -> None:
    case = case_named("order")
    changes: list[tuple[Callable[[Any], Any], str]] = [
            (lambda a: a.update(express=not a["express"]), "content: $.express expected"),
            (lambda a: a["items"].pop(), "content: $.items should list"),
            (lambda a: a["items"][0].update(quantity=a["items"][0]["quantity"] + 1),
             "content: $.items lacks"),
            (lambda a: a["customer"].update(email="x@y.test"),
             "content: $.customer.email expected")]
    for change, reason in changes:
        answer = perfect(case)
        change(answer)
        found = checks(case, answer)
        assert found["schema"][0] == 1.0
        assert found["content"][0] == 0.0 and found["content"][1].startswith(reason)
    missing = perfect(case)
    missing.pop("express")
    assert checks(case, missing)["content"][1] == "content: $.express is missing"


def test_content_repeats_the_schema_where_there_are_no_facts() -> None:
    case = case_named("reading_list")
    assert case.truth()["facts"] is None
    good, bad = perfect(case), perfect(case)
    bad["books"] = bad["books"] * 4
    assert checks(case, good)["content"] == (
        1.0, "content: no facts to check, so the schema result")
    assert checks(case, bad)["content"][0] == checks(case, bad)["schema"][0] == 0.0


def test_a_cut_off_answer_says_so() -> None:
    case = case_named("contact")
    cut = Completion('{"name": "Ma', Usage(1, 1), Timing(0.0, 0.0), finish_reason="length")
    transcript = Transcript((*case.messages, Message("assistant", cut.text)), (cut,))
    reason = FREE.check(case, transcript)[1].reason
    assert reason.startswith("valid_json: not JSON") and reason.endswith(
        "(the answer was cut off at max_tokens)")


def test_parse_answer_takes_surrounding_whitespace_only() -> None:
    assert parse_answer('\n  {"a": [1, 2]}\n') == ({"a": [1, 2]}, "")
    assert parse_answer("[1, 2]") == ([1, 2], "")
    assert parse_answer("Infinity")[0] is None


# One real answer


@pytest.mark.slow
def test_a_real_model_answer_is_checked_with_reasons() -> None:
    pytest.importorskip("llama_cpp")
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    try:
        path = ensure_model("qwen2.5-coder-0.5b-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    provider = LlamaCppProvider(path, "qwen2.5-coder-0.5b-instruct", n_ctx=1024)
    try:
        assert CONSTRAINED.mode_for(provider.abilities) == "constrained"
        opened = CONSTRAINED.opening(CONSTRAINED.cases(0, 1)[0], provider.abilities)
        answer = asyncio.run(provider.generate(opened.request()))
    finally:
        asyncio.run(provider.aclose())
    found: list[Check] = CONSTRAINED.check(opened, answered(opened, answer.text))
    assert [c.metric for c in found] == ["schema", "valid_json", "content"]
    assert all(c.reason for c in found)
