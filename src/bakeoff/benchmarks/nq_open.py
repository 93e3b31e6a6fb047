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

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, HubSource, load_first
from bakeoff.benchmarks.generative import generation_request, random_shots
from bakeoff.scoring.extract import NQ_ARTICLE_REGEXES, exact_match_any, truncate_at_stop
from bakeoff.types import Completion, GenerationConfig, Request, Sample, Score

# No published commit of the dataset repository could be looked up offline: "main" is pinned.
VALIDATION_SOURCE = HubSource("google-research-datasets/nq_open", "validation", "main")
TRAIN_SOURCE = HubSource("google-research-datasets/nq_open", "train", "main")
NAME = "nq_open"
NUM_SHOTS = 5
METRIC = "exact_match,remove_whitespace"
DESCRIPTION = "Answer these questions:\n\n"
STOP_SEQUENCES = ("\n", ".", ",")
GENERATION_CONFIG = GenerationConfig(max_tokens=256, temperature=0.0, stop=STOP_SEQUENCES)


@dataclass(frozen=True)
class NQItem:
    index: int  # position in the evaluated split (or the user's file)
    question: str
    answers: tuple[str, ...]

    @property
    def sample_id(self) -> str:
        return f"{NAME}/{self.index}"


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[NQItem]:
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
    """lm-eval's remove_whitespace filter on the answer cut at the stop sequences."""
    return truncate_at_stop(text, STOP_SEQUENCES).strip()


def is_correct(answer: str, references: Sequence[str]) -> bool:
    return exact_match_any(answer, references, regexes_to_ignore=NQ_ARTICLE_REGEXES,
                           ignore_case=True, ignore_punctuation=True)


def score(sample: Sample, completions: Sequence[Completion]) -> Score:
    if not completions:
        raise ValueError("NaturalQuestions scoring needs one completion")
    answer = extract_answer(completions[0].text)
    value = 1.0 if is_correct(answer, json.loads(sample.meta("answers"))) else 0.0
    return Score(sample_id=sample.id, metric=METRIC, value=value, extracted=answer)


# --- the benchmark -------------------------------------------------------------------------


class NaturalQuestionsOpen:
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

    def __init__(self, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 shot_rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        """`rows` (hub schema) replace the validation split; `shot_rows` the train split.
        Without a train split, the first five rows are the shots (see module doc)."""
        self._data_file = data_file
        self._rows = rows
        self._shot_rows = shot_rows

    def _load(self) -> tuple[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]] | None]:
        """The evaluated rows, and the train rows for shots when they came from the hub."""
        if self._rows is not None:
            return self._rows, self._shot_rows
        loaded = load_first(NAME, [VALIDATION_SOURCE], self._data_file)
        if isinstance(loaded.source, HubSource):
            return loaded.rows, load_first(f"{NAME} shots", [TRAIN_SOURCE]).rows
        return loaded.rows, None

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        rows, shot_rows = self._load()
        items = parse_rows(rows)
        if shot_rows is None:
            fixed, items = items[:NUM_SHOTS], items[NUM_SHOTS:][:limit]
            return [self._sample(item, fixed) for item in items]
        items = items[:limit]
        draws = random_shots(parse_rows(shot_rows), NUM_SHOTS, len(items))
        return [self._sample(item, shots) for item, shots in zip(items, draws, strict=True)]

    def _sample(self, item: NQItem, shots: Sequence[NQItem]) -> Sample:
        return Sample(id=item.sample_id, input=build_prompt(item, shots), target=item.answers[0],
                      metadata=(("answers", json.dumps(item.answers, ensure_ascii=False)),))

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        return [generation_request(sample.input, GENERATION_CONFIG, abilities.endpoint)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        return score(sample, completions)
