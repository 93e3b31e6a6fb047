"""ARC-Challenge (Clark et al.): grade-school science questions, acc and acc_norm.

Follows lm-evaluation-harness's `arc_challenge` task (version 1.0): test split evaluated,
shots from the train split; the prompt is "Question: {question}\\nAnswer:" and each answer
text is scored as the continuation " {text}"; acc_norm (the headline number) divides each
log-likelihood by the answer's length in characters. The gold index is the position of
`answerKey` among `choices.label` (labels are "A".."E" or "1".."5"; some items have 3 or 5
choices). Two variants: 25-shot (Open LLM Leaderboard) and 5-shot. Shots replay lm-eval's
sampler over the train split (seed 1234, exactly k drawn per item: the task has a test split).

No offline copy of ARC exists on PyPI: the hub or a user's file (hub schema) is the source.
When the train split cannot be loaded, the shots come from the evaluated items, each left
out of its own shots. Generative mode letters the choices A, B, C... whatever their labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo
from bakeoff.benchmarks.choice import (
    ACC,
    ACC_NORM,
    ChoiceBenchmark,
    ChoiceDoc,
    DataPlan,
    ShotPolicy,
)
from bakeoff.benchmarks.data import HubSource

HUB_PATH = "allenai/ai2_arc"
HUB_CONFIG = "ARC-Challenge"
HUB_REVISION = "210d026faf9955653af8916fad021475a3f00453"
TEST = HubSource(HUB_PATH, "test", HUB_REVISION, HUB_CONFIG)
TRAIN = HubSource(HUB_PATH, "train", HUB_REVISION, HUB_CONFIG)
METRICS = (ACC_NORM, ACC)


def format_question(question: str) -> str:
    """lm-eval's doc_to_text (the question is not stripped)."""
    return f"Question: {question}\nAnswer:"


def to_doc(row: Mapping[str, Any]) -> ChoiceDoc:
    texts = tuple(str(text) for text in row["choices"]["text"])
    labels = [str(label) for label in row["choices"]["label"]]
    answer = str(row["answerKey"])
    return ChoiceDoc(
        key=str(row["id"]),
        text=format_question(str(row["question"])),
        choices=texts,
        gold=labels.index(answer) if answer in labels else None,
        question=f"Question: {row['question']}",
        options=texts,
    )


def to_docs(rows: Sequence[Mapping[str, Any]]) -> list[ChoiceDoc]:
    return [to_doc(row) for row in rows]


class ARCChallenge(ChoiceBenchmark):
    def __init__(self, num_shots: int = 5, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 shot_rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        """`rows` / `shot_rows` (hub schema) replace the test / train splits."""
        name = "arc_challenge" if num_shots == 5 else f"arc_challenge_{num_shots}"
        super().__init__(
            info=BenchmarkInfo(
                name=name,
                shots=num_shots,
                metric=ACC_NORM,
                description=f"ARC-Challenge test, {num_shots}-shot from train (lm-eval sampler)",
                source=TEST.describe(),
            ),
            metrics=METRICS,
            plan=DataPlan(eval_sources=(TEST,), shot_sources=(TRAIN,)),
            shots=ShotPolicy(num_shots, "random", draw_extra=False),
            to_docs=to_docs,
            data_file=data_file,
            rows=rows,
            shot_rows=shot_rows,
        )


def arc_challenge(data_file: Path | None = None) -> ARCChallenge:
    """The 5-shot variant, registered as "arc_challenge"."""
    return ARCChallenge(num_shots=5, data_file=data_file)


def arc_challenge_25(data_file: Path | None = None) -> ARCChallenge:
    """The 25-shot variant (Open LLM Leaderboard), registered as "arc_challenge_25"."""
    return ARCChallenge(num_shots=25, data_file=data_file)
