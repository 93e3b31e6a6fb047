"""NaturalQuestions-open (Lee et al.): 5-shot, generative, greedy, metric exact_match.

Follows lm-evaluation-harness's `nq_open` task (version 4.0): google-research-datasets/nq_open,
validation split evaluated; the prompt opens with the description "Answer these questions:" and
a blank line, then each shot is "Q: {question}?\\nA: {first answer}" followed by "\\n" (this
task's few-shot delimiter), then "Q: {question}?\\nA:". Generation stops at "\\n", "." or ",".
The answer is stripped of surrounding whitespace and matches when it equals any reference after
both lose the articles lm-eval removes ("The ", "the ", "An ", "A ", "a ", "an " at a word
start), are lower-cased and lose ASCII punctuation (lm-eval's `regexes_to_ignore`,
`ignore_case`, `ignore_punctuation`, in that order).

Shots: from the hub, lm-eval's sampler over the train split (seed 1234, a fresh draw per item).
Deviation, for a user's file (one split only): its first five rows are the shots of every item
and are not evaluated. lm-eval sends the description as a system message to chat models; here
chat endpoints get the whole prompt as one user message.
"""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.benchmarks.base import BenchmarkInfo
from bakeoff.benchmarks.data import DataUnavailable, HubSource
from bakeoff.benchmarks.generative import (
    Rows,
    ShortAnswerBenchmark,
    ShortAnswerItem,
    stripped_answer,
)
from bakeoff.scoring.extract import NQ_ARTICLE_REGEXES, exact_match_any
from bakeoff.types import Completion, GenerationConfig, Sample, Score

# No published commit of the dataset repository could be looked up offline: "main" is pinned.
VALIDATION_SOURCE = HubSource("google-research-datasets/nq_open", "validation", "main")
TRAIN_SOURCE = HubSource("google-research-datasets/nq_open", "train", "main")
NAME = "nq_open"
NUM_SHOTS = 5
METRIC = "exact_match,remove_whitespace"
DESCRIPTION = "Answer these questions:\n\n"
STOP_SEQUENCES = ("\n", ".", ",")
GENERATION_CONFIG = GenerationConfig(max_tokens=256, temperature=0.0, stop=STOP_SEQUENCES)
NQItem = ShortAnswerItem


def parse_rows(rows: Rows) -> list[NQItem]:
    """Hub rows (question, answer: a list of strings) as items."""
    items = []
    for index, row in enumerate(rows):
        answers = row["answer"]
        answers = (answers,) if isinstance(answers, str) else tuple(str(a) for a in answers)
        if not answers:
            raise DataUnavailable(f"NaturalQuestions row {index} has no answer")
        items.append(NQItem(index=index, question=str(row["question"]), answers=answers))
    return items


# --- prompt (lm-eval nq_open) --------------------------------------------------------------


def format_question(question: str) -> str:
    return f"Q: {question}?\nA:"


def format_shot(item: NQItem) -> str:
    """A solved example: question, target delimiter " ", the first answer, delimiter "\\n"."""
    return f"{format_question(item.question)} {item.answers[0]}\n"


def build_prompt(item: NQItem, shots: Sequence[NQItem]) -> str:
    solved = "".join(format_shot(shot) for shot in shots)
    return DESCRIPTION + solved + format_question(item.question)


# --- scoring -------------------------------------------------------------------------------


def extract_answer(text: str) -> str:
    return stripped_answer(text, STOP_SEQUENCES)


def is_correct(answer: str, references: Sequence[str]) -> bool:
    return exact_match_any(answer, references, regexes_to_ignore=NQ_ARTICLE_REGEXES,
                           ignore_case=True, ignore_punctuation=True)


# --- the benchmark -------------------------------------------------------------------------


class NaturalQuestionsOpen(ShortAnswerBenchmark):
    info: BenchmarkInfo = BenchmarkInfo(
        name=NAME,
        shots=NUM_SHOTS,
        metric=METRIC,
        description="NaturalQuestions-open validation, 5-shot from train, exact match",
        source=VALIDATION_SOURCE.describe(),
        modes=("generative",),
        metrics=(METRIC,),
        sources=(VALIDATION_SOURCE,),
    )
    evaluated_source = VALIDATION_SOURCE
    train_source = TRAIN_SOURCE
    generation_config = GENERATION_CONFIG
    references_key = "answers"
    title = "NaturalQuestions"

    parse_rows = staticmethod(parse_rows)
    build_prompt = staticmethod(build_prompt)
    is_correct = staticmethod(is_correct)


def score(sample: Sample, completions: Sequence[Completion]) -> Score:
    return NaturalQuestionsOpen().score(sample, completions)
