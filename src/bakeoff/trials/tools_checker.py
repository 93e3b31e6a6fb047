"""How a function-calling answer is checked, rule by rule.

The rules follow PROTOCOLS.md (and the method of BFCL's AST checker, written anew here): the
calls must match the expected set, order-free when there are several; each call must name the
right function, give every required argument, no argument the case does not expect, values of
the declared type (an integer is accepted for a number) and an accepted value (strings compared
after lower-casing and dropping spaces and punctuation, numbers within 1e-6 relative).

Every failure is a `Failure` whose rule comes from `RULES`, so the report can count failures
per rule; its text starts with the rule ("missing_argument: city").

An expected call is plain JSON:

    {"name": "get_weather",
     "arguments": {"city": ["Oslo", "Oslo, Norway"], "unit": [null, "celsius"]},
     "types": {"city": "string", "unit": "string"}}

Each argument lists its accepted values; `null` among them means it may be left out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

from bakeoff.types import Message

RULES = ("no_call", "unexpected_call", "wrong_count", "wrong_function", "unparseable",
         "missing_argument", "unexpected_argument", "wrong_type", "wrong_value",
         "result_not_used")

# The prompted format: a model without native tools answers with this object or NO_CALL.
NO_CALL = "NO_CALL"
_FENCE = re.compile(r"```(?:json)?\s*\n?(.*?)\n?\s*```", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


@dataclass(frozen=True)
class Call:
    """A call as the checker sees it; `arguments` is None when they are not a JSON object."""

    name: str
    arguments: dict[str, Any] | None
    id: str = ""


@dataclass(frozen=True)
class Failure:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


# Reading the calls out of an answer


def calls_in(message: Message, native: bool) -> list[Call] | Failure:
    """The calls an answer makes (an empty list: none), or why they cannot be read."""
    if native:
        return [Call(call.name, call.parsed_arguments(), call.id) for call in message.tool_calls]
    return read_prompted(message.content)


def read_prompted(text: str) -> list[Call] | Failure:
    """Calls from the prompted format: {"calls": [{"name": ..., "arguments": {...}}]}, alone
    (one ``` fence around it is tolerated, as the native parser tolerates it), or NO_CALL.
    Text with no JSON object in it is an answer in prose: no call."""
    body = text.strip()
    if fenced := _FENCE.fullmatch(body):
        body = fenced.group(1).strip()
    if body == NO_CALL or "{" not in body:
        return []
    try:
        value = json.loads(body)
    except json.JSONDecodeError as error:
        return Failure("unparseable", f"the answer is not one JSON object ({error.msg}): "
                                      f"{_excerpt(text)}")
    if not isinstance(value, dict) or not isinstance(value.get("calls"), list):
        return Failure("unparseable", f'the answer is not a {{"calls": [...]}} object: '
                                      f"{_excerpt(text)}")
    calls: list[Call] = []
    for item in value["calls"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return Failure("unparseable", f"a call without a name: {_excerpt(json.dumps(item))}")
        arguments = item.get("arguments", {})
        calls.append(Call(item["name"], arguments if isinstance(arguments, dict) else None,
                          f"call_{len(calls)}"))
    return calls


# Matching calls


def match_calls(expected: Sequence[dict[str, Any]], found: Sequence[Call]) -> Failure | None:
    """None when `found` matches `expected` in some order; else the first failure of the
    pairing that fails least (so the reason names the closest miss)."""
    if not expected:
        return Failure("unexpected_call", f"no function fits, yet it called "
                                          f"{', '.join(call.name for call in found)}"
                       ) if found else None
    if not found:
        return Failure("no_call", f"expected {_names(expected)}, found no call")
    if len(found) != len(expected):
        return Failure("wrong_count", f"expected {len(expected)} call(s) ({_names(expected)}), "
                                      f"found {len(found)} ({', '.join(c.name for c in found)})")
    best: list[Failure] | None = None
    for order in permutations(found):
        failures = [f for f in (check_call(e, c) for e, c in zip(expected, order, strict=True))
                    if f is not None]
        if not failures:
            return None
        if best is None or len(failures) < len(best):
            best = failures
    assert best is not None
    return best[0]


def check_call(expected: dict[str, Any], call: Call) -> Failure | None:
    """The first rule `call` breaks against one expected call, or None."""
    if call.name != expected["name"]:
        return Failure("wrong_function", f"expected {expected['name']}, found {call.name}")
    if call.arguments is None:
        return Failure("unparseable", f"the arguments of {call.name} are not a JSON object")
    accepted: dict[str, list[Any]] = expected["arguments"]
    for name, values in accepted.items():
        if name not in call.arguments and None not in values:
            return Failure("missing_argument", f"{name} (of {call.name})")
    for name in call.arguments:
        if name not in accepted:
            return Failure("unexpected_argument", f"{name} (of {call.name})")
    for name, value in call.arguments.items():
        declared = expected["types"].get(name, "")
        if not has_type(value, declared):
            return Failure("wrong_type", f"{name} should be {declared}, found "
                                         f"{json.dumps(value)}")
        if not any(same_value(want, value) for want in accepted[name] if want is not None):
            wanted = " or ".join(json.dumps(w) for w in accepted[name] if w is not None)
            return Failure("wrong_value", f"{name} expected {wanted}, found {json.dumps(value)}")
    return None


def has_type(value: Any, declared: str) -> bool:
    """JSON Schema's type names; an integer is a number, a boolean is neither."""
    if isinstance(value, bool):
        return declared == "boolean"
    kinds: dict[str, type | tuple[type, ...]] = {
        "string": str, "integer": int, "number": (int, float), "array": list, "object": dict}
    return declared not in kinds or isinstance(value, kinds[declared])


def same_value(expected: Any, found: Any) -> bool:
    """Equal under the comparison rules: normalised strings, relative 1e-6 for numbers,
    arrays element by element in order, objects key by key."""
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found
    if isinstance(expected, str) and isinstance(found, str):
        return normalise(expected) == normalise(found)
    if isinstance(expected, int | float) and isinstance(found, int | float):
        return math.isclose(expected, found, rel_tol=1e-6)
    if isinstance(expected, list) and isinstance(found, list):
        return len(expected) == len(found) and all(
            same_value(e, f) for e, f in zip(expected, found, strict=True))
    if isinstance(expected, dict) and isinstance(found, dict):
        return expected.keys() == found.keys() and all(
            same_value(expected[k], found[k]) for k in expected)
    return False


def normalise(text: str) -> str:
    """Lower case, without spaces or punctuation: "Oslo, Norway" -> "oslonorway"."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


# Using a tool's result


def uses_result(text: str, numbers: Sequence[float], words: Sequence[str]) -> Failure | None:
    """None when the answer states every number (rounding to 0.1% allowed, as a person rounds
    a price) and every word of the tool's result; else which one it missed."""
    if not text.strip():
        return Failure("result_not_used", "no answer in text after the tool result")
    stated = [float(n.replace(",", "")) for n in _NUMBER.findall(text.replace("−", "-"))]
    for number in numbers:
        if not any(abs(s - number) <= max(0.01, 0.001 * abs(number)) for s in stated):
            return Failure("result_not_used", f"the answer does not state {number:g}: "
                                              f"{_excerpt(text)}")
    for word in words:
        if normalise(word) not in normalise(text):
            return Failure("result_not_used", f"the answer does not state {word!r}: "
                                              f"{_excerpt(text)}")
    return None


def _names(calls: Sequence[dict[str, Any]]) -> str:
    return ", ".join(str(call["name"]) for call in calls)


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")
