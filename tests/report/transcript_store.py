"""Stored results for the transcript and chart views, written through the Store API.

Two models, both cards at 0.5B parameters, so their chart labels would fall on each other:
- mmlu acc, 15 five-shot items in 15 subjects: "ll" scored by log-likelihood (one completion
  per choice, each with its log p), "gen" generative, whose first answer is one long unbroken
  string;
- gsm8k, 4 items, both generative, with two metrics (flexible-extract, the primary, and
  strict-match), the same score for both: a mean score counts GSM8K once.
"""

from __future__ import annotations

from pathlib import Path

from bakeoff.store import Store
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    Sample,
    Score,
    Timing,
    Usage,
)

SUBJECTS = [f"subject_{i:02d}" for i in range(15)]
LONG_ANSWER = "x" * 4000
SPEC = {"total_params": 500_000_000}
PLAN = {"models": [{"name": "ll", "spec": SPEC}, {"name": "gen", "spec": SPEC}],
        "benchmarks": [{"name": "mmlu"}, {"name": "gsm8k"}]}
FLEXIBLE, STRICT = "exact_match,flexible-extract", "exact_match,strict-match"
EXAMPLES = ("The following are multiple choice questions (with answers) about things.\n\n"
            "Which is first?\nA. one\nB. two\nC. three\nD. four\nAnswer: A")


def question(i: int) -> str:
    return f"Which choice is item {i} about?\nA. red\nB. green\nC. blue\nD. grey\nAnswer:"


def build_transcript_store(path: Path) -> tuple[Store, int]:
    store = Store(path)
    run_id = store.create_run("transcripts", "quick", PLAN, {"bakeoff": "0.1.0"})
    store.put_samples("mmlu", [Sample(f"mmlu/{i}", f"{EXAMPLES}\n\n{question(i)}", "B",
                                      ("A", "B", "C", "D"), (("subject", SUBJECTS[i]),))
                               for i in range(15)])
    store.put_samples("gsm8k", [Sample(f"gsm8k/{i}", f"Question: 1+1?\nAnswer: 2\n\n"
                                                     f"Question: {i}+1?\nAnswer:", str(i + 1))
                                for i in range(4)])
    timing = Timing(started=0.0, finished=1.0, first_token=0.5)
    for i in range(15):
        keys = []
        for letter, logprob in zip("ABCD", (-2.5, -0.25 - i / 100, -1.5, -3.0), strict=True):
            key = f"ll-{i}-{letter}"
            store.put_completion(key, "llama-cpp", "ll", LoglikelihoodRequest(
                question(i), f" {letter}"), Completion("", Usage(0, 0, "none"), timing,
                                                       logprob=logprob))
            keys.append(key)
        store.put_scores(run_id, "ll", "mmlu", "loglikelihood", 5,
                         [Score(f"mmlu/{i}", "acc", 1.0, "B")], keys)
        store.put_completion(f"gen-{i}", "openai", "gen", _request(i),
                             Completion(LONG_ANSWER if i == 0 else "C", Usage(10, 1), timing))
        store.put_scores(run_id, "gen", "mmlu", "generative", 5,
                         [Score(f"mmlu/{i}", "acc", 0.0, "C")], [f"gen-{i}"])
    for model, right in (("ll", {0, 1, 2}), ("gen", {0, 1, 2})):
        for i in range(4):
            key = f"{model}-gsm8k-{i}"
            store.put_completion(key, "openai", model, _request(100 + i),
                                 Completion(str(i + 1), Usage(10, 2), timing))
            store.put_scores(run_id, model, "gsm8k", "generative", 1, [
                Score(f"gsm8k/{i}", FLEXIBLE, float(i in right), str(i + 1)),
                Score(f"gsm8k/{i}", STRICT, 0.0, None)], [key])
    store.set_run_status(run_id, "finished")
    return store, run_id


def _request(i: int) -> GenerationRequest:
    return GenerationRequest(config=GenerationConfig(max_tokens=8),
                             messages=(Message("user", question(i)),))
