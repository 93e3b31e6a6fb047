"""TriviaQA (Joshi et al.), closed book: 5-shot, generative, greedy, metric exact_match.

Follows lm-evaluation-harness's `triviaqa` task (version 3.0): mandarjoshi/trivia_qa,
config rc.nocontext, validation split evaluated; each shot is "Question: {question}?\\nAnswer:
{first alias}", shots joined by "\\n\\n" (the question keeps its own "?", so most prompts read
"??", as in lm-eval); generation stops at "\\n", "." or ","; the answer is stripped of
surrounding whitespace and matches when, lower-cased and without ASCII punctuation, it equals
any alias treated the same way. lm-eval removes no articles for TriviaQA (NaturalQuestions
does), so neither does this.

Shots: from the hub, lm-eval's sampler over the train split (seed 1234, a fresh draw per item,
see `bakeoff.benchmarks.generative.random_shots`). Deviation, for a user's file (one split
only): its first five rows are the shots of every item and are not evaluated.
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
from bakeoff.scoring.extract import exact_match_any
from bakeoff.types import Completion, GenerationConfig, Sample, Score

# No published commit of the dataset repository could be looked up offline: "main" is pinned.
VALIDATION_SOURCE = HubSource("mandarjoshi/trivia_qa", "validation", "main", name="rc.nocontext")
TRAIN_SOURCE = HubSource("mandarjoshi/trivia_qa", "train", "main", name="rc.nocontext")
NAME = "triviaqa"
NUM_SHOTS = 5
METRIC = "exact_match,remove_whitespace"
STOP_SEQUENCES = ("\n", ".", ",")
GENERATION_CONFIG = GenerationConfig(max_tokens=256, temperature=0.0, stop=STOP_SEQUENCES)
TriviaQAItem = ShortAnswerItem  # `answers` holds the aliases


def parse_rows(rows: Rows) -> list[TriviaQAItem]:
    """Hub rows (question, answer.aliases, ...) as items."""
    items = []
    for index, row in enumerate(rows):
        aliases = tuple(str(alias) for alias in row["answer"]["aliases"])
        if not aliases:
            raise DataUnavailable(f"TriviaQA row {index} has no answer aliases")
        items.append(TriviaQAItem(index=index, question=str(row["question"]), answers=aliases))
    return items


# --- prompt (lm-eval triviaqa) -------------------------------------------------------------


def format_question(question: str) -> str:
    return f"Question: {question}?\nAnswer:"


def format_shot(item: TriviaQAItem) -> str:
    """A solved example: question, target delimiter " ", the first alias, delimiter "\\n\\n"."""
    return f"{format_question(item.question)} {item.answers[0]}\n\n"


def build_prompt(item: TriviaQAItem, shots: Sequence[TriviaQAItem]) -> str:
    return "".join(format_shot(shot) for shot in shots) + format_question(item.question)


# --- scoring -------------------------------------------------------------------------------


def extract_answer(text: str) -> str:
    return stripped_answer(text, STOP_SEQUENCES)


def is_correct(answer: str, aliases: Sequence[str]) -> bool:
    return exact_match_any(answer, aliases, ignore_case=True, ignore_punctuation=True)


# --- the benchmark -------------------------------------------------------------------------


class TriviaQA(ShortAnswerBenchmark):
    info: BenchmarkInfo = BenchmarkInfo(
        name=NAME,
        shots=NUM_SHOTS,
        metric=METRIC,
        description="TriviaQA rc.nocontext validation, 5-shot from train, exact match on aliases",
        source=VALIDATION_SOURCE.describe(),
        modes=("generative",),
        metrics=(METRIC,),
        sources=(VALIDATION_SOURCE,),
    )
    evaluated_source = VALIDATION_SOURCE
    train_source = TRAIN_SOURCE
    generation_config = GENERATION_CONFIG
    references_key = "aliases"
    title = "TriviaQA"

    parse_rows = staticmethod(parse_rows)
    build_prompt = staticmethod(build_prompt)
    is_correct = staticmethod(is_correct)


def score(sample: Sample, completions: Sequence[Completion]) -> Score:
    return TriviaQA().score(sample, completions)
