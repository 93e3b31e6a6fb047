"""Stored hands-on trial results, written through the Store API, for the report tests.

The trials are stand-ins registered under names of their own (`register_trials`, for the
length of a test), so the figures do not depend on which trial families are registered. Three
models; every figure below is what the tests compute by hand.

- mmlu acc (a standard benchmark, 10 items): alpha 8 right, beta 5 (alpha alone on 3: p = 0.25).
- Logic puzzles, pz_doors (20 cases, chat): alpha passes 18, beta 4 (alpha alone on 14:
  McNemar p = 2 / 2^14 < 0.001).
- Function calling, native tools for alpha and beta, prompted tools for gamma:
  fc_single (20): alpha passes 0-17, fails 18 "wrong_value: ..." and 19 with a reason that names
  no rule; beta passes 0-5, fails 6-13 "missing_argument: city", 14-19 "wrong_function: ...";
  gamma (prompted) passes 0-9, fails 10-18 "unparseable: ...", and case 19 ended in a timeout.
  fc_parallel (20, alpha and beta only): alpha passes 0-15, fails 16-19 "wrong_count: ...";
  beta passes 0-4 and 16, fails 5-14 "wrong_count: ...", 15 and 17-19 "missing_argument: unit".
  Pooled alpha vs beta: 34/40 vs 12/40, alpha alone on 23, beta alone on 1.
- Long context, lc_needle (18 cases, a 3 x 3 grid of length 1024/2048/4096 by depth 0/0.5/1,
  two cases a cell): alpha fails 15 (4096, 0.5) and 16-17 (4096, 1.0); beta passes 0-3 and 6-7
  and did not run 12-17 (4096 tokens: longer than its window, "unsupported").
- Languages: lang_tasks (8 cases, 0-3 "de", 4-7 "fr"; metrics pass, correct, in_language) and
  lang_it (2 cases without a language in their metadata; the trial's one language is "it").
- legacy_check (4 cases): a trial of an older run the registry does not know: category Other.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from bakeoff.store import Store
from bakeoff.trials.base import TrialInfo
from bakeoff.trials.registry import TRIALS
from bakeoff.types import ErrorRecord, Message, Sample, Score, ToolCall

CREATED_AT = 1_700_000_000.0
MODELS = [{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]
ENVIRONMENT = {"bakeoff": "0.1.0", "python": "3.11.9"}
LONG_PROMPT = "filler " * 1500 + "What is the storage code?"  # 10,525 characters


@dataclass(frozen=True)
class StandIn:
    """A registered trial as the report sees it: its info."""

    info: TrialInfo


INFOS = [
    TrialInfo("pz_doors", "Logic puzzles", "the door", "three doors"),
    TrialInfo("fc_single", "Function calling", "calls match", "one call"),
    TrialInfo("fc_parallel", "Function calling", "calls match", "parallel calls"),
    TrialInfo("lc_needle", "Long context", "string match", "a needle"),
    TrialInfo("lang_tasks", "Languages", "task and language", "small tasks",
              metrics=("pass", "correct", "in_language"), languages=("de", "fr")),
    TrialInfo("lang_it", "Languages", "task", "Italian", languages=("it",)),
]


def register_trials(monkeypatch: pytest.MonkeyPatch) -> None:
    for info in INFOS:
        monkeypatch.setitem(TRIALS, info.name, StandIn(info))


def lc_cell(index: int) -> tuple[int, float]:
    return (1024, 2048, 4096)[index // 6], (0.0, 0.5, 1.0)[(index // 2) % 3]


def build_trial_store(path: Path) -> tuple[Store, int]:
    store = Store(path)
    names = ["mmlu", *[i.name for i in INFOS], "legacy_check"]
    run_id = store.create_run("plan-trials", "quick",
                              {"models": MODELS, "benchmarks": [{"name": n} for n in names]},
                              ENVIRONMENT)
    for model, right in (("alpha", range(8)), ("beta", range(5))):
        for i in range(10):
            store.put_scores(run_id, model, "mmlu", "generative", 5,
                             [Score(f"mmlu/{i}", "acc", 1.0 if i in right else 0.0)], [])

    _pass_fail(store, run_id, "pz_doors", 20, {"alpha": ("chat", set(range(18))),
                                               "beta": ("chat", set(range(4)))},
               lambda model, i: "the wrong door")
    _pass_fail(store, run_id, "fc_single", 20, {
        "alpha": ("native tools", set(range(18))), "beta": ("native tools", set(range(6))),
        "gamma": ("prompted tools", set(range(10)))}, _single_reason, skip={("gamma", 19)})
    store.put_error(run_id, "gamma", "fc_single", "fc_single/19",
                    ErrorRecord("timeout", "timed out after 60 s", 3))
    _pass_fail(store, run_id, "fc_parallel", 20, {
        "alpha": ("native tools", set(range(16))),
        "beta": ("native tools", set(range(5)) | {16})}, _parallel_reason)
    _pass_fail(store, run_id, "lc_needle", 18, {
        "alpha": ("chat", set(range(18)) - {15, 16, 17}),
        "beta": ("chat", {0, 1, 2, 3, 6, 7})},
        lambda model, i: "missing 1 of 1: 4821937", skip={("beta", i) for i in range(12, 18)})
    for i in range(12, 18):
        store.put_error(run_id, "beta", "lc_needle", f"lc_needle/{i}", ErrorRecord(
            "unsupported", f"lc_needle/{i} needs about 4096 tokens; the model's context window "
            "is 2048"))
    _languages(store, run_id)
    _pass_fail(store, run_id, "legacy_check", 4, {"alpha": ("chat", {0, 1, 2}),
                                                  "beta": ("chat", {0})},
               lambda model, i: "contains: 'Paris' not found")
    store.set_run_status(run_id, "finished")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET created_at = ?, finished_at = ? WHERE id = ?",
                   (CREATED_AT, CREATED_AT + 100, run_id))
    return store, run_id


def _single_reason(model: str, i: int) -> str:
    if model == "alpha":
        return "wrong_value: city 'Paris' is not 'Oslo'" if i == 18 else "the answer has no call"
    if model == "beta":
        return "missing_argument: city" if i < 14 else "wrong_function: get_time, not get_weather"
    return "unparseable: no JSON object in the answer"


def _parallel_reason(model: str, i: int) -> str:
    if model == "beta" and i in (15, 17, 18, 19):
        return "missing_argument: unit"
    return "wrong_count: 1 call, expected 2"


def _pass_fail(store: Store, run_id: int, trial: str, cases: int,
               results: dict[str, tuple[str, set[int]]], reason: object,
               skip: set[tuple[str, int]] | None = None) -> None:
    store.put_samples(trial, [_sample(trial, i) for i in range(cases)])
    for model, (mode, passed) in results.items():
        for i in range(cases):
            if (model, i) in (skip or set()):
                continue
            ok = i in passed
            why = "passed" if ok else reason(model, i)  # type: ignore[operator]
            store.put_trial_result(run_id, model, trial, mode,
                                   [Score(f"{trial}/{i}", "pass", 1.0 if ok else 0.0, why)],
                                   [], _chat(trial, i, model, ok))


def _sample(trial: str, i: int) -> Sample:
    metadata: tuple[tuple[str, str], ...] = ()
    if trial == "lc_needle":
        length, depth = lc_cell(i)
        metadata = (("length", str(length)), ("depth", str(depth)))
    elif trial.startswith("fc_"):
        metadata = (("category", trial.removeprefix("fc_")),)
    elif trial == "lang_tasks":
        metadata = (("language", "de" if i < 4 else "fr"),)
    prompt = LONG_PROMPT if trial == "lc_needle" else f"{trial} case {i}"
    return Sample(f"{trial}/{i}", f"[user] {prompt}", json.dumps({"case": i}), (), metadata)


def _chat(trial: str, i: int, model: str, ok: bool) -> list[Message]:
    if trial == "fc_single" and i == 0:
        call = ToolCall("call_1", "get_weather", '{"city": "Oslo"}')
        return [Message("system", "You can call tools."),
                Message("user", "What is the weather in Oslo?"),
                Message("assistant", "", tool_calls=(call,)),
                Message("tool", '{"temp_c": 3}', tool_call_id="call_1"),
                Message("assistant", f"It is 3 °C in Oslo ({model}).")]
    prompt = LONG_PROMPT if trial == "lc_needle" else f"{trial} case {i}"
    return [Message("user", prompt), Message("assistant", "right" if ok else "wrong")]


# lang_tasks: model -> case -> (pass, correct, in_language)
LANG_TASKS = {
    "alpha": [(1, 1, 1), (1, 1, 1), (1, 1, 1), (0, 1, 0), (1, 1, 1), (1, 1, 1), (0, 0, 1),
              (0, 0, 1)],
    "beta": [(1, 1, 1), (1, 1, 1), (0, 0, 1), (0, 0, 1), (1, 1, 1), (0, 0, 1), (0, 0, 0),
             (0, 0, 0)],
}


def _languages(store: Store, run_id: int) -> None:
    store.put_samples("lang_tasks", [_sample("lang_tasks", i) for i in range(8)])
    for model, cases in LANG_TASKS.items():
        for i, (passed, correct, in_language) in enumerate(cases):
            case = f"lang_tasks/{i}"
            store.put_trial_result(run_id, model, "lang_tasks", "chat", [
                Score(case, "pass", float(passed), "pass: both" if passed else "pass: not both"),
                Score(case, "correct", float(correct), "correct: checked"),
                Score(case, "in_language", float(in_language), "in_language: identified")],
                [], _chat("lang_tasks", i, model, bool(passed)))
    _pass_fail(store, run_id, "lang_it", 2, {"alpha": ("chat", {0, 1}), "beta": ("chat", set())},
               lambda model, i: "wrong answer")
