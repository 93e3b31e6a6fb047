"""Multiple choice scored as lm-evaluation-harness's `multiple_choice` output type does.

Shared by HellaSwag, WinoGrande, ARC, TruthfulQA MC1 and the multilingual tasks. Each of those
modules turns its rows into `ChoiceDoc`s (lm-eval's doc_to_text / doc_to_choice / gold after
process_docs); this module builds the prompts, requests and scores:

- loglikelihood: each choice is a continuation " {choice}" of the few-shot context (or, for
  partial scoring, each choice ends the context and the shared suffix is the continuation).
  acc = argmax of the log-likelihoods; acc_norm = argmax of loglik / len(choice) where the
  length is the choice's length in characters (lm-eval's `completion_len`). Ties go to the
  first choice (numpy argmax).
- generative (chat APIs, or endpoints without log-probabilities): the same shots and item as
  a lettered question ending in "Answer:", each shot answered with its letter; the first
  letter the model commits to is read by `extract_choice_letter`. Letters carry no length,
  so in this mode acc_norm equals acc (both are reported so the table has the column).

Few-shot examples are "{text} {gold choice}" joined by "\\n\\n" (lm-eval's target and few-shot
delimiters). Which shots: `lm_eval_random_shots` replays lm-eval's default sampler exactly
(one `random.Random(1234)` drawn from once per evaluated item, in item order); `first_n`
matches its `first_n` sampler.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, Loaded, Source, load_first
from bakeoff.scoring.extract import extract_choice_letter
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    Request,
    Sample,
    Score,
)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
FEWSHOT_SEED = 1234  # lm-eval's default --fewshot_random_seed
ACC = "acc"
ACC_NORM = "acc_norm"
# Completions endpoint: the letter is the next token or two; stop at the end of the line.
COMPLETION_CONFIG = GenerationConfig(max_tokens=5, temperature=0.0, stop=("\n",))
# Chat endpoint: room for "The answer is C." without inviting an essay.
CHAT_CONFIG = GenerationConfig(max_tokens=16, temperature=0.0)

_SUFFIX_KEY = "suffix"
_GENERATIVE_KEY = "generative_prompt"


@dataclass(frozen=True)
class ChoiceDoc:
    """One item as lm-eval's multiple_choice task sees it, plus its lettered form.

    `text` is doc_to_text and `choices` doc_to_choice. With `suffix` set the item is scored
    partially (WinoGrande): each choice ends the context and `suffix` is the continuation.
    `gold` is None when the label names no choice; lm-eval scores such an item 0.
    `question` and `options` are what the generative (lettered) form shows.
    """

    key: str
    text: str
    choices: tuple[str, ...]
    gold: int | None
    question: str
    options: tuple[str, ...]
    suffix: str | None = None

    def solved(self) -> str:
        """The item as a few-shot example: lm-eval's shot text + target delimiter + target."""
        if self.gold is None:
            raise ValueError(f"item {self.key} has no gold choice and cannot be a shot")
        if self.suffix is not None:
            return self.choices[self.gold] + TARGET_DELIMITER + self.suffix
        return self.text + TARGET_DELIMITER + self.choices[self.gold]

    def lettered(self) -> str:
        lines = [self.question]
        lines += [f"{LETTERS[index]}. {option}" for index, option in enumerate(self.options)]
        lines.append("Answer:")
        return "\n".join(lines)

    def solved_lettered(self) -> str:
        if self.gold is None:
            raise ValueError(f"item {self.key} has no gold choice and cannot be a shot")
        return self.lettered() + TARGET_DELIMITER + LETTERS[self.gold]


# --- shots ---------------------------------------------------------------------------------


ShotSampler = Literal["random", "first_n"]


def lm_eval_random_shots(docs: Sequence[Mapping[str, Any]], pool: Sequence[Mapping[str, Any]],
                         count: int, *, draw_extra: bool) -> list[list[int]]:
    """For each evaluated row in order, the indices into `pool` of its shots.

    lm-eval's default sampler: `rnd.sample(pool, n)` per item from one Random(1234), with
    n = count + 1 when the task config's fewshot split equals its test split (`draw_extra`),
    then the evaluated row itself removed (by equality) and the first `count` kept.
    """
    if count == 0:
        return [[] for _ in docs]
    rng = random.Random(FEWSHOT_SEED)
    drawn = count + 1 if draw_extra else count
    shots = []
    for doc in docs:
        picked = rng.sample(range(len(pool)), drawn)
        shots.append([index for index in picked if pool[index] != doc][:count])
    return shots


def first_n_shots(docs: Sequence[Mapping[str, Any]], count: int) -> list[list[int]]:
    """lm-eval's `first_n` sampler: the first `count` rows of the shot split for every item."""
    return [list(range(count)) for _ in docs]


def build_context(doc: ChoiceDoc, shots: Sequence[ChoiceDoc]) -> str:
    """The loglikelihood context shared by all choices (partial scoring: without the choice)."""
    prefix = "".join(shot.solved() + FEWSHOT_DELIMITER for shot in shots)
    return prefix if doc.suffix is not None else prefix + doc.text


def build_lettered_prompt(doc: ChoiceDoc, shots: Sequence[ChoiceDoc]) -> str:
    prefix = "".join(shot.solved_lettered() + FEWSHOT_DELIMITER for shot in shots)
    return prefix + doc.lettered()


def make_sample(benchmark: str, doc: ChoiceDoc, shots: Sequence[ChoiceDoc]) -> Sample:
    """A self-contained sample: every request and score can be rebuilt from it alone."""
    metadata: list[tuple[str, str]] = [(_GENERATIVE_KEY, build_lettered_prompt(doc, shots))]
    if doc.suffix is not None:
        metadata.append((_SUFFIX_KEY, doc.suffix))
    return Sample(
        id=f"{benchmark}/{doc.key}",
        input=build_context(doc, shots),
        target="" if doc.gold is None else LETTERS[doc.gold],
        choices=doc.choices,
        metadata=tuple(metadata),
    )


# --- requests ------------------------------------------------------------------------------


def loglikelihood_requests(sample: Sample) -> list[LoglikelihoodRequest]:
    """One request per choice, in choice order (lm-eval's construct_requests)."""
    suffix = dict(sample.metadata).get(_SUFFIX_KEY)
    if suffix is not None:
        return [LoglikelihoodRequest(sample.input + choice, TARGET_DELIMITER + suffix)
                for choice in sample.choices]
    return [LoglikelihoodRequest(sample.input, TARGET_DELIMITER + choice)
            for choice in sample.choices]


def letters_for(sample: Sample) -> str:
    return LETTERS[:len(sample.choices)]


def chat_instruction(letters: str) -> str:
    listed = ", ".join(letters[:-1]) + f" or {letters[-1]}"
    return f"Answer the last question with the letter of the correct choice ({listed}) only.\n\n"


def generative_request(sample: Sample, abilities: ModelAbilities) -> GenerationRequest:
    prompt = sample.meta(_GENERATIVE_KEY)
    if abilities.endpoint == "completions":
        return GenerationRequest(prompt=prompt, config=COMPLETION_CONFIG)
    message = Message(role="user", content=chat_instruction(letters_for(sample)) + prompt)
    return GenerationRequest(messages=(message,), config=CHAT_CONFIG)


# --- scoring -------------------------------------------------------------------------------


def argmax(values: Sequence[float]) -> int:
    """Index of the largest value; the first one on a tie (numpy argmax)."""
    return max(range(len(values)), key=lambda index: (values[index], -index))


def _logprobs(completions: Sequence[Completion]) -> list[float]:
    values = [completion.logprob for completion in completions]
    if any(value is None for value in values):
        raise ValueError("loglikelihood scoring needs a logprob on every completion")
    return [value for value in values if value is not None]


def _score(sample: Sample, metric: str, chosen: int | None) -> Score:
    letter = None if chosen is None else LETTERS[chosen]
    value = 1.0 if letter is not None and letter == sample.target else 0.0
    return Score(sample_id=sample.id, metric=metric, value=value, extracted=letter)


def loglikelihood_scores(sample: Sample, completions: Sequence[Completion],
                         metrics: Sequence[str]) -> list[Score]:
    """acc and/or acc_norm from one log-likelihood per choice."""
    logprobs = _logprobs(completions)
    picks = {ACC: argmax(logprobs)}
    if ACC_NORM in metrics:
        normalised = [lp / len(choice) for lp, choice in zip(logprobs, sample.choices, strict=True)]
        picks[ACC_NORM] = argmax(normalised)
    return [_score(sample, metric, picks[metric]) for metric in metrics]


def generative_scores(sample: Sample, completion: Completion,
                      metrics: Sequence[str]) -> list[Score]:
    letter = extract_choice_letter(completion.text, letters_for(sample))
    chosen = None if letter is None else LETTERS.index(letter)
    return [_score(sample, metric, chosen) for metric in metrics]


def score_choices(sample: Sample, completions: Sequence[Completion],
                  metrics: Sequence[str]) -> list[Score]:
    """One completion: the generative letter. One per choice: the log-likelihood argmax."""
    if len(completions) == len(sample.choices):
        return loglikelihood_scores(sample, completions, metrics)
    if len(completions) == 1:
        return generative_scores(sample, completions[0], metrics)
    raise ValueError(f"{sample.id}: expected 1 or {len(sample.choices)} completions, "
                     f"got {len(completions)}")


# --- the benchmark -------------------------------------------------------------------------


RowsToDocs = Callable[[Sequence[Mapping[str, Any]]], list[ChoiceDoc]]
# Rows of one source in the hub schema (an offline copy may have its own schema).
SourceAdapter = Callable[[Loaded], list[dict[str, Any]]]


def hub_schema(loaded: Loaded) -> list[dict[str, Any]]:
    """The adapter for sources already in the hub schema: the hub itself and users' files."""
    return loaded.rows


@dataclass(frozen=True)
class ShotPolicy:
    """How many shots and how lm-eval picks them (see the module docstring)."""

    count: int
    sampler: ShotSampler = "random"
    draw_extra: bool = False


@dataclass(frozen=True)
class DataPlan:
    """Where the evaluated rows and the shot rows come from, in the hub schema.

    `shot_sources` empty: shots come from the evaluated rows themselves, each item excluded
    from its own shots (lm-eval's rule for a task without a training split).
    """

    eval_sources: tuple[Source, ...]
    shot_sources: tuple[Source, ...] = ()


class ChoiceBenchmark:
    """A multiple-choice benchmark: rows → ChoiceDocs → samples, requests and scores."""

    info: BenchmarkInfo
    metrics: tuple[str, ...]

    def __init__(self, *, info: BenchmarkInfo, metrics: tuple[str, ...], plan: DataPlan,
                 shots: ShotPolicy, to_docs: RowsToDocs, adapt: SourceAdapter = hub_schema,
                 data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 shot_rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        self.info = replace(info, modes=("loglikelihood", "generative"), metrics=metrics,
                            sources=plan.eval_sources)
        self.metrics = metrics
        self._plan = plan
        self._shots = shots
        self._to_docs = to_docs
        self._adapt = adapt
        self._data_file = data_file
        self._rows = list(rows) if rows is not None else None
        self._shot_rows = list(shot_rows) if shot_rows is not None else None
        self._samples: list[Sample] | None = None
        # What the rows and shots came from, filled in on load (for the methodology note).
        self.data_source: str | None = "rows given by the caller" if rows is not None else ""
        self.shot_source = "shot rows given by the caller" if shot_rows is not None else ""

    def _eval_rows(self) -> list[Mapping[str, Any]]:
        if self._rows is None:
            loaded = load_first(self.info.name, list(self._plan.eval_sources), self._data_file)
            self._rows = list(self._adapt(loaded))
            self.data_source = loaded.source.describe()
        return self._rows

    def _pool_rows(self, eval_rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The shot split; the evaluated rows themselves when it cannot be had (offline)."""
        if self._shot_rows is None:
            self._shot_rows = eval_rows
            self.shot_source = "the evaluated items (each left out of its own shots)"
            if self._shots.count and self._plan.shot_sources:
                try:
                    loaded = load_first(f"{self.info.name} shots", list(self._plan.shot_sources))
                except DataUnavailable:
                    pass  # offline: keep the evaluated items (see the benchmark's docstring)
                else:
                    self._shot_rows = list(loaded.rows)
                    self.shot_source = loaded.source.describe()
        return self._shot_rows

    def _shot_indices(self, eval_rows: list[Mapping[str, Any]],
                      pool: list[Mapping[str, Any]]) -> list[list[int]]:
        if self._shots.sampler == "first_n":
            return first_n_shots(eval_rows, self._shots.count)
        # Shots taken from the evaluated rows themselves must leave the item out.
        draw_extra = self._shots.draw_extra or pool is eval_rows
        needed = self._shots.count + (1 if draw_extra else 0)
        if eval_rows and len(pool) < needed:
            raise DataUnavailable(f"{self.info.name}: {self._shots.count} shots need at least "
                                  f"{needed} rows in {self.shot_source}, found {len(pool)}")
        return lm_eval_random_shots(eval_rows, pool, self._shots.count, draw_extra=draw_extra)

    def all_samples(self) -> list[Sample]:
        """Every evaluated item with its shots, built once."""
        if self._samples is None:
            rows = self._eval_rows()
            pool = self._pool_rows(rows)
            docs, pool_docs = self._to_docs(rows), self._to_docs(pool)
            picks = self._shot_indices(rows, pool)
            self._samples = [make_sample(self.info.name, doc, [pool_docs[i] for i in chosen])
                             for doc, chosen in zip(docs, picks, strict=True)]
        return self._samples

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        return self.all_samples()[:limit]

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "loglikelihood" if abilities.loglikelihood else "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        if self.mode_for(abilities) == "loglikelihood":
            return list(loglikelihood_requests(sample))
        return [generative_request(sample, abilities)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """The primary metric (`info.metric`)."""
        scores = self.score_all(sample, completions)
        return next(score for score in scores if score.metric == self.info.metric)

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return score_choices(sample, completions, self.metrics)
