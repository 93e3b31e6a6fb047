"""Pieces the generative benchmarks share: lm-eval's few-shot sampler, the request shape, a
row check, the short-answer QA benchmark (TriviaQA, NaturalQuestions-open) and the maj@k one
(GSM8K maj@8, MATH maj@4).

lm-eval 0.4.x draws the shots of a task whose few-shot split differs from its evaluated split
with one `random.Random(1234)` per task, calling `sample(pool, n)` once per evaluated item in
order; `random_shots` repeats that, so item i gets the same shots as under lm-eval.

A completions endpoint gets the raw few-shot prompt; a chat endpoint gets the same text as one
user message. Both use the benchmark's own generation settings.
"""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, HubSource, load_first
from bakeoff.scoring.extract import truncate_at_stop
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    Message,
    Request,
    Sample,
    Score,
)

LM_EVAL_FEWSHOT_SEED = 1234
Shot = TypeVar("Shot")
Rows = Sequence[Mapping[str, Any]]


def random_shots(pool: Sequence[Shot], shots: int, items: int,
                 seed: int = LM_EVAL_FEWSHOT_SEED) -> list[list[Shot]]:
    """The shots of each of the first `items` evaluated items, as lm-eval's sampler draws them."""
    generator = random.Random(seed)
    return [generator.sample(list(pool), shots) for _ in range(items)]


def generation_request(prompt: str, config: GenerationConfig, endpoint: str) -> Request:
    """The prompt as a raw completion ("completions") or as one user message ("chat")."""
    if endpoint == "completions":
        return GenerationRequest(prompt=prompt, config=config)
    return GenerationRequest(messages=(Message(role="user", content=prompt),), config=config)


def require_fields(rows: Rows, fields: Sequence[str], where: str) -> None:
    """Fail on the first row (numbered from 1 after `where`) that lacks one of `fields`."""
    for number, row in enumerate(rows, 1):
        missing = [key for key in fields if key not in row]
        if missing:
            raise DataUnavailable(f"{where} {number}: missing field {missing[0]!r}")


# --- short-answer QA with shots from a train split (TriviaQA, NaturalQuestions-open) --------


@dataclass(frozen=True)
class ShortAnswerItem:
    index: int  # position in the evaluated split (or the user's file)
    question: str
    answers: tuple[str, ...]  # every accepted answer; the first is a shot's written answer


def stripped_answer(text: str, stop: Sequence[str]) -> str:
    """lm-eval's remove_whitespace filter on the answer cut at the stop sequences."""
    return truncate_at_stop(text, stop).strip()


class ShortAnswerBenchmark(ABC):
    """A question answered greedily in a few words; correct when it matches an accepted answer.

    Rows: a user's file, else `evaluated_source` on the hub. From the hub every item gets its
    own draw of shots from `train_source` (`random_shots`); with one split only (a user's file),
    its first `info.shots` rows are the shots of every item and are not evaluated.
    """

    info: BenchmarkInfo
    evaluated_source: HubSource
    train_source: HubSource
    generation_config: GenerationConfig
    references_key: str  # the sample metadata holding the accepted answers, as JSON
    title: str  # the benchmark as error messages name it

    def __init__(self, data_file: Path | None = None, rows: Rows | None = None,
                 shot_rows: Rows | None = None) -> None:
        """`rows` (hub schema) replace the evaluated split; `shot_rows` the train split."""
        self._data_file = data_file
        self._rows = rows
        self._shot_rows = shot_rows
        self.data_source: str | None = "rows given by the caller" if rows is not None else None

    @abstractmethod
    def parse_rows(self, rows: Rows) -> list[ShortAnswerItem]: ...

    @abstractmethod
    def build_prompt(self, item: ShortAnswerItem, shots: Sequence[ShortAnswerItem]) -> str: ...

    @abstractmethod
    def is_correct(self, answer: str, references: Sequence[str], /) -> bool: ...

    def _load(self) -> tuple[Rows, Rows | None]:
        """The evaluated rows, and the train rows for shots when they came from the hub."""
        if self._rows is not None:
            return self._rows, self._shot_rows
        name = self.info.name
        loaded = load_first(name, [self.evaluated_source], self._data_file)
        self.data_source = loaded.source.describe()
        if isinstance(loaded.source, HubSource):
            return loaded.rows, load_first(f"{name} shots", [self.train_source]).rows
        return loaded.rows, None

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        rows, shot_rows = self._load()
        items, shots = self.parse_rows(rows), self.info.shots
        if shot_rows is None:
            fixed, items = items[:shots], items[shots:][:limit]
            return [self._sample(item, fixed) for item in items]
        items = items[:limit]
        draws = random_shots(self.parse_rows(shot_rows), shots, len(items))
        return [self._sample(item, drawn) for item, drawn in zip(items, draws, strict=True)]

    def _sample(self, item: ShortAnswerItem, shots: Sequence[ShortAnswerItem]) -> Sample:
        references = json.dumps(item.answers, ensure_ascii=False)
        return Sample(id=f"{self.info.name}/{item.index}", input=self.build_prompt(item, shots),
                      target=item.answers[0], metadata=((self.references_key, references),))

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        return [generation_request(sample.input, self.generation_config, abilities.endpoint)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        if not completions:
            raise ValueError(f"{self.title} scoring needs one completion")
        answer = stripped_answer(completions[0].text, self.generation_config.stop)
        correct = self.is_correct(answer, json.loads(sample.meta(self.references_key)))
        return Score(sample_id=sample.id, metric=self.info.metric, value=1.0 if correct else 0.0,
                     extracted=answer)

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return [self.score(sample, completions)]


# --- maj@k over sampled answers (GSM8K maj@8, MATH maj@4) -----------------------------------


class SampledMajorityBenchmark(ABC):
    """Each item answered `samples` times by seeded sampling; `score` is maj@k of the answers and
    `score_all` adds maj@1. Subclasses give the sampling configs and the vote."""

    info: BenchmarkInfo
    metrics: tuple[str, ...]
    samples: int
    k: int

    def _set_voting(self, samples: int, k: int, maj_metric: Callable[[int], str]) -> None:
        if not 1 <= k <= samples:
            raise ValueError(f"maj@{k} needs at least {k} samples, not {samples}")
        self.samples = samples
        self.k = k
        self.metrics = (maj_metric(k), maj_metric(1))

    @abstractmethod
    def sampled_configs(self, samples: int, /) -> list[GenerationConfig]:
        """One config per sample; their seeds differ so each request is distinct (and cached)."""

    @abstractmethod
    def majority_scores(self, sample: Sample, completions: Sequence[Completion],
                        ks: Sequence[int], /) -> list[Score]:
        """maj@k of the completions' answers, for each k in `ks`."""

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        return [generation_request(sample.input, config, abilities.endpoint)
                for config in self.sampled_configs(self.samples)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        return self.score_all(sample, completions)[0]

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        if len(completions) != self.samples:
            raise ValueError(f"{self.info.name} expects {self.samples} completions, "
                             f"got {len(completions)}")
        return self.majority_scores(sample, completions, [self.k, 1])
