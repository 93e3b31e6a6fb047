"""Programs that must run: small Python functions with hidden tests, run in the sandbox.

Each case comes from a seeded template (bakeoff.trials.base.case_rng): the function's name,
its constants (a stride, a range, a shift, a base, a pair of brackets...) and the test inputs
vary, and the expected outputs come from a reference implementation written here, so a model
cannot pass from memory. The prompt states the signature, what the function does and one
example; the hidden tests (the example first) are run in bakeoff.scoring.sandbox, one process
per answer. Metrics: "pass" (every hidden test passes) and "tests" (the share that passes).

The Breakout game, the other trial of this family, lives in bakeoff.trials.breakout.
"""

from __future__ import annotations

import ast
import json
import random
import re
import secrets
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.scoring.sandbox import Limits, SandboxResult, SandboxUnavailable, run_program
from bakeoff.trials.base import (
    PASS,
    Case,
    Check,
    SingleTurnTrial,
    Transcript,
    Trial,
    TrialInfo,
    case_rng,
)
from bakeoff.types import GenerationConfig, Message

CATEGORY = "Programs"
TESTS_METRIC = "tests"
MAX_TOKENS = 384
LIMITS = Limits(timeout_s=10.0, memory_bytes=512 << 20, processes=16)
REASON_CHARS = 200

# A fenced block, closed or cut off at the end of the answer (max_tokens reached).
_FENCE = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
# A file path in an error message: only its last part is kept, so no host path is stored.
_PATH = re.compile(r"(?:/[^\s'\"/:,()]+)+/")


@dataclass(frozen=True)
class Task:
    """One generated function task: what the prompt states and the hidden tests."""

    template: str
    function: str
    signature: str
    description: str
    tests: tuple[tuple[tuple[Any, ...], Any], ...]


# --- the templates: parameters drawn from the case's rng, truths from a reference ----------


def _ordinal(number: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(number, f"{number}th")


def _int_lists(rng: random.Random, count: int, low: int, high: int,
               longest: int = 9) -> list[list[int]]:
    """`count` lists of random integers, the first of typical length and one empty."""
    lists = [[rng.randint(low, high) for _ in range(rng.randint(4, longest))]
             for _ in range(count - 1)]
    return [lists[0], [], *lists[1:]]


def _tests(function: Callable[..., Any],
           inputs: Sequence[tuple[Any, ...]]) -> tuple[tuple[tuple[Any, ...], Any], ...]:
    return tuple((args, function(*args)) for args in inputs)


def _clamped_sum(rng: random.Random) -> Task:
    low, high = rng.randint(-6, 0), rng.randint(3, 12)
    name = rng.choice(("clamped_total", "sum_clamped", "bounded_sum"))

    def reference(values: list[int]) -> int:
        return sum(min(max(value, low), high) for value in values)

    inputs = [(values,) for values in _int_lists(rng, 6, -20, 25)]
    return Task("clamped_sum", name, f"def {name}(values: list[int]) -> int",
                f"returns the sum of `values` after clamping each value to the range {low} to "
                f"{high} (a value below {low} counts as {low}, one above {high} as {high})",
                _tests(reference, inputs))


def _fizz_words(rng: random.Random) -> Task:
    first, second = rng.sample(range(2, 8), 2)
    word_a, word_b = rng.sample(("Fizz", "Buzz", "Bang", "Pop", "Zap", "Ding"), 2)
    name = rng.choice(("fizz_list", "number_words", "say_numbers"))

    def reference(n: int) -> list[str]:
        words = []
        for number in range(1, n + 1):
            word = (word_a if number % first == 0 else "") + (
                word_b if number % second == 0 else "")
            words.append(word or str(number))
        return words

    inputs = [(rng.randint(8, 16),), (0,), (1,), (first * second,), (rng.randint(20, 40),)]
    return Task("fizz_words", name, f"def {name}(n: int) -> list[str]",
                f"returns a list with one string for each number from 1 to n: '{word_a}' for "
                f"multiples of {first}, '{word_b}' for multiples of {second}, "
                f"'{word_a}{word_b}' for multiples of both, and the number itself (as a "
                f"string) otherwise; an empty list when n < 1", _tests(reference, inputs))


def _run_length(rng: random.Random) -> Task:
    count_first = rng.random() < 0.5
    name = rng.choice(("run_length", "rle_encode", "compress_runs"))
    shape = "its length followed by the character" if count_first else \
        "the character followed by its length"
    example = "'3a1b'" if count_first else "'a3b1'"

    def reference(text: str) -> str:
        runs = [(match.group(0)[0], len(match.group(0)))
                for match in re.finditer(r"(.)\1*", text, re.DOTALL)]
        return "".join(f"{n}{c}" if count_first else f"{c}{n}" for c, n in runs)

    def word() -> str:
        return "".join(rng.choice("abcx") * rng.randint(1, 4) for _ in range(rng.randint(2, 5)))

    inputs = [(word(),), ("",), ("z",), (word(),), (word() + word(),), ("aaaaaaaaaaaa",)]
    return Task("run_length", name, f"def {name}(text: str) -> str",
                f"run-length encodes `text`: each run of the same character becomes {shape} "
                f"(so 'aaab' becomes {example}); the empty string gives ''",
                _tests(reference, inputs))


def _stride(rng: random.Random) -> Task:
    step = rng.randint(2, 4)
    start = rng.randint(0, step - 1)
    name = rng.choice(("every_nth", "take_stride", "pick_items"))
    inputs = [(values,) for values in _int_lists(rng, 6, 0, 99, longest=12)]
    return Task("stride", name, f"def {name}(items: list[int]) -> list[int]",
                f"returns every {_ordinal(step)} item of `items`, starting with the item at "
                f"index {start} (0-based)", _tests(lambda items: items[start::step], inputs))


def _caesar(rng: random.Random) -> Task:
    shift = rng.randint(1, 25)
    backward = rng.random() < 0.5
    name = rng.choice(("shift_letters", "caesar", "rotate_text"))
    moved = -shift if backward else shift

    def reference(text: str) -> str:
        def move(char: str) -> str:
            for alphabet in (string.ascii_lowercase, string.ascii_uppercase):
                if char in alphabet:
                    return alphabet[(alphabet.index(char) + moved) % 26]
            return char
        return "".join(move(char) for char in text)

    words = ("Hello, World!", "abc xyz", "", "Zebra-42", "The quick brown fox.", "zzZZ aA")
    inputs = [(text,) for text in rng.sample(words[:2], 1) + list(words[2:])]
    direction = "back" if backward else "forward"
    return Task("caesar", name, f"def {name}(text: str) -> str",
                f"moves every ASCII letter of `text` {shift} places {direction} in the alphabet, "
                f"wrapping around between 'a' and 'z' and keeping its case; any other character "
                f"stays as it is", _tests(reference, inputs))


def _digit_root(rng: random.Random) -> Task:
    base = rng.choice((2, 3, 5, 7, 8, 9, 10, 12, 16))
    name = rng.choice(("digit_root", "repeated_digit_sum", "reduce_digits"))

    def digit_sum(number: int) -> int:
        total = 0
        while number:
            number, digit = divmod(number, base)
            total += digit
        return total

    def reference(n: int) -> int:
        while n >= base:
            n = digit_sum(n)
        return n

    inputs = [(rng.randint(100, 999),), (0,), (base - 1,), (base,), (rng.randint(10**5, 10**7),),
              (rng.randint(1000, 99999),)]
    return Task("digit_root", name, f"def {name}(n: int) -> int",
                f"takes n >= 0 and, while n is {base} or more, replaces n by the sum of its "
                f"digits written in base {base}; returns the final n", _tests(reference, inputs))


def _kth_largest(rng: random.Random) -> Task:
    rank = rng.randint(2, 4)
    name = rng.choice(("kth_largest", "nth_biggest", "rank_value"))

    def reference(values: list[int]) -> int | None:
        distinct = sorted(set(values), reverse=True)
        return distinct[rank - 1] if len(distinct) >= rank else None

    inputs = [(values,) for values in _int_lists(rng, 5, -9, 9)] + [([5] * rank,)]
    return Task("kth_largest", name, f"def {name}(values: list[int]) -> int | None",
                f"returns the {_ordinal(rank)} largest distinct value in `values` (the largest "
                f"is the 1st; repeated values count once), or None when there are fewer than "
                f"{rank} distinct values", _tests(reference, inputs))


def _balanced(rng: random.Random) -> Task:
    pairs = sorted(rng.sample(("()", "[]", "{}", "<>"), 2))
    ignored = next(pair for pair in ("()", "[]", "{}", "<>") if pair not in pairs)
    name = rng.choice(("is_balanced", "brackets_match", "well_nested"))
    opening = {pair[0] for pair in pairs}
    closing = {pair[1]: pair[0] for pair in pairs}

    def reference(text: str) -> bool:
        stack: list[str] = []
        for char in text:
            if char in opening:
                stack.append(char)
            elif char in closing and (not stack or stack.pop() != closing[char]):
                return False
        return not stack

    alphabet = "".join(pairs) + "ab" + ignored[0]

    def noise(length: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(length))

    first, second = pairs
    nested = f"x{first[0]}{second[0]}y{second[1]}{first[1]}"
    crossed = f"{first[0]}{second[0]}{first[1]}{second[1]}"
    inputs = [(nested,), ("",), (crossed,), (f"{ignored[0]}{first}",), (second[::-1],),
              (noise(8),), (first[0] * 3 + first[1] * 3 + second[0],)]
    return Task("balanced", name, f"def {name}(text: str) -> bool",
                f"returns True when the brackets {' and '.join(pairs)} in `text` are balanced and "
                f"properly nested, else False; every other character, such as '{ignored[0]}' or "
                f"'{ignored[1]}', is ignored", _tests(reference, inputs))


def _common_word(rng: random.Random) -> Task:
    shortest = rng.randint(3, 5)
    name = rng.choice(("most_common_word", "top_word", "frequent_word"))
    vocabulary = ("ox", "cat", "sun", "tree", "river", "stone", "apple", "moon", "lake", "bird",
                  "cloud", "hill", "sea", "ant", "forest")

    def reference(text: str) -> str:
        counts = Counter(word for word in text.lower().split() if len(word) >= shortest)
        if not counts:
            return ""
        best = max(counts.values())
        return min(word for word, count in counts.items() if count == best)

    def sentence(length: int) -> str:
        return " ".join(rng.choice(vocabulary).capitalize() if rng.random() < 0.3 else
                        rng.choice(vocabulary) for _ in range(length))

    inputs = [(sentence(8),), ("",), ("ox ox ox",), (sentence(12),), (sentence(5),),
              ("Moon moon LAKE lake bird",)]
    return Task("common_word", name, f"def {name}(text: str) -> str",
                f"returns the most frequent word of `text` among the words of at least "
                f"{shortest} letters (words are separated by spaces and compared in lower case; "
                f"return it in lower case); a tie goes to the alphabetically first word; '' "
                f"when there is no such word", _tests(reference, inputs))


def _steps_to_one(rng: random.Random) -> Task:
    divisor = rng.randint(2, 5)
    name = rng.choice(("steps_to_one", "count_steps", "reach_one"))

    def reference(n: int) -> int:
        steps = 0
        while n != 1:
            n = n // divisor if n % divisor == 0 else n + 1
            steps += 1
        return steps

    inputs = [(rng.randint(10, 60),), (1,), (divisor,), (divisor + 1,), (rng.randint(100, 999),),
              (rng.randint(1000, 50000),)]
    return Task("steps_to_one", name, f"def {name}(n: int) -> int",
                f"takes n >= 1 and counts the steps to reach 1, where one step divides n by "
                f"{divisor} when n is divisible by {divisor} and adds 1 to n otherwise",
                _tests(reference, inputs))


# The order of the cases (index % len): the quick suite's first cases are an easy, a medium
# and a harder one, so the bundled models' differences can show.
TEMPLATES: tuple[Callable[[random.Random], Task], ...] = (
    _clamped_sum, _fizz_words, _run_length, _stride, _caesar, _digit_root, _kth_largest,
    _balanced, _common_word, _steps_to_one)


# --- reading the answer and running the hidden tests ---------------------------------------


def extract_code(text: str, function: str) -> str:
    """The answer's code: the first fenced block that defines `function`, else the first
    fenced block, else the whole answer."""
    blocks = _FENCE.findall(text)
    defines = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(function)}\s*\(", re.MULTILINE)
    return next((block for block in blocks if defines.search(block)),
                blocks[0] if blocks else text)


def static_problem(code: str, function: str) -> str | None:
    """Why the code cannot pass without running it (empty, does not parse, no such top-level
    function), or None."""
    if not code.strip():
        return "empty answer"
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        return f"the code does not parse: {error.msg} (line {error.lineno})"
    defined = {node.name for node in tree.body
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    if function not in defined:
        return f"the code defines no top-level function {function}()"
    return None


# Runs in the sandbox: the answer's code, then each hidden test; one JSON line after MARK.
# The answer's prints are swallowed, so they cannot pose as the result line.
_HARNESS = r'''
import contextlib, io, json, sys

def plain(value):
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value

def show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

def same(got, expected):
    try:
        return json.dumps(plain(got)) == json.dumps(expected)
    except (TypeError, ValueError):
        return False

def differ(got, expected):
    """What is wrong with `got`: the first differing item of a list, else both values."""
    if isinstance(got, tuple | list) and isinstance(expected, list):
        for index, (item, wanted) in enumerate(zip(got, expected)):
            if not same(item, wanted):
                return f"a list whose item {index} is {show(item)}, expected {show(wanted)}"
        if len(got) != len(expected):
            return f"{len(got)} items, expected {len(expected)}"
    return f"{show(got)}, expected {show(expected)}"

def say(**fields):
    print(MARK + json.dumps(fields), flush=True)

namespace = {"__name__": "solution"}
swallowed = io.StringIO()
try:
    with contextlib.redirect_stdout(swallowed):
        exec(compile(CODE, "solution.py", "exec"), namespace)
except BaseException as error:
    say(passed=0, first=f"running the code failed: {type(error).__name__}: {error}")
    raise SystemExit(0)
function = namespace.get(NAME)
passed, first = 0, None
for args, expected in TESTS:
    call = f"{NAME}({', '.join(show(arg) for arg in args)})"
    print(MARK + "calling " + call, flush=True)
    try:
        with contextlib.redirect_stdout(swallowed):
            got = function(*args)
    except BaseException as error:
        first = first or f"{call} raised {type(error).__name__}: {error}"
        continue
    if same(got, expected):
        passed += 1
    else:
        first = first or f"{call} returned {differ(got, expected)}"
say(passed=passed, first=first)
'''


def harness(code: str, function: str, tests: Sequence[Sequence[Any]], mark: str) -> str:
    return (f"CODE = {code!r}\nNAME = {function!r}\nMARK = {mark!r}\n"
            f"TESTS = {json.dumps([list(test) for test in tests])!r}\n"
            "import json as _json\nTESTS = _json.loads(TESTS)\n" + _HARNESS)


def clean(text: str) -> str:
    """One short line: no host paths, at most REASON_CHARS characters."""
    line = " ".join(_PATH.sub("", text).split())
    return line if len(line) <= REASON_CHARS else line[:REASON_CHARS - 3] + "..."


def run_tests(code: str, function: str, tests: Sequence[Sequence[Any]],
              limits: Limits = LIMITS) -> tuple[int, str | None]:
    """(tests passed, the first failure's reason or None) for `code` in the sandbox."""
    mark = f"bakeoff-result-{secrets.token_hex(8)}:"
    result = run_program(harness(code, function, tests, mark), limits)
    lines = [line[len(mark):] for line in result.stdout.splitlines() if line.startswith(mark)]
    if result.status == "error":
        raise SandboxUnavailable(f"the sandbox could not run the tests: {result.stderr[-200:]}")
    finals = [line for line in lines if line.startswith("{")]
    if finals:
        outcome = json.loads(finals[-1])
        return int(outcome["passed"]), (clean(outcome["first"]) if outcome["first"] else None)
    return 0, clean(_unfinished(result, lines, limits))


def _unfinished(result: SandboxResult, lines: Sequence[str], limits: Limits) -> str:
    """Why the harness never printed its result: a timeout (in which call) or a crash."""
    where = f" in {lines[-1].removeprefix('calling ')}" if lines else " before the first test"
    if result.status == "timeout":
        return f"timed out after {limits.timeout_s:g} s{where}"
    tail = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
    return f"the program ended{where}: {tail[0]}"


# --- the trial -----------------------------------------------------------------------------


def make_prompt(task: Task) -> str:
    (args, expected) = task.tests[0]
    call = f"{task.function}({', '.join(repr(arg) for arg in args)})"
    return (f"Write this Python function:\n\n    {task.signature}\n\n"
            f"It {task.description}.\nExample: {call} returns {expected!r}.\n\n"
            "Reply with the whole function in one ```python code block. Use only the standard "
            "library; no input(), no prints, no tests.")


class FunctionsTrial(SingleTurnTrial):
    info = TrialInfo(
        name="program_functions", category=CATEGORY,
        checker="the answer's function runs in the sandbox against 5-7 hidden tests; "
                "truths from a reference implementation",
        description="Small Python functions from seeded templates (names, constants and test "
                    "inputs vary); pass when every hidden test passes.",
        metrics=(PASS, TESTS_METRIC), full_count=20, quick_count=3)

    def __init__(self, limits: Limits = LIMITS) -> None:
        self.limits = limits

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        task = TEMPLATES[index % len(TEMPLATES)](case_rng(self.info.name, seed, index))
        truth = {"function": task.function, "template": task.template,
                 "tests": [[list(args), expected] for args, expected in task.tests]}
        return Case(id=f"{self.info.name}/{index}",
                    messages=(Message("user", make_prompt(task)),),
                    expected=json.dumps(truth, sort_keys=True),
                    config=GenerationConfig(max_tokens=MAX_TOKENS, temperature=0.0),
                    metadata=(("template", task.template),))

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        truth = case.truth()
        text = transcript.final.content if transcript.answers else ""
        code = extract_code(text, truth["function"])
        total = len(truth["tests"])
        problem = static_problem(code, truth["function"])
        if problem is not None:
            return _checks(0, total, problem)
        passed, first = run_tests(code, truth["function"], truth["tests"], self.limits)
        return _checks(passed, total, first)


def _checks(passed: int, total: int, first: str | None) -> list[Check]:
    share = f"{passed}/{total} hidden tests passed"
    reason = share if first is None else f"{first} ({share})"
    return [Check.of(passed == total and first is None, reason),
            Check(TESTS_METRIC, passed / total, reason)]


TRIALS: tuple[Trial, ...] = (FunctionsTrial(),)
