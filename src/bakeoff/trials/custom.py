"""Custom trials: a team's own hands-on test, as cases in a YAML or JSON Lines file.

    [trials.refunds]                    # in bakeoff.toml; a suite names it like a benchmark
    path = "trials/refunds.yaml"        # or .jsonl: one case (a JSON object) per line
    description = "refund answers"      # optional
    category = "Support"                # optional (default "Custom"), as TrialInfo.category

The YAML file is a list of cases (or a mapping whose only key is `cases`). A case:

    - id: window                 # optional; default: the case's number in the file (1, 2, ...)
      system: You are Acme's support agent. Refunds are possible within 30 days.
      prompt: "A customer bought {item} {days} days ago. May they get a refund? Start with
        yes or no."
      variables:                 # optional: each entry is one case, its values fill {names}
        - {item: a kettle, days: 10, verdict: "yes"}
        - {item: a toaster, days: 45, verdict: "no"}
      turns: ["Why?"]            # optional: user turns, each sent after the model answers
      tools: [...]               # optional: OpenAI function schemas ({type: function,
                                 #   function: {name, description, parameters}}, or the inner
                                 #   object alone)
      tool_results:              # canned results by function name: after the model calls a
        lookup_order: {status: shipped}   # tool, each call is answered with its result
      max_output_tokens: 512     # optional: the generation limit of each answer
      assert:                    # all must pass; checked in order, the first failure is the
        - contains: "{verdict}"  #   reason ("contains 'yes': not found")
          ignore_case: true

Assertions read the model's last answer (`tool_call` and the usage limits read every turn):

- `equals: TEXT` — the answer, stripped of surrounding white space, is TEXT;
- `contains: TEXT`, `not_contains: TEXT`, `regex: PATTERN` (re.search); these three and
  `equals` take `ignore_case: true`;
- `json_schema: SCHEMA` — the answer (a ```json fence around it is taken off) is JSON valid
  under the schema (jsonschema Draft 2020-12, formats checked);
- `tool_call: NAME` or `tool_call: {name: NAME, arguments: {...}}` — some answer called NAME
  with arguments that include these (equal as JSON values; nested objects as subsets);
- `python: CODE` — CODE defines `check(answer: str) -> bool`; it runs in bakeoff's sandbox
  (bakeoff.scoring.sandbox, as MBPP's tests do) and passes when `check` returns a true value;
- `max_latency_s: S` — the case's answers took at most S seconds of wall-clock time in all;
- `max_tokens: N` — the case's answers used at most N output tokens in all;
- `max_cost_usd: X` with `price_input_per_mtok` and `price_output_per_mtok` (USD per 1M tokens,
  both required) — the case's tokens cost at most X at those prices. A trial does not know
  which model it runs on, so the prices are the assertion's, the same for every model (the
  report's cost rows use each model's own price).

Text values ({placeholders} filled from `variables`) are those of prompt, system, turns,
tool results and the equals/contains/not_contains/regex/tool_call assertions; `python` and
`json_schema` are taken as written. With `variables`, every {name} in those values must have a
value in every entry.

Cases are read in file order and never depend on the suite's seed, so the same file gives the
same cases; a suite's limit takes the first N. A case with `turns` or `tools` is a chat of
several turns: a tool call is answered with its canned result (at most TOOL_ROUNDS rounds per
case), otherwise the next user turn is sent, until none is left.

A problem in the file is one `TrialFileError` line: `trials/refunds.yaml:14: case 2 ('window'):
assert[3]: unknown assertion 'contain' (known: ...)`.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from bakeoff.scoring.sandbox import Limits, SandboxResult, run_checks
from bakeoff.trials.base import Case, Check, Transcript, TrialInfo
from bakeoff.types import Abilities, GenerationConfig, Message, Tool, canonical_json

SUFFIXES = (".yaml", ".yml", ".jsonl")
CASE_KEYS = ("id", "system", "prompt", "variables", "turns", "tools", "tool_results",
             "max_output_tokens", "assert")
TEXT_KINDS = ("equals", "contains", "not_contains", "regex")
KINDS = (*TEXT_KINDS, "json_schema", "tool_call", "python", "max_cost_usd", "max_latency_s",
         "max_tokens")
# Options an assertion may carry beside its kind.
OPTIONS: dict[str, tuple[str, ...]] = {
    **{kind: ("ignore_case",) for kind in TEXT_KINDS},
    "max_cost_usd": ("price_input_per_mtok", "price_output_per_mtok"),
}
# Tool call -> tool result rounds a case may take beyond its user turns.
TOOL_ROUNDS = 3
DEFAULT_MAX_OUTPUT_TOKENS = 512
PYTHON_LIMITS = Limits(timeout_s=10.0)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FENCE = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n(.*?)\n?```$", re.DOTALL)
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# YAML reads yes, no, on, off, 42 and 3.10 as booleans and numbers, not as the text written.
QUOTE_HINT = " (in YAML, quote it: \"yes\", \"42\")"
Fill = Callable[[str, str], str]


class TrialFileError(ValueError):
    """A custom trial file is wrong; the message is one located line."""


# --- assertions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Assertion:
    """One check of a case: its kind, its value (text, schema, call, code or limit) and
    options. `as_dict` is its canonical form, kept in the case's `expected`."""

    kind: str
    value: Any
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    def as_dict(self) -> dict[str, Any]:
        return {self.kind: self.value, **dict(self.options)}

    @property
    def label(self) -> str:
        """How a reason names the assertion: `contains 'refund'`, `max_tokens 200`."""
        if self.kind in TEXT_KINDS:
            return f"{self.kind} {_excerpt(self.value)!r}"
        if self.kind == "tool_call":
            return f"tool_call {self.value['name']!r}"
        if self.kind in ("json_schema", "python"):
            return self.kind
        return f"{self.kind} {self.value:g}"

    def failure(self, transcript: Transcript) -> str | None:
        """Why the transcript fails this assertion, or None when it passes."""
        answer = transcript.final.content if transcript.answers else ""
        problem = _CHECKERS[self.kind](self, answer, transcript)
        return None if problem is None else f"{self.label}: {problem}"


def _text_problem(assertion: Assertion, answer: str, transcript: Transcript) -> str | None:
    expected = str(assertion.value)
    ignore_case = bool(assertion.option("ignore_case", False))
    said = answer.lower() if ignore_case else answer
    wanted = expected.lower() if ignore_case else expected
    if assertion.kind == "equals":
        return None if said.strip() == wanted else f"got {_excerpt(answer.strip())!r}"
    if assertion.kind == "contains":
        return None if wanted in said else "not found"
    if assertion.kind == "not_contains":
        return "found" if wanted in said else None
    flags = re.IGNORECASE if ignore_case else 0
    return None if re.search(expected, answer, flags) else "no match"


def _schema_problem(assertion: Assertion, answer: str, transcript: Transcript) -> str | None:
    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
    validator = Draft202012Validator(assertion.value,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    violation = best_match(validator.iter_errors(value))
    if violation is None:
        return None
    return f"{violation.json_path}: {_excerpt(violation.message, 120)}"


def _tool_call_problem(assertion: Assertion, answer: str,
                       transcript: Transcript) -> str | None:
    name, wanted = assertion.value["name"], assertion.value.get("arguments", {})
    calls = [call for message in transcript.answers for call in message.tool_calls
             if call.name == name]
    if not calls:
        made = sorted({c.name for m in transcript.answers for c in m.tool_calls})
        return "no call" + (f" (called: {', '.join(made)})" if made else "")
    problems = []
    for call in calls:
        found = call.parsed_arguments()
        problem = ("arguments are not a JSON object" if found is None
                   else _subset_problem(wanted, found, "argument"))
        if problem is None:
            return None
        problems.append(problem)
    return problems[0]


def _subset_problem(expected: dict[str, Any], found: dict[str, Any], what: str) -> str | None:
    for key, value in expected.items():
        if key not in found:
            return f"missing {what} {key!r}"
        if isinstance(value, dict) and isinstance(found[key], dict):
            inner = _subset_problem(value, found[key], f"{what} {key!r}:")
            if inner is not None:
                return inner
        elif not _same_json(value, found[key]):
            return (f"{what} {key!r} is {_excerpt(json.dumps(found[key]))}, "
                    f"expected {_excerpt(json.dumps(value))}")
    return None


def _same_json(expected: Any, found: Any) -> bool:
    """Equal as JSON values: 2 equals 2.0, but true is not 1; lists element by element."""
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found
    if isinstance(expected, list) and isinstance(found, list):
        return len(expected) == len(found) and all(
            _same_json(e, f) for e, f in zip(expected, found, strict=True))
    if isinstance(expected, dict) and isinstance(found, dict):
        return expected.keys() == found.keys() and all(
            _same_json(expected[k], found[k]) for k in expected)
    numbers = isinstance(expected, int | float), isinstance(found, int | float)
    if any(numbers):
        return all(numbers) and bool(expected == found)
    return bool(expected == found)


def _python_problem(assertion: Assertion, answer: str, transcript: Transcript) -> str | None:
    [result] = run_checks([python_program(str(assertion.value), answer)], PYTHON_LIMITS)
    return None if result.passed else describe_run(result)


def python_program(code: str, answer: str) -> str:
    """The user's `check` then its call on the answer; the program ends on its last line only
    when `check` returned a true value (see sandbox.run_checks)."""
    return (f"{code}\n\n"
            f"_bakeoff_result = check({answer!r})\n"
            "if not _bakeoff_result:\n"
            "    raise AssertionError('check returned ' + repr(_bakeoff_result)[:80])\n")


def describe_run(result: SandboxResult) -> str:
    """The reason a check program did not pass: its last line of stderr, or how it ended."""
    if result.status == "timeout":
        return f"timed out after {PYTHON_LIMITS.timeout_s:g} s"
    if result.status == "error":
        return "the sandbox could not run the check"
    last = (result.stderr.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"])[0]
    return _excerpt(last.removeprefix("AssertionError: "), 160)


def _cost_problem(assertion: Assertion, answer: str, transcript: Transcript) -> str | None:
    input_tokens = sum(c.usage.input_tokens for c in transcript.completions)
    output_tokens = sum(c.usage.output_tokens for c in transcript.completions)
    cost = (input_tokens * float(assertion.option("price_input_per_mtok"))
            + output_tokens * float(assertion.option("price_output_per_mtok"))) / 1e6
    if cost <= float(assertion.value):
        return None
    return f"cost ${cost:.6g} ({input_tokens} input, {output_tokens} output tokens)"


def _latency_problem(assertion: Assertion, answer: str, transcript: Transcript) -> str | None:
    took = sum(c.timing.latency_s for c in transcript.completions)
    return None if took <= float(assertion.value) else f"took {took:.2f} s"


def _tokens_problem(assertion: Assertion, answer: str, transcript: Transcript) -> str | None:
    used = sum(c.usage.output_tokens for c in transcript.completions)
    return None if used <= int(assertion.value) else f"{used} output tokens"


_CHECKERS = {
    **{kind: _text_problem for kind in TEXT_KINDS},
    "json_schema": _schema_problem,
    "tool_call": _tool_call_problem,
    "python": _python_problem,
    "max_cost_usd": _cost_problem,
    "max_latency_s": _latency_problem,
    "max_tokens": _tokens_problem,
}


def check_case(assertions: Sequence[Assertion], transcript: Transcript) -> Check:
    """Pass when every assertion passes; the reason names the first that fails."""
    for assertion in assertions:
        problem = assertion.failure(transcript)
        if problem is not None:
            return Check.of(False, problem)
    count = len(assertions)
    return Check.of(True, f"passed ({count} assertion{'s' if count != 1 else ''})")


# --- reading the file ----------------------------------------------------------------------


@dataclass
class _Where:
    """Where a case is in its file: its line, and the lines of its keys and list items (the
    same line everywhere for JSON Lines), so an error names the line of what is wrong."""

    path: Path
    number: int
    line: int
    keys: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[int]] = field(default_factory=dict)
    label: str = ""

    def error(self, where: str, problem: str, item: int | None = None) -> TrialFileError:
        key = where.split("[")[0].split(".")[0]
        line = self.keys.get(key, self.line)
        if item is not None and item < len(self.items.get(key, [])):
            line = self.items[key][item]
        return TrialFileError(f"{self.path}:{line}: case {self.number}{self.label}: "
                              f"{where}: {problem}")


@dataclass(frozen=True)
class CaseSpec:
    """One case of the file after variables are filled in."""

    id: str
    prompt: str
    system: str | None
    turns: tuple[str, ...]
    tools: tuple[Tool, ...]
    tool_results: dict[str, str]
    assertions: tuple[Assertion, ...]
    max_output_tokens: int
    line: int


def read_cases(path: Path) -> list[CaseSpec]:
    """Every case of a YAML or JSON Lines file, in file order; TrialFileError when wrong."""
    if path.suffix not in SUFFIXES:
        raise TrialFileError(f"{path}: a trial file ends in {', '.join(SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrialFileError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[:error.start].count(b"\n") + 1
        raise TrialFileError(f"{path}:{line}: not UTF-8 text") from None
    except OSError as error:
        raise TrialFileError(f"{path}: cannot read: {error}") from None
    rows = _jsonl_rows(path, text) if path.suffix == ".jsonl" else _yaml_rows(path, text)
    if not rows:
        raise TrialFileError(f"{path}: no cases")
    cases: list[CaseSpec] = []
    seen: dict[str, int] = {}
    for where, row in rows:
        for case in parse_case(row, where):
            if case.id in seen:
                raise where.error("id", f"case id {case.id!r} is also the id of a case on "
                                        f"line {seen[case.id]}")
            seen[case.id] = where.line
            cases.append(case)
    return cases


def _jsonl_rows(path: Path, text: str) -> list[tuple[_Where, Any]]:
    rows: list[tuple[_Where, Any]] = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as error:
            raise TrialFileError(f"{path}:{line}: not valid JSON ({error.msg})") from None
        except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
            raise TrialFileError(f"{path}:{line}: a number with too many digits") from None
        except RecursionError:
            raise TrialFileError(f"{path}:{line}: arrays or objects nested too deeply") from None
        rows.append((_Where(path, len(rows) + 1, line), row))
    return rows


def _yaml_rows(path: Path, text: str) -> list[tuple[_Where, Any]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise TrialFileError(f"{where}: not valid YAML ({problem})") from None
    except RecursionError:
        raise TrialFileError(f"{path}: not valid YAML (nested too deeply)") from None
    if isinstance(data, dict) and isinstance(root, yaml.MappingNode):
        if set(data) != {"cases"}:
            raise TrialFileError(f"{path}:1: expected a list of cases, or only the key "
                                 f"'cases' (found: {', '.join(map(str, data))})")
        data = data["cases"]
        root = next(value for key, value in root.value if key.value == "cases")
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise TrialFileError(f"{path}:1: expected a list of cases")
    return [(_node_where(path, number, node), row)
            for number, (node, row) in enumerate(zip(root.value, data, strict=True), 1)]


def _node_where(path: Path, number: int, node: yaml.Node) -> _Where:
    where = _Where(path, number, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            where.keys[str(key.value)] = key.start_mark.line + 1
            if isinstance(value, yaml.SequenceNode):
                where.items[str(key.value)] = [item.start_mark.line + 1 for item in value.value]
    return where


def parse_case(row: Any, where: _Where) -> list[CaseSpec]:
    """One case of the file, or one per entry of its `variables`, validated."""
    if not isinstance(row, dict):
        raise TrialFileError(f"{where.path}:{where.line}: case {where.number}: expected a "
                             "mapping of keys (prompt, assert, ...)")
    given_id = row.get("id")
    if given_id is not None:
        if isinstance(given_id, bool) or not isinstance(given_id, str | int) or \
                not str(given_id).strip():
            raise where.error("id", "must be a non-empty text or a number")
        where.label = f" ({str(given_id)!r})"
    for key in row:
        if key not in CASE_KEYS:
            raise where.error(str(key), f"unknown key (known: {', '.join(CASE_KEYS)})")
    for key in ("prompt", "assert"):
        if key not in row:
            raise where.error(key, "missing")
    prompt = _text(row["prompt"], where, "prompt")
    system = None if row.get("system") is None else _text(row["system"], where, "system")
    turns = [_text(turn, where, f"turns[{index + 1}]", index)
             for index, turn in enumerate(_list(row.get("turns", []), where, "turns"))]
    tools = [_tool(tool, where, index)
             for index, tool in enumerate(_list(row.get("tools", []), where, "tools"))]
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise where.error("tools", "two tools have the same name")
    results = _tool_results(row.get("tool_results", {}), names, where)
    raw_assertions = _list(row["assert"], where, "assert")
    if not raw_assertions:
        raise where.error("assert", "needs at least one assertion")
    assertions = [_assertion(raw, names, where, index)
                  for index, raw in enumerate(raw_assertions)]
    max_tokens = row.get("max_output_tokens", DEFAULT_MAX_OUTPUT_TOKENS)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise where.error("max_output_tokens", "must be a whole number of at least 1")
    base_id = str(given_id).strip() if given_id is not None else str(where.number)

    filled = _variables(row.get("variables"), where)
    if filled is None:
        return [CaseSpec(base_id, prompt, system, tuple(turns), tuple(tools), results,
                         tuple(assertions), max_tokens, where.line)]
    cases = []
    for index, values in enumerate(filled):
        def fill(text: str, what: str, values: dict[str, str] = values,
                 index: int = index) -> str:
            return _fill(text, values, where, what, index)

        cases.append(CaseSpec(
            f"{base_id}/{index + 1}", fill(prompt, "prompt"),
            None if system is None else fill(system, "system"),
            tuple(fill(turn, f"turns[{n + 1}]") for n, turn in enumerate(turns)),
            tuple(tools),
            {name: fill(result, f"tool_results.{name}") for name, result in results.items()},
            tuple(_fill_assertion(a, fill, n) for n, a in enumerate(assertions)),
            max_tokens, where.line))
    return cases


def _text(value: Any, where: _Where, what: str, item: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(what, "must be a non-empty text", item)
    return value


def _list(value: Any, where: _Where, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise where.error(what, "must be a list")
    return value


def _tool(raw: Any, where: _Where, index: int) -> Tool:
    what = f"tools[{index + 1}]"
    if isinstance(raw, dict) and raw.get("type") == "function":
        extra = sorted(set(raw) - {"type", "function"})
        if extra:
            raise where.error(what, f"unknown key {extra[0]!r}", index)
        raw = raw.get("function")
    if not isinstance(raw, dict):
        raise where.error(what, "must be an OpenAI function schema ({type: function, "
                                "function: {name, description, parameters}})", index)
    extra = sorted(set(raw) - {"name", "description", "parameters", "strict"})
    if extra:
        raise where.error(what, f"unknown key {extra[0]!r}", index)
    name = raw.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise where.error(f"{what}.name", "must be 1 to 64 letters, digits, _ or -", index)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise where.error(f"{what}.description", "must be a text", index)
    parameters = raw.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, dict):
        raise where.error(f"{what}.parameters", "must be a JSON Schema object", index)
    _check_schema(parameters, where, f"{what}.parameters", index)
    return Tool.function(name, description, parameters)


def _tool_results(raw: Any, names: list[str], where: _Where) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise where.error("tool_results", "must map function names to results")
    results = {}
    for name, result in raw.items():
        if name not in names:
            raise where.error(f"tool_results.{name}", "no tool of this name in 'tools'")
        results[str(name)] = result if isinstance(result, str) else _json(result)
    return results


def _assertion(raw: Any, tools: list[str], where: _Where, index: int) -> Assertion:
    what = f"assert[{index + 1}]"
    if not isinstance(raw, dict):
        raise where.error(what, f"must be a mapping such as {{contains: TEXT}} "
                                f"(kinds: {', '.join(KINDS)})", index)
    kinds = [key for key in raw if key in KINDS]
    if len(kinds) != 1:
        unknown = [str(key) for key in raw if key not in KINDS and
                   not any(key in options for options in OPTIONS.values())]
        problem = (f"unknown assertion {unknown[0]!r}" if unknown and not kinds
                   else "needs exactly one kind")
        raise where.error(what, f"{problem} (known: {', '.join(KINDS)})", index)
    kind = kinds[0]
    allowed = OPTIONS.get(kind, ())
    options = {key: value for key, value in raw.items() if key != kind}
    for key in options:
        if key not in allowed:
            known = f" (known: {', '.join(allowed)})" if allowed else ""
            raise where.error(f"{what}.{key}", f"not an option of {kind}{known}", index)
    value = raw[kind]
    here = f"{what}.{kind}"
    if kind in TEXT_KINDS:
        if not isinstance(value, str):
            raise where.error(here, f"must be a text{QUOTE_HINT}", index)
        if kind != "equals" and not value:
            raise where.error(here, "must be a non-empty text", index)
        if not isinstance(options.get("ignore_case", False), bool):
            raise where.error(f"{what}.ignore_case", "must be true or false", index)
        if kind == "regex":
            _check_regex(value, where, here, index)
    elif kind == "json_schema":
        if not isinstance(value, dict | bool):
            raise where.error(here, "must be a JSON Schema (an object)", index)
        _check_schema(value, where, here, index)
        value = json.loads(_json(value))
    elif kind == "tool_call":
        value = _tool_call(value, tools, where, here, index)
    elif kind == "python":
        _check_python(value, where, here, index)
    else:
        value = _limit(kind, value, where, here, index)
        if kind == "max_cost_usd":
            for price in allowed:
                options[price] = _price(options.get(price), where, f"{what}.{price}", index)
    return Assertion(kind, value, tuple(sorted(options.items())))


def _check_regex(pattern: str, where: _Where, what: str, index: int) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise where.error(what, f"not a valid regular expression ({error})", index) from None


def _check_schema(schema: Any, where: _Where, what: str, index: int | None) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise where.error(what, f"not a valid JSON Schema ({_excerpt(error.message, 120)})",
                          index) from None


def _tool_call(value: Any, tools: list[str], where: _Where, what: str,
               index: int) -> dict[str, Any]:
    call = {"name": value} if isinstance(value, str) else value
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise where.error(what, "must be a function name or {name: NAME, arguments: {...}}",
                          index)
    extra = sorted(set(call) - {"name", "arguments"})
    if extra:
        raise where.error(what, f"unknown key {extra[0]!r}", index)
    if call["name"] not in tools:
        known = f" (tools: {', '.join(tools)})" if tools else " (the case has no tools)"
        raise where.error(what, f"no tool named {call['name']!r}{known}", index)
    arguments = call.get("arguments", {})
    if not isinstance(arguments, dict):
        raise where.error(f"{what}.arguments", "must be a mapping of argument values", index)
    return {"name": call["name"], "arguments": json.loads(_json(arguments))}


def _check_python(code: Any, where: _Where, what: str, index: int) -> None:
    if not isinstance(code, str) or not code.strip():
        raise where.error(what, "must be Python code defining check(answer: str) -> bool",
                          index)
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise where.error(what, f"not valid Python (line {error.lineno}: {error.msg})",
                          index) from None
    defines = any(isinstance(node, ast.FunctionDef) and node.name == "check"
                  and len(node.args.args) + len(node.args.posonlyargs) >= 1
                  for node in tree.body)
    if not defines:
        raise where.error(what, "must define check(answer: str) -> bool", index)


def _limit(kind: str, value: Any, where: _Where, what: str, index: int) -> float | int:
    whole = kind == "max_tokens"
    number_types = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, number_types) or value < 0:
        raise where.error(what, "must be a whole number of at least 0" if whole
                          else "must be a number of at least 0", index)
    return value


def _price(value: Any, where: _Where, what: str, index: int) -> float:
    if value is None:
        raise where.error(what, "needed by max_cost_usd (USD per 1M tokens): a trial does "
                                "not know the model's price", index)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise where.error(what, "must be a number of at least 0", index)
    return float(value)


def _variables(raw: Any, where: _Where) -> list[dict[str, str]] | None:
    if raw is None:
        return None
    entries = _list(raw, where, "variables")
    if not entries:
        raise where.error("variables", "must list at least one set of values")
    filled = []
    for index, entry in enumerate(entries):
        what = f"variables[{index + 1}]"
        if not isinstance(entry, dict) or not entry:
            raise where.error(what, "must map names to values", index)
        values = {}
        for name, value in entry.items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise where.error(what, f"{name!r} is not a placeholder name", index)
            if isinstance(value, bool):
                raise where.error(f"{what}.{name}", f"must be a text or a number{QUOTE_HINT}",
                                  index)
            if isinstance(value, dict | list) or value is None:
                raise where.error(f"{what}.{name}", "must be a text or a number", index)
            values[name] = (value if isinstance(value, str) else json.dumps(value)
                            if isinstance(value, int | float) else str(value))
        filled.append(values)
    return filled


def _fill(text: str, values: dict[str, str], where: _Where, what: str, index: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise where.error(what, f"{{{name}}} has no value in variables[{index + 1}]")
        return values[name]

    return _PLACEHOLDER.sub(value, text)


def _fill_assertion(assertion: Assertion, fill: Fill, number: int) -> Assertion:
    what = f"assert[{number + 1}].{assertion.kind}"
    if assertion.kind in TEXT_KINDS:
        return Assertion(assertion.kind, fill(assertion.value, what), assertion.options)
    if assertion.kind == "tool_call":
        arguments = _fill_json(assertion.value["arguments"], lambda t: fill(t, what))
        return Assertion("tool_call", {**assertion.value, "arguments": arguments})
    return assertion


def _fill_json(value: Any, fill: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [_fill_json(item, fill) for item in value]
    if isinstance(value, dict):
        return {key: _fill_json(item, fill) for key, item in value.items()}
    return value


def _json(value: Any) -> str:
    """Canonical JSON; YAML's dates and times become their ISO text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- the trial -----------------------------------------------------------------------------


class CustomTrial:
    """A hands-on trial read from the user's YAML or JSON Lines file (read once, here)."""

    def __init__(self, name: str, path: Path, description: str = "",
                 category: str = "Custom") -> None:
        self.path = path
        self.specs = read_cases(path)
        kinds = sorted({a.kind for spec in self.specs for a in spec.assertions},
                       key=KINDS.index)
        self.info = TrialInfo(
            name=name, category=category or "Custom",
            checker="assertions in code: " + ", ".join(kinds),
            description=description or f"custom trial from {path.name}",
            languages=(), full_count=len(self.specs), quick_count=len(self.specs))
        self._cases = [self._case(spec) for spec in self.specs]

    def _case(self, spec: CaseSpec) -> Case:
        messages = ((Message("system", spec.system),) if spec.system else ()) + (
            Message("user", spec.prompt),)
        expected = {"assert": [a.as_dict() for a in spec.assertions],
                    "turns": list(spec.turns), "tool_results": spec.tool_results}
        rounds = TOOL_ROUNDS if spec.tools else 0
        return Case(id=f"{self.info.name}/{spec.id}", messages=messages,
                    expected=canonical_json(expected), tools=spec.tools,
                    config=GenerationConfig(max_tokens=spec.max_output_tokens,
                                            temperature=0.0),
                    metadata=(("line", str(spec.line)),),
                    max_turns=1 + len(spec.turns) + rounds)

    def cases(self, seed: int, count: int) -> list[Case]:
        """The file's first `count` cases; the seed plays no part (the cases are written)."""
        return list(self._cases[:count])

    def mode_for(self, abilities: Abilities) -> str:
        return "native tools" if any(spec.tools for spec in self.specs) else "chat"

    def opening(self, case: Case, abilities: Abilities) -> Case:
        return case

    def reply(self, case: Case, transcript: Transcript) -> tuple[Message, ...]:
        """A tool call's canned results; else the next user turn; else nothing."""
        truth = case.truth()
        final = transcript.final
        if final.tool_calls:
            if not case.tools:
                return ()
            results: dict[str, str] = truth["tool_results"]
            return tuple(Message("tool", results.get(
                call.name, _json({"error": f"no result for function {call.name!r}"})),
                tool_call_id=call.id) for call in final.tool_calls)
        opening_turns = sum(1 for m in case.messages if m.role == "user")
        sent = sum(1 for m in transcript.messages if m.role == "user") - opening_turns
        turns: list[str] = truth["turns"]
        return (Message("user", turns[sent]),) if sent < len(turns) else ()

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        assertions = [assertion_of(raw) for raw in case.truth()["assert"]]
        return [check_case(assertions, transcript)]


def assertion_of(raw: dict[str, Any]) -> Assertion:
    """An assertion from its canonical form (`Assertion.as_dict`)."""
    [kind] = [key for key in raw if key in KINDS]
    options = tuple(sorted((k, v) for k, v in raw.items() if k != kind))
    return Assertion(kind, raw[kind], options)
