"""Function-calling trials: generated cases, each checker rule on hand-written answers, the
prompted format, tool results, and one real answer from the bundled Qwen2.5-Coder 0.5B."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bakeoff.cache import FetchError
from bakeoff.trials.base import Case, Transcript, Trial
from bakeoff.trials.tools import (
    CURRENCY,
    SEARCH,
    TRIALS,
    UNIT,
    WEATHER,
    Ask,
    ToolTrial,
)
from bakeoff.trials.tools_checker import RULES, Call, match_calls, read_prompted
from bakeoff.types import Abilities, Completion, Message, Timing, ToolCall, Usage

BY_NAME = {trial.info.name: trial for trial in TRIALS}
NATIVE, PROMPTED = Abilities(tools=True), Abilities(tools=False)


def trial(name: str) -> ToolTrial:
    found = BY_NAME[name]
    assert isinstance(found, ToolTrial)
    return found


def completion(text: str = "", calls: tuple[ToolCall, ...] = ()) -> Completion:
    return Completion(text, Usage(1, 1), Timing(0.0, 0.0), tool_calls=calls)


def said(*answers: Message, opening: tuple[Message, ...] = (Message("user", "hi"),),
         results: tuple[tuple[Message, ...], ...] = ()) -> Transcript:
    """A transcript: the opening, then each answer followed by the turns that replied to it."""
    messages = list(opening)
    for index, answer in enumerate(answers):
        messages.append(answer)
        if index < len(results):
            messages.extend(results[index])
    return Transcript(tuple(messages), tuple(completion(a.content) for a in answers))


def native(*calls: tuple[str, dict[str, Any]], text: str = "") -> Message:
    return Message("assistant", text, tool_calls=tuple(
        ToolCall(f"call_{i}", name, json.dumps(args)) for i, (name, args) in enumerate(calls)))


def prompted(*calls: tuple[str, dict[str, Any]]) -> Message:
    body = {"calls": [{"name": name, "arguments": args} for name, args in calls]}
    return Message("assistant", json.dumps(body))


def case_of(steps: list[list[dict[str, Any]]], answer: dict[str, Any] | None = None,
            results: dict[str, Any] | None = None, tools: bool = True) -> Case:
    truth = {"steps": steps, "results": results or {}, "answer": answer}
    return Case("t/0", (Message("user", "hi"),), json.dumps(truth, sort_keys=True),
                tools=(WEATHER.tool, CURRENCY.tool) if tools else (),
                max_turns=len(steps) + (answer is not None))


OSLO = WEATHER.expected(Ask("x", {"city": ["Oslo", "Oslo, Norway"], "unit": [None, "celsius"]}))
LIMA = WEATHER.expected(Ask("x", {"city": ["Lima"], "unit": ["fahrenheit"]}))
EUROS = CURRENCY.expected(Ask("x", {"amount": [250.0], "from_currency": ["USD"],
                                    "to_currency": ["EUR"]}))


def reason_of(case: Case, transcript: Transcript) -> tuple[float, str]:
    [check] = trial("tool_simple").check(case, transcript)
    return check.value, check.reason


# Cases


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_cases_are_deterministic_and_grow_by_appending(name: str) -> None:
    found = BY_NAME[name]
    assert found.cases(7, 6) == found.cases(7, 6)
    assert found.cases(7, 6)[:3] == found.cases(7, 3)
    assert found.cases(7, 6) != found.cases(8, 6)
    for index, case in enumerate(found.cases(7, 6)):
        assert case.id == f"{name}/{index}"
        assert case.expected == json.dumps(case.truth(), sort_keys=True)
        assert case.meta("category") == name.removeprefix("tool_")


def test_the_trials_describe_themselves() -> None:
    assert [t.info.name for t in TRIALS] == [
        "tool_simple", "tool_multiple", "tool_parallel", "tool_parallel_multiple",
        "tool_irrelevance", "tool_multi_turn"]
    for found in TRIALS:
        assert found.info.category == "Function calling"
        assert found.info.metrics == ("pass",)
        assert 2 <= found.info.quick_count <= 5 <= found.info.full_count
        assert all(case.config.max_tokens <= 256 for case in found.cases(1, 10))


def all_cases(seeds: range = range(4)) -> list[tuple[Trial, Case]]:
    return [(t, case) for t in TRIALS for seed in seeds for case in t.cases(seed, 20)]


def test_every_expected_call_follows_its_function_schema() -> None:
    """The first accepted value of every argument is valid for the function the case offers."""
    for _, case in all_cases():
        offered = {tool.name: tool.parameters for tool in case.tools}
        for step in case.truth()["steps"]:
            for call in step:
                arguments = {k: v[0] for k, v in call["arguments"].items() if v[0] is not None}
                Draft202012Validator(offered[call["name"]]).validate(arguments)
                required = offered[call["name"]]["required"]
                assert all(None not in call["arguments"][name] for name in required)


def test_the_category_shapes() -> None:
    for found, case in all_cases():
        steps = case.truth()["steps"]
        names = [call["name"] for call in steps[0]]
        offered = {tool.name for tool in case.tools}
        category = found.info.name
        if category == "tool_simple":
            assert len(names) == 1 and offered == set(names)
        elif category == "tool_multiple":
            assert len(names) == 1 and 3 <= len(offered) <= 5 and names[0] in offered
        elif category == "tool_parallel":
            assert 2 <= len(names) <= 3 and len(set(names)) == 1
            arguments = [json.dumps(c["arguments"], sort_keys=True) for c in steps[0]]
            assert len(set(arguments)) == len(arguments)
        elif category == "tool_parallel_multiple":
            assert 2 <= len(names) <= 4 and len(set(names)) == 2
        elif category == "tool_irrelevance":
            assert steps == [[]] and case.max_turns == 1
        else:
            assert case.max_turns == len(steps) + 1 and set(case.truth()["results"]) <= offered


# The library's computed truths, recomputed independently from the request text

METRES = {"kilometers": 1000, "miles": 1609.344, "meters": 1, "feet": 0.3048,
          "kilograms": 1, "pounds": 0.45359237, "liters": 1, "gallons": 3.785411784}


CLAUSE_FUNCTION = {"get the current weather": "get_weather", "convert": "convert_",
                   "put": "create_event", "search the web": "search_web",
                   "check the status": "get_order_status",
                   "get the latest stock price": "get_stock_price", "translate": "translate_text"}


def test_an_irrelevant_request_never_offers_its_function_or_a_search() -> None:
    conversion = re.compile(r"convert [\d.]+ (\w+)")
    for case in trial("tool_irrelevance").cases(3, 40):
        request = case.messages[0].content
        wanted = next(f for clause, f in CLAUSE_FUNCTION.items() if f" {clause} " in request)
        if wanted == "convert_":  # units or money: the unit words say which
            match = conversion.search(request)
            assert match is not None
            wanted = "convert_units" if match.group(1) in METRES else "convert_currency"
        offered = [tool.name for tool in case.tools]
        assert SEARCH.name not in offered and wanted not in offered, (request, offered)


def test_calendar_dates_and_times_match_the_request() -> None:
    pattern = re.compile(r'"([^"]+)" in my calendar on (\w+ \d+, \d{4}) at (\d+:\d\d [ap]m)')
    seen = 0
    for _, case in all_cases():
        for step in case.truth()["steps"]:
            for call in (c for c in step if c["name"] == "create_event"):
                stated = {(m.group(1), datetime.strptime(f"{m.group(2)} {m.group(3)}",
                                                          "%B %d, %Y %I:%M %p"))
                          for m in pattern.finditer(case.messages[0].content)}
                arguments = call["arguments"]
                assert (arguments["title"][0], datetime.strptime(
                    f"{arguments['date'][0]} {arguments['start_time'][0]}", "%Y-%m-%d %H:%M")
                        ) in stated
                seen += 1
    assert seen > 5


def test_unit_and_currency_results_are_recomputed() -> None:
    import random

    for seed in range(200):
        units = UNIT.ask(random.Random(seed))
        value, source, target = (units.arguments[k][0] for k in ("value", "from_unit",
                                                                  "to_unit"))
        assert f"convert {value:g} {source} to {target}" == units.clause
        [converted] = units.numbers
        assert converted == pytest.approx(value * METRES[source] / METRES[target], abs=5e-4)
        money = CURRENCY.ask(random.Random(seed))
        [paid] = money.numbers
        assert paid == pytest.approx(money.result["amount"] * money.result["rate"], abs=5e-3)
        assert money.arguments["from_currency"] != money.arguments["to_currency"]


def test_multi_turn_answers_come_from_the_results() -> None:
    for case in trial("tool_multi_turn").cases(5, 40):
        truth = case.truth()
        flat = json.dumps(truth["results"])
        assert truth["answer"]["numbers"] or truth["answer"]["words"]
        for number in truth["answer"]["numbers"]:
            assert json.dumps(number) in flat
        if case.max_turns == 3:  # the order's total is what the second call converts
            [[order], [exchange]] = truth["steps"]
            assert order["name"] == "get_order_status"
            total = truth["results"]["get_order_status"]["total"]
            assert exchange["arguments"]["amount"] == [total]


# A perfect answer passes every generated case, native and prompted


def ideal_call(call: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return call["name"], {k: v[0] for k, v in call["arguments"].items() if v[0] is not None}


def ideal_chat(found: Trial, case: Case, abilities: Abilities) -> Transcript:
    """The chat a perfect model has: each step's calls, the trial's replies, the answer."""
    opened = found.opening(case, abilities)
    messages = list(opened.messages)
    truth = opened.truth()
    for step in truth["steps"]:
        calls = [ideal_call(call) for call in step]
        messages.append(native(*calls) if abilities.tools else
                        prompted(*calls) if calls else Message("assistant", "NO_CALL"))
        messages.extend(found.reply(opened, Transcript(tuple(messages), ())))
    if truth["answer"] is not None:
        stated = [f"{n:g}" for n in truth["answer"]["numbers"]] + truth["answer"]["words"]
        messages.append(Message("assistant", "It is " + " and ".join(stated) + "."))
    return Transcript(tuple(messages), ())


@pytest.mark.parametrize("abilities", [NATIVE, PROMPTED], ids=["native", "prompted"])
def test_a_perfect_answer_passes_every_case(abilities: Abilities) -> None:
    for found, case in all_cases(range(2)):
        opened = found.opening(case, abilities)
        [check] = found.check(opened, ideal_chat(found, case, abilities))
        assert (check.value, check.reason) == (1.0, "passed"), case.id


# Each rule, on hand-written answers


def test_a_matching_call_passes_with_normalised_values_and_optional_arguments() -> None:
    case = case_of([[OSLO]])
    for arguments in ({"city": "Oslo"}, {"city": " oslo, NORWAY "},
                      {"city": "Oslo", "unit": "Celsius"}):
        assert reason_of(case, said(native(("get_weather", arguments)))) == (1.0, "passed")


def test_an_integer_is_a_number_but_not_the_reverse() -> None:
    case = case_of([[EUROS]])
    good = {"amount": 250, "from_currency": "usd", "to_currency": "EUR"}
    assert reason_of(case, said(native(("convert_currency", good))))[0] == 1.0
    close = {**good, "amount": 250.0000001}
    assert reason_of(case, said(native(("convert_currency", close))))[0] == 1.0
    hours = {"name": "set", "arguments": {"hours": [2]}, "types": {"hours": "integer"}}
    assert str(match_calls([hours], [Call("set", {"hours": 2.5})])).startswith("wrong_type")
    assert str(match_calls([hours], [Call("set", {"hours": True})])).startswith("wrong_type")


RULE_CASES = [
    ("wrong_function", [[OSLO]], native(("convert_currency", {"amount": 1})),
     "wrong_function: expected get_weather, found convert_currency"),
    ("missing_argument", [[EUROS]],
     native(("convert_currency", {"amount": 250, "to_currency": "EUR"})),
     "missing_argument: from_currency (of convert_currency)"),
    ("unexpected_argument", [[OSLO]], native(("get_weather", {"city": "Oslo", "days": 3})),
     "unexpected_argument: days (of get_weather)"),
    ("wrong_type", [[EUROS]],
     native(("convert_currency", {"amount": "250", "from_currency": "USD",
                                  "to_currency": "EUR"})),
     'wrong_type: amount should be number, found "250"'),
    ("wrong_value", [[OSLO]], native(("get_weather", {"city": "Bergen"})),
     'wrong_value: city expected "Oslo" or "Oslo, Norway", found "Bergen"'),
    ("wrong_count", [[OSLO, LIMA]], native(("get_weather", {"city": "Oslo"})),
     "wrong_count: expected 2 call(s) (get_weather, get_weather), found 1 (get_weather)"),
    ("unexpected_call", [[]], native(("get_weather", {"city": "Oslo"})),
     "unexpected_call: no function fits, yet it called get_weather"),
    ("no_call", [[OSLO]], Message("assistant", "It is probably sunny."),
     "no_call: expected get_weather, found no call"),
    ("unparseable", [[OSLO]], Message("assistant", "", tool_calls=(
        ToolCall("call_0", "get_weather", '{"city": Oslo'),)),
     "unparseable: the arguments of get_weather are not a JSON object"),
]


@pytest.mark.parametrize(("rule", "steps", "answer", "reason"), RULE_CASES,
                         ids=[c[0] for c in RULE_CASES])
def test_each_rule_names_itself_first(rule: str, steps: list[list[dict[str, Any]]],
                                      answer: Message, reason: str) -> None:
    assert reason_of(case_of(steps), said(answer)) == (0.0, reason)
    assert rule in RULES


def test_no_call_passes_only_when_nothing_fits() -> None:
    case = case_of([[]])
    assert reason_of(case, said(Message("assistant", "I cannot do that.")))[0] == 1.0
    assert reason_of(case_of([[]], tools=False), said(Message("assistant", "NO_CALL")))[0] == 1.0


def test_parallel_calls_match_in_any_order_and_name_the_closest_miss() -> None:
    case = case_of([[OSLO, LIMA]])
    lima, oslo = ("get_weather", {"city": "Lima", "unit": "fahrenheit"}), ("get_weather",
                                                                           {"city": "Oslo"})
    assert reason_of(case, said(native(lima, oslo))) == (1.0, "passed")
    wrong = ("get_weather", {"city": "Lima", "unit": "celsius"})
    assert reason_of(case, said(native(oslo, wrong))) == (
        0.0, 'wrong_value: unit expected "fahrenheit", found "celsius"')


# The prompted format


def test_a_model_without_tools_gets_them_in_the_system_prompt() -> None:
    found = trial("tool_multiple")
    [case] = found.cases(2, 1)
    assert found.mode_for(NATIVE) == "native tools" and found.opening(case, NATIVE) == case
    assert found.mode_for(PROMPTED) == "prompted tools"
    opened = found.opening(case, PROMPTED)
    assert opened.tools == () and opened.request().needs == ()
    system, user = opened.messages
    assert system.role == "system" and user == case.messages[0]
    for tool in case.tools:
        assert json.dumps(tool.parameters, sort_keys=True) in system.content
    assert '{"calls": [' in system.content and "NO_CALL" in system.content


def test_the_prompted_format_is_read_strictly() -> None:
    call = '{"calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}'
    assert read_prompted(call) == [Call("get_weather", {"city": "Oslo"}, "call_0")]
    assert read_prompted(f"```json\n{call}\n```") == read_prompted(call)
    assert read_prompted("NO_CALL") == [] and read_prompted("Sorry, no.") == []
    for bad, why in (
            ('Sure: {"calls": []}', "unparseable: the answer is not one JSON object"),
            ('{"name": "get_weather", "arguments": {}}',
             'unparseable: the answer is not a {"calls": [...]} object'),
            ('{"calls": [{"arguments": {}}]}', "unparseable: a call without a name")):
        assert str(read_prompted(bad)).startswith(why)
    case = case_of([[OSLO]], tools=False)
    assert reason_of(case, said(prompted(("get_weather", {"city": "Oslo"}))))[0] == 1.0
    assert reason_of(case, said(Message("assistant", "NO_CALL")))[1].startswith("no_call")


# Multi-turn: results go back, the answer must use them

RESULT = {"temperature": 7, "conditions": "light rain"}
NEEDLES = {"numbers": [7], "words": ["light rain"]}


def test_results_go_back_as_tool_turns_or_one_user_turn() -> None:
    found = trial("tool_multi_turn")
    case = case_of([[OSLO]], NEEDLES, {"get_weather": RESULT})
    [turn] = found.reply(case, said(native(("get_weather", {"city": "Oslo"}))))
    assert turn == Message("tool", json.dumps(RESULT, sort_keys=True), tool_call_id="call_0")
    [other] = found.reply(case, said(native(("convert_currency", {}))))
    assert json.loads(other.content) == {"error": "convert_currency is not available"}
    assert found.reply(case, said(Message("assistant", "Hello"))) == ()
    plain = case_of([[OSLO]], NEEDLES, {"get_weather": RESULT}, tools=False)
    [user] = found.reply(plain, said(prompted(("get_weather", {"city": "Oslo"}))))
    assert user.role == "user" and json.dumps(RESULT, sort_keys=True) in user.content
    assert found.reply(plain, said(Message("assistant", "{oops"))) == ()


def test_the_final_answer_must_state_the_result() -> None:
    case = case_of([[OSLO]], NEEDLES, {"get_weather": RESULT})
    call = native(("get_weather", {"city": "Oslo"}))
    tool = (Message("tool", json.dumps(RESULT), tool_call_id="call_0"),)
    good = Message("assistant", "In Oslo it is 7°C with Light Rain.")
    assert reason_of(case, said(call, good, results=(tool,))) == (1.0, "passed")
    for answer, reason in (
            (Message("assistant", "It is 9°C with light rain."),
             "result_not_used: the answer does not state 7"),
            (Message("assistant", "It is 7°C and sunny."),
             "result_not_used: the answer does not state 'light rain'"),
            (native(("get_weather", {"city": "Oslo"})),
             "result_not_used: called get_weather again instead of answering")):
        value, why = reason_of(case, said(call, answer, results=(tool,)))
        assert value == 0.0 and why.startswith(reason)
    assert reason_of(case, said(call)) == (0.0, "result_not_used: no answer after the tool "
                                                "result")


def test_a_two_step_chat_says_which_answer_went_wrong() -> None:
    case = case_of([[OSLO], [EUROS]], {"numbers": [231.5], "words": []},
                   {"get_weather": RESULT, "convert_currency": {"converted_amount": 231.5}})
    first = native(("get_weather", {"city": "Oslo"}))
    second = native(("convert_currency", {"amount": 25, "from_currency": "USD",
                                          "to_currency": "EUR"}))
    assert reason_of(case, said(first, second)) == (
        0.0, "wrong_value: (answer 2) amount expected 250.0, found 25")
    assert reason_of(case, said(first, Message("assistant", "Done."))) == (
        0.0, "no_call: (answer 2) expected convert_currency, found no call")


def test_garbage_is_a_fail_with_a_reason_never_an_exception() -> None:
    for found in TRIALS:
        for case in found.cases(0, 3):
            for abilities in (NATIVE, PROMPTED):
                opened = found.opening(case, abilities)
                for text in ("", "{{{", "```\n```", "null", '{"calls": 3}'):
                    transcript = said(Message("assistant", text), opening=opened.messages)
                    [check] = found.check(opened, transcript)
                    assert check.reason and check.reason.split(":")[0] in (*RULES, "passed")


# One real answer


@pytest.mark.slow
def test_a_real_model_answer_is_checked_with_a_reason() -> None:
    pytest.importorskip("llama_cpp")
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    try:
        path = ensure_model("qwen2.5-coder-0.5b-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    provider = LlamaCppProvider(path, "qwen2.5-coder-0.5b-instruct", n_ctx=1024)
    try:
        found = trial("tool_simple")
        assert provider.abilities.tools and found.mode_for(provider.abilities) == "native tools"
        opened = found.opening(found.cases(0, 1)[0], provider.abilities)
        answer = asyncio.run(provider.generate(opened.request()))
    finally:
        asyncio.run(provider.aclose())
    transcript = Transcript((*opened.messages, Message("assistant", answer.text,
                                                       tool_calls=answer.tool_calls)), (answer,))
    [check] = found.check(opened, transcript)
    assert check.metric == "pass" and check.reason
