"""Custom trials from a user's YAML or JSON Lines file: parsing, variables, every assertion kind
on hand-written good and bad answers, the multi-turn chat (user turns, canned tool results),
located errors through the CLI, determinism, and one run on the bundled Qwen2.5-Coder 0.5B."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bakeoff import api
from bakeoff.cache import FetchError
from bakeoff.engine.chat import run_chat
from bakeoff.store import Store
from bakeoff.trials.base import Case, Transcript
from bakeoff.trials.custom import TOOL_ROUNDS, CustomTrial, TrialFileError
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    Message,
    Request,
    Timing,
    Tool,
    ToolCall,
    Usage,
)
from tests.helpers.cli import bakeoff, one_error_line

WEATHER: dict[str, Any] = {"type": "function",
                           "function": {
                               "name": "get_weather", "description": "Weather in a city",
                               "parameters": {"type": "object",
                                              "properties": {"city": {"type": "string"},
                                                             "unit": {"type": "string"}},
                                              "required": ["city"]}}}

YAML = """\
# Two cases: a support answer over two turns, and a tool call.
- id: window
  system: You are Acme's support agent. Refunds are possible within 30 days.
  prompt: A customer bought a kettle 10 days ago. May they get a refund?
  turns:
    - Why?
    - Thank you.
  max_output_tokens: 64
  assert:
    - contains: "yes"
      ignore_case: true
    - not_contains: sorry
- prompt: What is the weather in Oslo?
  tools:
    - type: function
      function:
        name: get_weather
        description: Weather in a city
        parameters:
          type: object
          properties:
            city: {type: string}
            unit: {type: string}
          required: [city]
  tool_results:
    get_weather: {temperature: 21, sky: clear}
  assert:
    - tool_call: {name: get_weather, arguments: {city: Oslo}}
    - regex: "21"
"""

JSONL_CASES: list[dict[str, Any]] = [
    {"id": "window",
     "system": "You are Acme's support agent. Refunds are possible within 30 days.",
     "prompt": "A customer bought a kettle 10 days ago. May they get a refund?",
     "turns": ["Why?", "Thank you."], "max_output_tokens": 64,
     "assert": [{"contains": "yes", "ignore_case": True}, {"not_contains": "sorry"}]},
    {"prompt": "What is the weather in Oslo?", "tools": [WEATHER],
     "tool_results": {"get_weather": {"temperature": 21, "sky": "clear"}},
     "assert": [{"tool_call": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
                {"regex": "21"}]},
]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(cases: Sequence[object]) -> str:
    return "".join(json.dumps(case) + "\n" for case in cases)


SOME_USAGE = Usage(10, 5)


def completion(text: str = "", calls: tuple[ToolCall, ...] = (), usage: Usage = SOME_USAGE,
               seconds: float = 0.5) -> Completion:
    return Completion(text, usage, Timing(100.0, 100.0 + seconds), "stop", tool_calls=calls)


def transcript(*answers: Completion, opening: Sequence[Message] = (Message("user", "hi"),)
               ) -> Transcript:
    messages = [*opening]
    for answer in answers:
        messages.append(Message("assistant", answer.text, tool_calls=answer.tool_calls))
    return Transcript(tuple(messages), answers)


def call(name: str, arguments: dict[str, Any], number: int = 0) -> ToolCall:
    return ToolCall(f"call_{number}", name, json.dumps(arguments))


# Parsing


def test_a_yaml_file_gives_its_cases(tmp_path: Path) -> None:
    trial = CustomTrial("support", write(tmp_path, "t.yaml", YAML), category="Support")
    window, weather = trial.cases(seed=1, count=10)

    assert (window.id, weather.id) == ("support/window", "support/2")
    assert [m.role for m in window.messages] == ["system", "user"]
    assert window.messages[1].content.startswith("A customer bought a kettle")
    assert window.max_turns == 3 and window.tools == () and window.config.max_tokens == 64
    assert window.config.temperature == 0.0
    assert window.truth() == {"assert": [{"contains": "yes", "ignore_case": True},
                                         {"not_contains": "sorry"}],
                              "turns": ["Why?", "Thank you."], "tool_results": {}}
    assert window.meta("line") == "2" and weather.meta("line") == "13"

    assert weather.tools == (Tool.function("get_weather", "Weather in a city",
                                           WEATHER["function"]["parameters"]),)
    assert weather.max_turns == 1 + TOOL_ROUNDS and weather.config.max_tokens == 512
    assert weather.truth()["tool_results"] == {
        "get_weather": '{"sky":"clear","temperature":21}'}

    info = trial.info
    assert (info.name, info.category, info.full_count) == ("support", "Support", 2)
    assert info.checker == "assertions in code: contains, not_contains, regex, tool_call"
    assert trial.mode_for(Abilities()) == "native tools"


def test_a_jsonl_file_gives_the_same_cases_as_the_yaml_one(tmp_path: Path) -> None:
    from_yaml = CustomTrial("support", write(tmp_path, "t.yaml", YAML)).cases(1, 10)
    from_jsonl = CustomTrial("support", write(tmp_path, "t.jsonl", jsonl(JSONL_CASES)))
    assert from_jsonl.cases(1, 10) == [
        Case(c.id, c.messages, c.expected, c.tools, c.tool_choice, c.response_format, c.config,
             (("line", str(line)),), c.max_turns)
        for c, line in zip(from_yaml, (1, 2), strict=True)]


def test_the_yaml_file_may_hold_a_cases_key(tmp_path: Path) -> None:
    text = "cases:\n  - prompt: Hi\n    assert:\n      - contains: hello\n"
    [case] = CustomTrial("t", write(tmp_path, "t.yml", text)).cases(1, 5)
    assert case.id == "t/1" and case.messages == (Message("user", "Hi"),)
    assert case.max_turns == 1


def test_variables_make_one_case_per_set_of_values(tmp_path: Path) -> None:
    text = """\
- id: refund
  system: Refunds within {limit} days.
  prompt: "Bought {item} {days} days ago. Refund? Answer yes or no."
  variables:
    - {item: a kettle, days: 10, verdict: "yes", limit: 30}
    - {item: a toaster, days: 45, verdict: "no", limit: 30}
    - {item: a lamp, days: 2.5, verdict: "yes", limit: 30}
  turns: ["Are you sure about {item}?"]
  assert:
    - equals: "{verdict}"
      ignore_case: true
    - regex: "^(yes|no)$"
    - python: |
        def check(answer):
            return {len(answer)} is not None
"""
    trial = CustomTrial("r", write(tmp_path, "t.yaml", text))
    cases = trial.cases(1, 10)
    assert [c.id for c in cases] == ["r/refund/1", "r/refund/2", "r/refund/3"]
    assert [c.messages[1].content for c in cases] == [
        "Bought a kettle 10 days ago. Refund? Answer yes or no.",
        "Bought a toaster 45 days ago. Refund? Answer yes or no.",
        "Bought a lamp 2.5 days ago. Refund? Answer yes or no."]
    assert {c.messages[0].content for c in cases} == {"Refunds within 30 days."}
    assert [c.truth()["turns"] for c in cases][1] == ["Are you sure about a toaster?"]
    assert [c.truth()["assert"][0]["equals"] for c in cases] == ["yes", "no", "yes"]
    # A regex's {n} and python's braces are left as written.
    assert cases[0].truth()["assert"][1]["regex"] == "^(yes|no)$"
    assert "{len(answer)}" in cases[0].truth()["assert"][2]["python"]


def test_the_same_file_gives_the_same_cases(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", YAML)
    first, again = CustomTrial("s", path), CustomTrial("s", path)
    assert first.cases(1, 10) == again.cases(1, 10)
    assert first.cases(1, 10) == first.cases(99, 10)  # written cases: the seed plays no part
    assert first.cases(1, 1) == first.cases(1, 10)[:1]
    assert [c.as_sample() for c in first.cases(1, 10)] == [
        c.as_sample() for c in again.cases(7, 10)]


# Assertions, each on a good and a bad answer


def one_case(tmp_path: Path, assertion: dict[str, Any], **case: Any) -> tuple[CustomTrial, Case]:
    row = {"prompt": "Go.", "assert": [assertion], **case}
    trial = CustomTrial("c", write(tmp_path, "c.jsonl", jsonl([row])))
    [found] = trial.cases(1, 1)
    return trial, found


def reason(tmp_path: Path, assertion: dict[str, Any], said: Transcript, **case: Any) -> str:
    trial, found = one_case(tmp_path, assertion, **case)
    [check] = trial.check(found, said)
    assert check.metric == "pass" and check.value in (0.0, 1.0)
    assert (check.value == 1.0) == (check.reason == "passed (1 assertion)"), check
    return check.reason


def text(answer: str) -> Transcript:
    return transcript(completion(answer))


PERSON = {"type": "object", "required": ["name"],
          "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                         "email": {"type": "string", "format": "email"}}}
COUNTS_SENTENCES = "def check(answer: str) -> bool:\n    return answer.count('.') == 2\n"

KIND_CASES: list[tuple[dict[str, Any], Transcript, Transcript, str]] = [
    ({"equals": "Paris"}, text("  Paris\n"), text("paris"), "equals 'Paris': got 'paris'"),
    ({"equals": "Paris", "ignore_case": True}, text("PARIS"), text("Paris, France"),
     "equals 'Paris': got 'Paris, France'"),
    ({"contains": "refund"}, text("You may get a refund."), text("You may get a Refund."),
     "contains 'refund': not found"),
    ({"contains": "refund", "ignore_case": True}, text("A REFUND is due."), text("No."),
     "contains 'refund': not found"),
    ({"not_contains": "sorry"}, text("Sure, here it is."), text("I'm sorry, I can't."),
     "not_contains 'sorry': found"),
    ({"regex": "^[0-9]{3}-[0-9]{4}$"}, text("555-1234"), text("call 555-1234"),
     "regex '^[0-9]{3}-[0-9]{4}$': no match"),
    ({"regex": "^order [a-z]+$", "ignore_case": True}, text("Order ABC"), text("Order 12"),
     "regex '^order [a-z]+$': no match"),
    ({"json_schema": PERSON}, text('```json\n{"name": "Ada", "age": 36}\n```'),
     text('{"name": "Ada", "age": "36"}'), "json_schema: $.age: '36' is not of type 'integer'"),
    ({"json_schema": PERSON}, text('{"name": "Ada", "email": "ada@example.com"}'),
     text("Here is the JSON: {name: Ada}"),
     "json_schema: not valid JSON (Expecting value at line 1 column 1)"),
    ({"json_schema": PERSON}, text('{"name": "Ada"}'), text('{"name": "Ada", "email": "x"}'),
     "json_schema: $.email: 'x' is not a 'email'"),
    ({"tool_call": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
     transcript(completion(calls=(call("get_weather", {"city": "Oslo", "unit": "C"}),))),
     transcript(completion(calls=(call("get_weather", {"city": "Paris"}),))),
     "tool_call 'get_weather': argument 'city' is \"Paris\", expected \"Oslo\""),
    ({"tool_call": "get_weather"},
     transcript(completion(calls=(call("get_weather", {}),)), completion("It is sunny.")),
     text("It is probably sunny."), "tool_call 'get_weather': no call"),
    ({"tool_call": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
     transcript(completion(calls=(call("get_weather", {"city": "Rome"}, 0),
                                  call("get_weather", {"city": "Oslo"}, 1)))),
     transcript(completion(calls=(call("get_weather", {"unit": "C"}),))),
     "tool_call 'get_weather': missing argument 'city'"),
    ({"python": COUNTS_SENTENCES}, text("One. Two."), text("One."),
     "python: check returned False"),
    ({"python": "def check(answer):\n    return 1 / len(answer) > 0\n"}, text("x"), text(""),
     "python: ZeroDivisionError: division by zero"),
    ({"max_cost_usd": 0.001, "price_input_per_mtok": 1.0, "price_output_per_mtok": 2},
     transcript(completion(usage=Usage(100, 100))),
     transcript(completion(usage=Usage(600, 200)), completion(usage=Usage(400, 800))),
     "max_cost_usd 0.001: cost $0.003 (1000 input, 1000 output tokens)"),
    ({"max_latency_s": 2}, transcript(completion(seconds=1.5)),
     transcript(completion(seconds=1.5), completion(seconds=1.75)),
     "max_latency_s 2: took 3.25 s"),
    ({"max_tokens": 50}, transcript(completion(usage=Usage(900, 50))),
     transcript(completion(usage=Usage(9, 30)), completion(usage=Usage(9, 30))),
     "max_tokens 50: 60 output tokens"),
]


@pytest.mark.parametrize(("assertion", "good", "bad", "why"), KIND_CASES,
                         ids=[f"{next(iter(a))}-{i}" for i, (a, *_) in enumerate(KIND_CASES)])
def test_each_assertion_passes_a_good_answer_and_names_why_a_bad_one_fails(
        tmp_path: Path, assertion: dict[str, Any], good: Transcript, bad: Transcript,
        why: str) -> None:
    tools = [WEATHER] if "tool_call" in assertion else []
    assert reason(tmp_path, assertion, good, tools=tools) == "passed (1 assertion)"
    assert reason(tmp_path, assertion, bad, tools=tools) == why


def test_a_python_check_that_hangs_fails_with_a_timeout(tmp_path: Path) -> None:
    code = "def check(answer):\n    while True:\n        pass\n"
    assert reason(tmp_path, {"python": code}, text("x")) == "python: timed out after 10 s"


def test_the_reason_names_the_first_failed_assertion(tmp_path: Path) -> None:
    row = {"prompt": "Go.", "assert": [{"contains": "refund"}, {"regex": "^No"},
                                       {"not_contains": "sorry"}, {"max_tokens": 3}]}
    trial = CustomTrial("c", write(tmp_path, "c.jsonl", jsonl([row])))
    [case] = trial.cases(1, 1)
    checks = {answer: trial.check(case, text(answer))[0]
              for answer in ("No refund, sorry.", "A refund, sorry.", "No refund.")}
    assert checks["No refund, sorry."].reason == "not_contains 'sorry': found"
    assert checks["A refund, sorry."].reason == "regex '^No': no match"
    assert checks["No refund."].reason == "max_tokens 3: 5 output tokens"
    ok = trial.check(case, transcript(completion("No refund.", usage=Usage(4, 3))))
    assert [(c.value, c.reason) for c in ok] == [(1.0, "passed (4 assertions)")]


# The chat: user turns and canned tool results


def test_reply_sends_tool_results_then_each_user_turn_then_nothing(tmp_path: Path) -> None:
    trial, case = one_case(tmp_path, {"tool_call": "get_weather"},
                           turns=["And tomorrow?", "Thanks."], tools=[WEATHER],
                           tool_results={"get_weather": {"temperature": 21}})
    opening = case.messages
    asked = completion(calls=(call("get_weather", {"city": "Oslo"}, 0),
                              call("get_forecast", {"city": "Oslo"}, 1)))
    results = trial.reply(case, transcript(asked, opening=opening))
    assert results == (Message("tool", '{"temperature":21}', tool_call_id="call_0"),
                       Message("tool", '{"error":"no result for function \'get_forecast\'"}',
                               tool_call_id="call_1"))

    answered = transcript(asked, completion("It is 21 degrees."), opening=opening)
    said = list(answered.messages)
    said[2:2] = results
    chat = Transcript(tuple(said), answered.completions)
    assert trial.reply(case, chat) == (Message("user", "And tomorrow?"),)
    later = Transcript((*chat.messages, Message("user", "And tomorrow?"),
                        Message("assistant", "Also 21.")), chat.completions)
    assert trial.reply(case, later) == (Message("user", "Thanks."),)
    done = Transcript((*later.messages, Message("user", "Thanks."),
                       Message("assistant", "You're welcome.")), later.completions)
    assert trial.reply(case, done) == ()


def test_a_multi_turn_case_runs_through_the_engine_chat(tmp_path: Path) -> None:
    """The engine's chat loop with a scripted model: tool call, result, answer, follow-up."""
    trial = CustomTrial("s", write(tmp_path, "t.yaml", YAML))
    _, weather = trial.cases(1, 2)
    sent: list[Request] = []

    async def complete(requests: Sequence[Request]) -> tuple[list[Completion], list[str]]:
        [request] = requests
        assert isinstance(request, GenerationRequest)
        sent.append(request)
        last = request.messages[-1]
        if last.role == "user":
            answer = completion(calls=(call("get_weather", {"city": "Oslo"}),))
        else:
            answer = completion(f"It is {json.loads(last.content)['temperature']} degrees.")
        return [answer], [f"key{len(sent)}"]

    result = asyncio.run(run_chat(trial, weather, Abilities(tools=True), complete))
    assert [m.role for m in result.transcript.messages] == ["user", "assistant", "tool",
                                                            "assistant"]
    assert result.keys == ["key1", "key2"]
    assert [(c.value, c.reason) for c in result.checks] == [(1.0, "passed (2 assertions)")]


# Located errors, one line each, exit code 2


CONFIG = """\
[trials.support]
path = "trials/{name}"

[suites.mine]
benchmarks = ["support"]
"""

BAD_FILES: list[tuple[str, str, str]] = [
    ("t.yaml", "- prompt: Hi\n  assert: [contains: x\n",
     "trials/t.yaml:3: not valid YAML (expected ',' or ']', but got '<stream end>')"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - contain: refund\n",
     "trials/t.yaml:3: case 1: assert[1]: unknown assertion 'contain' (known: equals, "
     "contains, not_contains, regex, json_schema, tool_call, python, max_cost_usd, "
     "max_latency_s, max_tokens)"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - contains: x\n- id: two\n  promt: Hi\n"
               "  assert: [{contains: x}]\n",
     "trials/t.yaml:5: case 2 ('two'): promt: unknown key (known: id, system, prompt, "
     "variables, turns, tools, tool_results, max_output_tokens, assert)"),
    ("t.yaml", "- system: Be brief.\n  assert:\n    - contains: x\n",
     "trials/t.yaml:1: case 1: prompt: missing"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - contains: x\n    - regex: '([a-z]'\n",
     "trials/t.yaml:4: case 1: assert[2].regex: not a valid regular expression "
     "(missing ), unterminated subpattern at position 0)"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - contains: yes\n",
     "trials/t.yaml:3: case 1: assert[1].contains: must be a text "
     "(in YAML, quote it: \"yes\", \"42\")"),
    ("t.yaml", "- prompt: Hi {name}, you are {age}\n  variables:\n    - {name: Ada, age: 36}\n"
               "    - {name: Bob}\n  assert: [{contains: x}]\n",
     "trials/t.yaml:1: case 1: prompt: {age} has no value in variables[2]"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - tool_call: get_weather\n",
     "trials/t.yaml:3: case 1: assert[1].tool_call: no tool named 'get_weather' "
     "(the case has no tools)"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - max_cost_usd: 0.01\n",
     "trials/t.yaml:3: case 1: assert[1].price_input_per_mtok: needed by max_cost_usd (USD "
     "per 1M tokens): a trial does not know the model's price"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - python: 'def check(answer) return True'\n",
     "trials/t.yaml:3: case 1: assert[1].python: not valid Python (line 1: expected ':')"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - python: 'def test(answer): return True'\n",
     "trials/t.yaml:3: case 1: assert[1].python: must define check(answer: str) -> bool"),
    ("t.yaml", "- prompt: Hi\n  assert:\n    - json_schema: {type: objekt}\n",
     "trials/t.yaml:3: case 1: assert[1].json_schema: not a valid JSON Schema ("),
    ("t.yaml", "- id: a\n  prompt: Hi\n  assert: [{equals: x}]\n- id: a\n  prompt: Ho\n"
               "  assert: [{equals: y}]\n",
     "trials/t.yaml:4: case 2 ('a'): id: case id 'a' is also the id of a case on line 1"),
    ("t.yaml", "- prompt: Hi\n  assert: []\n",
     "trials/t.yaml:2: case 1: assert: needs at least one assertion"),
    ("t.yaml", "", "trials/t.yaml: no cases"),
    ("t.yaml", "prompt: Hi\n",
     "trials/t.yaml:1: expected a list of cases, or only the key 'cases' (found: prompt)"),
    ("t.jsonl", '{"prompt": "Hi", "assert": [{"contains": "x"}]}\n{"prompt": "Ho", \n',
     "trials/t.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes)"),
    ("t.jsonl", '{"prompt": "Hi", "assert": [{"contains": "x"}]}\n\n{"prompt": "Ho"}\n',
     "trials/t.jsonl:3: case 2: assert: missing"),
    ("t.jsonl", json.dumps({"prompt": "Hi", "tools": [WEATHER],
                            "tool_results": {"get_wether": 1},
                            "assert": [{"tool_call": "get_weather"}]}) + "\n",
     "trials/t.jsonl:1: case 1: tool_results.get_wether: no tool of this name in 'tools'"),
    ("t.jsonl", json.dumps({"prompt": "Hi", "assert": [{"max_tokens": 1.5}]}) + "\n",
     "trials/t.jsonl:1: case 1: assert[1].max_tokens: must be a whole number of at least 0"),
    ("t.jsonl", json.dumps({"prompt": "Hi", "assert": [{"contains": "a", "regex": "b"}]})
     + "\n", "trials/t.jsonl:1: case 1: assert[1]: needs exactly one kind (known: "),
    ("t.jsonl", json.dumps({"prompt": "Hi", "assert": [{"contains": "a", "case": True}]})
     + "\n", "trials/t.jsonl:1: case 1: assert[1].case: not an option of contains "
     "(known: ignore_case)"),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_FILES,
                         ids=[f"{i}-{n}" for i, (n, *_) in enumerate(BAD_FILES)])
def test_a_bad_trial_file_is_one_located_line(tmp_path: Path, name: str, content: str,
                                              expected: str) -> None:
    write(tmp_path, f"trials/{name}", content)
    write(tmp_path, "bakeoff.toml", CONFIG.format(name=name))
    result = bakeoff("run", "-m", "smollm2-135m-instruct", "-s", "mine", cwd=tmp_path)
    assert one_error_line(result).startswith(f"bakeoff: error: {expected}")
    assert one_error_line(bakeoff("tasks", cwd=tmp_path)).startswith(f"bakeoff: error: "
                                                                     f"{expected}")


BAD_CONFIGS: list[tuple[str, str]] = [
    (CONFIG.format(name="t.txt"),
     "bakeoff.toml: trials.support.path: a trial file ends in .yaml, .yml or .jsonl"),
    (CONFIG.format(name="missing.yaml"),
     "bakeoff.toml: trials.support.path: no such file trials/missing.yaml"),
    (CONFIG.format(name="t.yaml").replace("trials.support", "trials.mmlu").replace(
        '"support"', '"mmlu"'), "bakeoff.toml: trials.mmlu: the name of a built-in benchmark "
                                "or trial"),
    (CONFIG.format(name="t.yaml") + '[benchmarks.support]\nkind = "generative"\n'
                                    'path = "t.jsonl"\n',
     "bakeoff.toml: trials.support: also the name of a custom benchmark ([benchmarks.support])"),
    (CONFIG.format(name="t.yaml").replace('["support"]', '["suport"]'),
     "bakeoff.toml: suites.mine.benchmarks: unknown benchmark 'suport' (did you mean "
     "'support'? known: "),
    (CONFIG.format(name="t.yaml").replace('.yaml"\n', '.yaml"\ncategory = ""\n'),
     "bakeoff.toml: trials.support.category: String should have at least 1 character"),
]


@pytest.mark.parametrize(("config", "expected"), BAD_CONFIGS)
def test_trial_config_mistakes_are_one_located_line(tmp_path: Path, config: str,
                                                    expected: str) -> None:
    write(tmp_path, "trials/t.yaml", YAML)
    write(tmp_path, "bakeoff.toml", config)
    result = bakeoff("run", "-m", "smollm2-135m-instruct", "-s", "mine", cwd=tmp_path)
    assert one_error_line(result).startswith(f"bakeoff: error: {expected}")


def test_a_bad_file_loses_nothing_stored(tmp_path: Path) -> None:
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    run_id = store.create_run("h", "mine", {"models": []}, {})
    store.close()
    write(tmp_path, "trials/t.yaml", "- prompt: Hi\n  assert: [{contain: x}]\n")
    write(tmp_path, "bakeoff.toml", CONFIG.format(name="t.yaml"))
    result = bakeoff("run", "-m", "smollm2-135m-instruct", "-s", "mine", cwd=tmp_path)
    assert one_error_line(result).startswith("bakeoff: error: trials/t.yaml:2: case 1:")
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    try:
        assert [run.id for run in store.runs()] == [run_id]
    finally:
        store.close()


def test_the_api_raises_a_trial_file_error_for_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path, "t.jsonl", '{"prompt": "Hi"}\n')
    with pytest.raises(TrialFileError, match=r"t.jsonl:1: case 1: assert: missing$"):
        CustomTrial("t", path)


# Listing


def test_tasks_lists_the_configs_custom_trials(tmp_path: Path) -> None:
    write(tmp_path, "project/trials/t.yaml", YAML)
    write(tmp_path, "project/bakeoff.toml",
          CONFIG.format(name="t.yaml").replace(
              '.yaml"\n', '.yaml"\ncategory = "Support"\ndescription = "refunds"\n'))
    result = bakeoff("tasks", "--config", "project/bakeoff.toml", cwd=tmp_path,
                     env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if "│ support " in line]
    assert "Support" in row and "2 / 2" in row and "tool_call" in row and "│ — " in row


# A real model, end to end


REAL = """\
- id: follow-up
  prompt: Name one primary colour. One word.
  turns: [Name another one. One word.]
  max_output_tokens: 8
  assert:
    - max_tokens: 64
    - regex: "[A-Za-z]"
- id: weather
  prompt: What is the weather in Oslo? Use the tool.
  tools:
    - type: function
      function:
        name: get_weather
        description: Current weather in a city
        parameters: {type: object, properties: {city: {type: string}}, required: [city]}
  tool_results:
    get_weather: {temperature: 21, sky: clear}
  max_output_tokens: 48
  assert:
    - tool_call: {name: get_weather, arguments: {city: Oslo}}
    - contains: "21"
"""


@pytest.mark.slow
def test_custom_trials_run_on_the_bundled_model_and_are_stored(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    from bakeoff.providers.bundled import ensure_model

    model = "qwen2.5-coder-0.5b-instruct"
    try:
        ensure_model(model)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    write(tmp_path, "trials/t.yaml", REAL)
    write(tmp_path, "bakeoff.toml", CONFIG.format(name="t.yaml"))
    config = api.load_config(tmp_path / "bakeoff.toml")
    store_file = tmp_path / "store.sqlite"

    result = api.run_suite(config, [model], "mine", store_file=store_file)
    store = Store(store_file)
    try:
        scores = {row.sample_id: row for row in store.scores(result.run_id)}
        transcripts = {case: store.transcript(result.run_id, model, "support", case)
                       for case in scores}
    finally:
        store.close()
    assert set(scores) == {"support/follow-up", "support/weather"}
    assert all(row.metric == "pass" and row.extracted for row in scores.values())
    assert {row.mode for row in scores.values()} == {"native tools"}
    follow_up = transcripts["support/follow-up"]
    assert follow_up is not None
    assert [m.role for m in follow_up] == ["user", "assistant", "user", "assistant"]
    assert follow_up[2].content == "Name another one. One word."
    weather = transcripts["support/weather"]
    assert weather is not None and weather[1].role == "assistant"
    if weather[1].tool_calls:  # the canned result went back to the model
        assert weather[2].role == "tool" and "21" in weather[2].content

    again = api.run_suite(config, [model], "mine", store_file=store_file)
    assert again.counts.calls == 0 and again.counts.cache_hits > 0
