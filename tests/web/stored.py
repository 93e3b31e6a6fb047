"""A store for the server's tests, written through the Store API (no model is called).

Three models (orca-13b, pika-7b, wren-3b; names that never occur in an answer's text).

- Run 1: `open_ended`, a judged trial (registered as a stand-in by `register_judged`): 3
  cases, each answered by all three models (9 contests); mmlu (10 items, with the prompts
  and each answer's completion): orca and wren right on 0-3, pika on 0-4 (item 4 is the only
  item where they disagree); pika's item 9 ended in a timeout.
- Run 2: mmlu again, orca right on all 10 (6 more than run 1, never fewer: McNemar p =
  2/2^6 = 0.03125), pika right on 0-5 (one more: p = 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bakeoff.store import Store
from bakeoff.trials.base import TrialInfo
from bakeoff.trials.registry import TRIALS
from bakeoff.types import (
    Completion,
    ErrorRecord,
    GenerationConfig,
    GenerationRequest,
    Message,
    Sample,
    Score,
    Timing,
    Usage,
)

MODELS = ("orca-13b", "pika-7b", "wren-3b")
JUDGED = "open_ended"
CASES = 3
PLAN = {"models": [{"name": m} for m in MODELS],
        "benchmarks": [{"name": JUDGED}, {"name": "mmlu"}]}
RUN_1_RIGHT = {"orca-13b": set(range(4)), "pika-7b": set(range(5)), "wren-3b": set(range(4))}
RUN_2_RIGHT = {"orca-13b": set(range(10)), "pika-7b": set(range(6))}


@dataclass(frozen=True)
class JudgedStandIn:
    info: TrialInfo


def register_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    """`open_ended` as a judged trial, for the length of a test."""
    info = TrialInfo(JUDGED, "Open-ended answers", "pairwise verdicts", "open prompts",
                     metrics=("answered",), judged=True)
    monkeypatch.setitem(TRIALS, JUDGED, JudgedStandIn(info))


def prompt(case: int) -> str:
    return f"Describe a quiet harbour at dawn, scene {case}."


def answer(model: str, case: int) -> str:
    """Each model's answer, told apart by a number that is not its name."""
    return f"Answer {MODELS.index(model) + 1} to scene {case}: gulls, still water, rope."


def build_store(path: Path | str) -> tuple[int, int]:
    """Write both runs; returns their ids."""
    store = Store(path)
    try:
        store.put_samples("mmlu", [Sample(f"mmlu/{i}", f"Question {i}: pick one.", "A",
                                          ("yes", "no")) for i in range(10)])
        first = store.create_run("plan-1", "quick", PLAN, {})
        _open_ended(store, first)
        _mmlu(store, first, RUN_1_RIGHT)
        store.put_error(first, "pika-7b", "mmlu", "mmlu/9",
                        ErrorRecord("timeout", "timed out after 60 s", 3))
        store.set_run_status(first, "finished")
        second = store.create_run("plan-2", "quick", PLAN, {})
        _mmlu(store, second, RUN_2_RIGHT)
        store.set_run_status(second, "finished")
    finally:
        store.close()
    return first, second


def _open_ended(store: Store, run_id: int) -> None:
    for case in range(CASES):
        for model in MODELS:
            chat = (Message("system", "Answer in one sentence."), Message("user", prompt(case)),
                    Message("assistant", answer(model, case)))
            store.put_trial_result(run_id, model, JUDGED, "chat",
                                   [Score(f"{JUDGED}/{case}", "answered", 1.0)],
                                   [f"oe-{model}-{case}"], chat)


def _mmlu(store: Store, run_id: int, right: dict[str, set[int]]) -> None:
    for model, passed in right.items():
        for i in range(10):
            if model == "pika-7b" and i == 9 and run_id == 1:
                continue
            key = f"mmlu-{run_id}-{model}-{i}"
            letter = "A" if i in passed else "B"
            store.put_completion(key, "openai", model, GenerationRequest(
                config=GenerationConfig(max_tokens=4),
                messages=(Message("user", f"Question {i}"),)),
                Completion(f"The answer is {letter} (run {run_id}, item {i})",
                           Usage(20, 5), Timing(1.0, 2.0, 1.5), "stop"))
            store.put_scores(run_id, model, "mmlu", "generative", 5,
                             [Score(f"mmlu/{i}", "acc", 1.0 if i in passed else 0.0, letter)],
                             [key])
