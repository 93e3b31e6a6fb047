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

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, HubSource, load_first
from bakeoff.benchmarks.generative import generation_request, random_shots
from bakeoff.scoring.extract import exact_match_any, truncate_at_stop
from bakeoff.types import Completion, GenerationConfig, Request, Sample, Score

# No published commit of the dataset repository could be looked up offline: "main" is pinned.
VALIDATION_SOURCE = HubSource("mandarjoshi/trivia_qa", "validation", "main", name="rc.nocontext")
TRAIN_SOURCE = HubSource("mandarjoshi/trivia_qa", "train", "main", name="rc.nocontext")
NAME = "triviaqa"
NUM_SHOTS = 5
METRIC = "exact_match,remove_whitespace"
STOP_SEQUENCES = ("\n", ".", ",")
GENERATION_CONFIG = GenerationConfig(max_tokens=256, temperature=0.0, stop=STOP_SEQUENCES)


@dataclass(frozen=True)
class TriviaQAItem:
    index: int  # position in the evaluated split (or the user's file)
    question: str
    aliases: tuple[str, ...]

    @property
    def sample_id(self) -> str:
        return f"{NAME}/{self.index}"


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[TriviaQAItem]:
    """Hub rows (question, answer.aliases, ...) as items."""
    items = []
    for index, row in enumerate(rows):
        aliases = tuple(str(alias) for alias in row["answer"]["aliases"])
        if not aliases:
            raise DataUnavailable(f"TriviaQA row {index} has no answer aliases")
        items.append(TriviaQAItem(index=index, question=str(row["question"]), aliases=aliases))
    return items


# --- prompt (lm-eval triviaqa) -------------------------------------------------------------


def format_question(question: str) -> str:
    return f"Question: {question}?\nAnswer:"


def format_shot(item: TriviaQAItem) -> str:
    """A solved example: question, target delimiter " ", the first alias, delimiter "\\n\\n"."""
    return f"{format_question(item.question)} {item.aliases[0]}\n\n"


def build_prompt(item: TriviaQAItem, shots: Sequence[TriviaQAItem]) -> str:
    return "".join(format_shot(shot) for shot in shots) + format_question(item.question)


# --- scoring -------------------------------------------------------------------------------


def extract_answer(text: str) -> str:
    """lm-eval's remove_whitespace filter on the answer cut at the stop sequences."""
    return truncate_at_stop(text, STOP_SEQUENCES).strip()


def is_correct(answer: str, aliases: Sequence[str]) -> bool:
    return exact_match_any(answer, aliases, ignore_case=True, ignore_punctuation=True)


def score(sample: Sample, completions: Sequence[Completion]) -> Score:
    if not completions:
        raise ValueError("TriviaQA scoring needs one completion")
    answer = extract_answer(completions[0].text)
    aliases = json.loads(sample.meta("aliases"))
    value = 1.0 if is_correct(answer, aliases) else 0.0
    return Score(sample_id=sample.id, metric=METRIC, value=value, extracted=answer)


# --- the benchmark -------------------------------------------------------------------------


class TriviaQA:
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

    def _sample(self, item: TriviaQAItem, shots: Sequence[TriviaQAItem]) -> Sample:
        return Sample(id=item.sample_id, input=build_prompt(item, shots),
                      target=item.aliases[0],
                      metadata=(("aliases", json.dumps(item.aliases, ensure_ascii=False)),))

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        return [generation_request(sample.input, GENERATION_CONFIG, abilities.endpoint)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        return score(sample, completions)
