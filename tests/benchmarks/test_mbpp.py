from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bakeoff.benchmarks.data import DataUnavailable
from bakeoff.benchmarks.mbpp import MBPP, METRIC, answer_code, check_program
from bakeoff.scoring.sandbox import SandboxUnavailable, check_available
from bakeoff.types import Abilities, Completion, GenerationRequest, Timing, Usage

COMPLETIONS = Abilities(loglikelihood=False, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")

# Two rows in the hub schema of google-research-datasets/mbpp (config "full"), made up here.
ROWS: list[dict[str, Any]] = [
    {
        "task_id": 11,
        "text": "Write a python function to add two numbers.",
        "code": "def add(a, b):\r\n  return a + b",
        "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0",
                      "assert add(-1, 1) == 0"],
        "test_setup_code": "",
        "challenge_test_list": [],
    },
    {
        "task_id": 12,
        "text": "Write a function to reverse a string.",
        "code": "def reverse(s):\r\n  return s[::-1]",
        "test_list": ["assert reverse('ab') == 'ba'", "assert reverse('') == ''",
                      "assert reverse('abc') == 'cba'"],
        "test_setup_code": "",
        "challenge_test_list": ["assert reverse('x') == 'x'"],
    },
]

SHOT_2 = (
    "You are an expert Python programmer, and here is your task: Write a function to find the "
    "similar elements from the given two tuple lists. Your code should pass these tests:\n\n"
    "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n"
    "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\n"
    "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)\n[BEGIN]\n"
    "def similar_elements(test_tup1, test_tup2):\r\n"
    "  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) \n[DONE]\n\n"
)
ITEM_11 = (
    "You are an expert Python programmer, and here is your task: Write a python function to "
    "add two numbers. Your code should pass these tests:\n\n"
    "assert add(1, 2) == 3\nassert add(0, 0) == 0\nassert add(-1, 1) == 0\n[BEGIN]\n"
)


def needs_sandbox() -> None:
    try:
        check_available()
    except SandboxUnavailable as error:  # pragma: no cover - CI runs as root
        pytest.skip(str(error))


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def test_prompt_is_lm_evals_three_shot_layout() -> None:
    [sample, _] = MBPP(rows=ROWS).load_samples()
    assert sample.id == "mbpp/11"
    assert sample.input.startswith(SHOT_2)
    assert sample.input.endswith("[DONE]\n\n" + ITEM_11)
    assert sample.input.count("[DONE]") == 3
    assert "is_not_prime" in sample.input and "heap_queue_largest" in sample.input


def test_a_user_file_goes_through_the_loader(tmp_path: Path) -> None:
    data_file = tmp_path / "mbpp.jsonl"
    data_file.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    samples = MBPP(data_file=data_file).load_samples(limit=1)
    assert [s.id for s in samples] == ["mbpp/11"]


def test_a_row_without_three_tests_is_a_data_error() -> None:
    row = {**ROWS[0], "test_list": ["assert add(1, 2) == 3"]}
    with pytest.raises(DataUnavailable):
        MBPP(rows=[row]).load_samples()


def test_requests_are_greedy_and_stop_at_done() -> None:
    benchmark = MBPP(rows=ROWS)
    sample = benchmark.load_samples()[0]
    [request] = benchmark.requests(sample, COMPLETIONS)
    assert isinstance(request, GenerationRequest)
    assert request.prompt == sample.input
    assert (request.config.temperature, request.config.stop) == (0.0, ("[DONE]",))
    [chat] = benchmark.requests(sample, CHAT)
    assert isinstance(chat, GenerationRequest)
    assert [m.role for m in chat.messages] == ["user", "assistant"] * 3 + ["user"]
    assert chat.messages[-1].content == ITEM_11
    assert chat.messages[1].content.endswith("return (res) \n[DONE]")


@pytest.mark.parametrize(("text", "code"), [
    ("def add(a, b):\n  return a + b\n[DONE]\nmore", "def add(a, b):\n  return a + b\n"),
    ("[BEGIN]\ndef f():\n  pass", "def f():\n  pass"),
    ("Here:\n```python\ndef f():\n  pass\n```\n[DONE]", "def f():\n  pass\n"),
])
def test_answer_code(text: str, code: str) -> None:
    assert answer_code(text) == code


def test_the_check_program_is_answer_then_the_three_asserts() -> None:
    task = MBPP(rows=ROWS).tasks()["mbpp/12"]
    assert check_program(task, "CODE") == (
        "CODE\nassert reverse('ab') == 'ba'\nassert reverse('') == ''\n"
        "assert reverse('abc') == 'cba'\n")


def test_reference_code_passes_and_wrong_code_fails_in_the_sandbox() -> None:
    needs_sandbox()
    benchmark = MBPP(rows=ROWS, timeout_s=5.0)
    add, reverse = benchmark.load_samples()
    right = benchmark.score(add, [completion(add.target + "\n[DONE]")])
    wrong = benchmark.score(reverse, [completion("def reverse(s):\n  return s\n")])
    assert (right.metric, right.value, right.extracted) == (METRIC, 1.0, "passed")
    assert wrong.value == 0.0
    assert wrong.extracted is not None and "AssertionError" in wrong.extracted
