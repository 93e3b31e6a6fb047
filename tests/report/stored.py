"""A fixed set of stored results, written through the Store API, for the report tests.

Three models on three benchmark metrics:
- mmlu acc (right/wrong, 40 items): alpha 30 right, beta 18, gamma 20 but in loglikelihood
  mode; alpha alone right on 15 items, beta alone on 3 (McNemar p ≈ 0.0075).
- gsm8k exact_match (20 items, alpha and beta): 11 against 9, discordant 3 and 1 (p = 0.625).
- humaneval pass@5 (continuous, 10 items): alpha ahead on every item but one; beta's last
  item ended in an error, so the pair is compared on 9 items.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bakeoff.store import Store
from bakeoff.types import (
    Completion,
    ErrorRecord,
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    Score,
    Timing,
    Usage,
)

CREATED_AT = 1_700_000_000.0  # 2023-11-14 22:13 UTC
MODELS = [
    {"name": "alpha", "price_input_per_mtok": 1.0, "price_output_per_mtok": 2.0},
    {"name": "beta"},
    {"name": "gamma"},
]
PLAN = {"models": MODELS, "benchmarks": [{"name": "mmlu"}, {"name": "gsm8k"},
                                         {"name": "humaneval"}]}
ENVIRONMENT = {"bakeoff": "0.1.0", "python": "3.11.9"}

MMLU_RIGHT = {"alpha": set(range(30)), "beta": set(range(15)) | {30, 31, 32},
              "gamma": set(range(20))}
GSM8K_RIGHT = {"alpha": set(range(11)), "beta": set(range(8)) | {11}}
PASS_AT_5 = {
    "alpha": [1.0, 0.8, 0.6, 1.0, 0.4, 0.9, 0.7, 0.5, 0.3, 0.2],
    "beta": [0.6, 0.4, 0.6, 0.8, 0.2, 0.5, 0.3, 0.4, 0.1],
}


def build_store(path: Path) -> tuple[Store, int]:
    """A store holding one finished run of the results above; returns (store, run id)."""
    store = Store(path)
    run_id = store.create_run("plan-hash", "quick", PLAN, ENVIRONMENT)
    keys = _put_completions(store)
    for model, right in MMLU_RIGHT.items():
        mode = "loglikelihood" if model == "gamma" else "generative"
        _put_right_wrong(store, run_id, model, "mmlu", "acc", mode, 5, right, 40, keys[model])
    for model, right in GSM8K_RIGHT.items():
        _put_right_wrong(store, run_id, model, "gsm8k", "exact_match", "generative", 5, right,
                         20, keys[model])
    for model, values in PASS_AT_5.items():
        for i, value in enumerate(values):
            store.put_scores(run_id, model, "humaneval", "generative", 0,
                             [Score(f"humaneval/{i}", "pass@5", value)], [keys[model]])
    store.put_error(run_id, "beta", "humaneval", "humaneval/9",
                    ErrorRecord("timeout", "timed out after 60 s", 3))
    store.set_run_status(run_id, "finished")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET created_at = ? WHERE id = ?", (CREATED_AT, run_id))
    return store, run_id


def _put_right_wrong(store: Store, run_id: int, model: str, benchmark: str, metric: str,
                     mode: str, shots: int, right: set[int], items: int, key: str) -> None:
    for i in range(items):
        score = Score(f"{benchmark}/{i}", metric, 1.0 if i in right else 0.0,
                      "A" if i in right else "B")
        store.put_scores(run_id, model, benchmark, mode, shots, [score], [key])


def _put_completions(store: Store) -> dict[str, str]:
    timing = Timing(started=100.0, finished=102.5, first_token=100.5)
    generate = GenerationRequest(config=GenerationConfig(max_tokens=8),
                                 messages=(Message("user", "2+2?"),))
    store.put_completion("k-alpha", "openai", "alpha", generate,
                         Completion("4", Usage(1200, 300), timing, "stop"))
    store.put_completion("k-beta", "openai", "beta", generate,
                         Completion("four", Usage(1000, 450, "estimate"), timing, "stop"))
    store.put_completion("k-gamma", "llama-cpp", "gamma", LoglikelihoodRequest("2+2=", "4"),
                         Completion("", Usage(0, 0, "none"), Timing(100.0, 100.2),
                                    logprob=-0.5))
    return {"alpha": "k-alpha", "beta": "k-beta", "gamma": "k-gamma"}
