from __future__ import annotations

import json
from pathlib import Path

import pytest

from bakeoff.benchmarks.humaneval import (
    METRIC,
    STOP_SEQUENCES,
    HumanEval,
    check_program,
    installed_data_file,
    solution_code,
)
from bakeoff.scoring.sandbox import SandboxUnavailable, check_available
from bakeoff.types import Abilities, Completion, GenerationRequest, Sample, Timing, Usage

COMPLETIONS = Abilities(loglikelihood=False, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")

PROMPT = (
    "from typing import List\n\n\n"
    "def total(numbers: List[int]) -> int:\n"
    '    """ Sum of the numbers.\n    >>> total([1, 2])\n    3\n    """\n'
)
ROW = {
    "task_id": "HumanEval/7",
    "prompt": PROMPT,
    "canonical_solution": "    return sum(numbers)\n",
    "test": "\n\ndef check(candidate):\n    assert candidate([1, 2]) == 3\n"
            "    assert candidate([]) == 0\n",
    "entry_point": "total",
}


def needs_sandbox() -> None:
    try:
        check_available()
    except SandboxUnavailable as error:  # pragma: no cover - CI runs as root
        pytest.skip(str(error))


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def tiny() -> tuple[HumanEval, Sample]:
    benchmark = HumanEval(rows=[ROW], timeout_s=5.0)
    [sample] = benchmark.load_samples()
    return benchmark, sample


# --- data ----------------------------------------------------------------------------------


def test_the_installed_package_holds_all_164_problems() -> None:
    assert installed_data_file() is not None
    samples = HumanEval().load_samples()
    assert len(samples) == 164
    assert samples[0].id == "humaneval/0"
    assert samples[0].input.startswith("from typing import List")
    assert samples[0].meta("entry_point") == "has_close_elements"
    assert len(HumanEval().load_samples(limit=3)) == 3


def test_a_user_file_in_the_hub_schema_is_read(tmp_path: Path) -> None:
    data_file = tmp_path / "humaneval.jsonl"
    data_file.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    [sample] = HumanEval(data_file=data_file).load_samples()
    assert sample.id == "humaneval/7"
    assert sample.input == PROMPT
    assert sample.target == ROW["canonical_solution"]


# --- requests ------------------------------------------------------------------------------


def test_completions_request_is_lm_eval_greedy_with_its_stops() -> None:
    benchmark, sample = tiny()
    [request] = benchmark.requests(sample, COMPLETIONS)
    assert isinstance(request, GenerationRequest)
    assert request.prompt == PROMPT
    assert request.config.temperature == 0.0
    assert request.config.max_tokens == 1024
    assert request.config.stop == ("\nclass", "\ndef", "\n#", "\nif", "\nprint")


def test_sampling_adds_n_seeded_requests() -> None:
    benchmark = HumanEval(samples_per_problem=3, rows=[ROW])
    requests = benchmark.requests(benchmark.load_samples()[0], COMPLETIONS)
    assert len(requests) == 4
    sampled = [r.config for r in requests[1:] if isinstance(r, GenerationRequest)]
    assert [c.seed for c in sampled] == [1, 2, 3]
    assert {(c.temperature, c.top_p) for c in sampled} == {(0.8, 0.95)}
    assert benchmark.ks == (1,)
    assert benchmark.metrics == ("pass@1", "pass@1,sampled")


def test_chat_request_asks_for_the_function_without_stops() -> None:
    benchmark, sample = tiny()
    [request] = benchmark.requests(sample, CHAT)
    assert isinstance(request, GenerationRequest)
    assert request.messages[0].content == (
        "Write a solution to the following problem and make sure that it passes the tests:\n"
        f"```python\n{PROMPT}\n```\n")
    assert request.config.stop == ()


@pytest.mark.parametrize(("n", "ks"), [(1, (1,)), (5, (6,)), (5, (0,)), (0, None)])
def test_impossible_sampling_settings_are_errors(n: int, ks: tuple[int, ...] | None) -> None:
    with pytest.raises(ValueError):
        HumanEval(samples_per_problem=n, ks=ks)


# --- programs ------------------------------------------------------------------------------


def test_a_continuation_is_cut_at_the_stop_sequences() -> None:
    code = solution_code(PROMPT, "total", "    return sum(numbers)\n\ndef extra():\n    pass")
    assert code == PROMPT + "    return sum(numbers)\n"
    assert STOP_SEQUENCES[1] == "\ndef"


def test_a_chat_reply_with_the_whole_function_follows_the_prompt() -> None:
    reply = ("Sure:\n```python\ndef total(numbers):\n    return sum(numbers)\n```\n"
             "```python\nprint('second block ignored')\n```")
    code = solution_code(PROMPT, "total", reply)
    assert code == PROMPT + "\ndef total(numbers):\n    return sum(numbers)\n"


def test_a_chat_reply_with_only_the_body_completes_the_prompt() -> None:
    code = solution_code(PROMPT, "total", "```\n    return sum(numbers)\n```")
    assert code == PROMPT + "    return sum(numbers)\n"


def test_the_check_program_is_human_evals() -> None:
    benchmark, _ = tiny()
    problem = benchmark.problems()["humaneval/7"]
    program = check_program(problem, PROMPT + "    return 0\n")
    assert program == PROMPT + "    return 0\n" + "\n" + ROW["test"] + "\ncheck(total)\n"


# --- scores from real sandbox runs ---------------------------------------------------------


def test_the_canonical_solution_passes_and_a_wrong_one_fails() -> None:
    needs_sandbox()
    benchmark, sample = tiny()
    right = benchmark.score(sample, [completion(ROW["canonical_solution"])])
    wrong = benchmark.score(sample, [completion("    return 0\n")])
    assert (right.metric, right.value, right.extracted) == (METRIC, 1.0, "passed")
    assert wrong.value == 0.0
    assert wrong.extracted is not None and wrong.extracted.startswith("failed: AssertionError")


def test_chat_replies_are_scored() -> None:
    needs_sandbox()
    benchmark, sample = tiny()
    reply = "```python\ndef total(numbers):\n    return sum(numbers)\n```"
    assert benchmark.score(sample, [completion(reply)]).value == 1.0


def test_a_hanging_completion_times_out() -> None:
    needs_sandbox()
    benchmark = HumanEval(rows=[ROW], timeout_s=1.0)
    [sample] = benchmark.load_samples()
    score = benchmark.score(sample, [completion("    while True:\n        pass\n")])
    assert (score.value, score.extracted) == (0.0, "timeout")


def test_pass_at_k_from_sampled_completions() -> None:
    needs_sandbox()
    benchmark = HumanEval(samples_per_problem=3, ks=(1, 2, 3), rows=[ROW], timeout_s=5.0)
    [sample] = benchmark.load_samples()
    right, wrong = completion(ROW["canonical_solution"]), completion("    return -1\n")
    scores = benchmark.score_all(sample, [wrong, right, wrong, wrong])
    assert [s.metric for s in scores] == ["pass@1", "pass@1,sampled", "pass@2,sampled",
                                          "pass@3,sampled"]
    assert [s.value for s in scores] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert scores[1].extracted == "1/3 passed"


def test_real_problems_pass_with_their_canonical_solutions() -> None:
    needs_sandbox()
    benchmark = HumanEval()
    for sample in benchmark.load_samples(limit=3):
        assert benchmark.score(sample, [completion(sample.target)]).value == 1.0
