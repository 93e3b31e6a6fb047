"""Custom benchmarks: a user's JSON Lines file, declared in a few lines of bakeoff.toml.

    [benchmarks.support_faq]
    kind = "multiple_choice"   # rows: question, choices (list), answer (index or letter)
    path = "data/faq.jsonl"    # generative rows: question, answer (a text or a list of texts)
    shots = 0                  # the first `shots` rows become solved examples, not evaluated
    metric = "acc"             # acc or acc_norm; generative: exact_match or contains

Multiple choice follows lm-eval's generic multiple_choice tasks (the ARC layout): the prompt is
"Question: {question}\\nAnswer:" and each choice " {text}" is scored as its continuation; acc is
the argmax of the log-probabilities, acc_norm the argmax of log-probability divided by the
choice's length in characters. A model without log-probabilities gets the choices lettered
(the MMLU layout) and the letter it writes is extracted; only acc exists in that mode.

Generative: the same prompt, greedy, the reply's first non-empty line; exact_match compares
after normalisation (lower-case, no punctuation, no articles a/an/the, single spaces) against every
accepted answer; contains asks whether a normalised answer appears in the normalised reply.
Both are reported, the configured metric first.

Deviation from lm-eval: shots come from the head of the same file (there is no separate
few-shot split), and the chat form adds a one-line instruction before the prompt.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, FileSource, json_lines
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

Kind = Literal["multiple_choice", "generative"]
METRICS: dict[Kind, tuple[str, ...]] = {
    "multiple_choice": ("acc", "acc_norm"),
    "generative": ("exact_match", "contains"),
}
LETTERS = string.ascii_uppercase
LETTER_CONFIG = GenerationConfig(max_tokens=5, temperature=0.0, stop=("\n",))
LETTER_CHAT_CONFIG = GenerationConfig(max_tokens=16, temperature=0.0)
ANSWER_CONFIG = GenerationConfig(max_tokens=64, temperature=0.0, stop=("\n",))
ANSWER_CHAT_CONFIG = GenerationConfig(max_tokens=64, temperature=0.0)
LETTER_INSTRUCTION = "Answer the last question with the letter of the correct choice only.\n\n"
ANSWER_INSTRUCTION = "Answer the last question with a short answer only, on one line.\n\n"


@dataclass(frozen=True)
class CustomItem:
    line: int  # line number in the file, so ids stay put when rows are appended
    question: str
    answers: tuple[str, ...]  # generative: every accepted answer
    choices: tuple[str, ...] = ()  # multiple choice only
    correct: int = 0  # multiple choice: index of the right choice


# --- reading the file ----------------------------------------------------------------------


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; errors name the file and line."""
    if not path.is_file():
        raise DataUnavailable(f"{path}: no such file")
    return json_lines(path)


def parse_item(kind: Kind, row: dict[str, Any], line: int, where: str) -> CustomItem:
    """One row as an item, or DataUnavailable located at `where` ("file:line")."""
    for key in ("question", "choices", "answer") if kind == "multiple_choice" else (
            "question", "answer"):
        if key not in row:
            raise DataUnavailable(f"{where}: missing field {key!r}")
    question = row["question"]
    if not isinstance(question, str) or not question.strip():
        raise DataUnavailable(f"{where}: 'question' must be a non-empty text")
    if kind == "generative":
        return CustomItem(line, question, _accepted_answers(row["answer"], where))
    choices = row["choices"]
    if (not isinstance(choices, list) or not 2 <= len(choices) <= len(LETTERS)
            or not all(isinstance(choice, str) for choice in choices)):
        raise DataUnavailable(f"{where}: 'choices' must be a list of 2 to 26 texts")
    correct = _choice_index(row["answer"], len(choices), where)
    return CustomItem(line, question, (choices[correct],), tuple(choices), correct)


def _accepted_answers(answer: Any, where: str) -> tuple[str, ...]:
    answers = [answer] if isinstance(answer, str) else answer
    if (not isinstance(answers, list) or not answers
            or not all(isinstance(a, str) and normalise_answer(a) for a in answers)):
        raise DataUnavailable(f"{where}: 'answer' must be a text or a list of texts")
    return tuple(answers)


def _choice_index(answer: Any, count: int, where: str) -> int:
    """An index (0-based) or a letter ("B"); either must name one of the `count` choices."""
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < count:
        return answer
    if isinstance(answer, str) and len(answer) == 1 and answer.upper() in LETTERS[:count]:
        return LETTERS.index(answer.upper())
    raise DataUnavailable(f"{where}: 'answer' must be an index 0..{count - 1} "
                          f"or a letter A..{LETTERS[count - 1]}")


# --- prompts -------------------------------------------------------------------------------


def plain_prompt(question: str) -> str:
    return f"Question: {question.strip()}\nAnswer:"


def lettered_prompt(item: CustomItem) -> str:
    lines = [item.question.strip()]
    lines += [f"{letter}. {choice}" for letter, choice in zip(LETTERS, item.choices, strict=False)]
    return "\n".join([*lines, "Answer:"])


def with_shots(prompt: str, solved: Sequence[str]) -> str:
    """Each solved example followed by the few-shot delimiter "\\n\\n", then the prompt."""
    return "".join(example + "\n\n" for example in solved) + prompt


# --- scoring -------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise_answer(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace."""
    without_punctuation = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", without_punctuation).split())


def first_line(text: str) -> str:
    """The reply's first non-empty line (a chat model may open with a blank line)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def best_index(values: Sequence[float]) -> int:
    """Index of the highest value; the first one on a tie (numpy argmax)."""
    return max(range(len(values)), key=lambda index: (values[index], -index))


# --- the benchmark -------------------------------------------------------------------------


class CustomBenchmark:
    """A benchmark read from the user's JSON Lines file; `metric` is the primary one."""

    def __init__(self, name: str, kind: Kind, path: Path, shots: int = 0,
                 metric: str | None = None, description: str = "") -> None:
        if kind not in METRICS:
            raise ValueError(f"kind must be multiple_choice or generative, not {kind!r}")
        metric = metric or METRICS[kind][0]
        if metric not in METRICS[kind]:
            raise ValueError(f"metric for {kind} must be one of {', '.join(METRICS[kind])}")
        self.kind: Kind = kind
        self.path = path
        others = tuple(m for m in METRICS[kind] if m != metric)
        modes: tuple[Mode, ...] = (("loglikelihood", "generative")
                                   if kind == "multiple_choice" else ("generative",))
        self.info = BenchmarkInfo(
            name=name, shots=shots, metric=metric,
            description=description or f"custom {kind.replace('_', ' ')} benchmark",
            source=str(path), modes=modes, metrics=(metric, *others),
            sources=(FileSource(path),),
        )
        self._items: list[CustomItem] | None = None
        self.data_source: str | None = None

    def items(self) -> list[CustomItem]:
        """Every row of the file (shots included), validated, loaded once."""
        if self._items is None:
            self._items = [parse_item(self.kind, row, line, f"{self.path}:{line}")
                           for line, row in read_jsonl(self.path)]
            if len(self._items) <= self.info.shots:
                raise DataUnavailable(f"{self.path}: {len(self._items)} items, but shots = "
                                      f"{self.info.shots} needs at least {self.info.shots + 1}")
            self.data_source = FileSource(self.path).describe()
        return self._items

    @property
    def _shots(self) -> list[CustomItem]:
        return self.items()[:self.info.shots]

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        evaluated = self.items()[self.info.shots:][:limit]
        return [self._sample(item) for item in evaluated]

    def _sample(self, item: CustomItem) -> Sample:
        solved = [f"{plain_prompt(shot.question)} {shot.answers[0]}" for shot in self._shots]
        target = LETTERS[item.correct] if self.kind == "multiple_choice" else item.answers[0]
        return Sample(id=self._sample_id(item),
                      input=with_shots(plain_prompt(item.question), solved),
                      target=target, choices=item.choices,
                      metadata=(("answers", json.dumps(item.answers)),))

    def _sample_id(self, item: CustomItem) -> str:
        return f"{self.info.name}/{item.line}"

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        if self.kind == "multiple_choice" and abilities.loglikelihood:
            return "loglikelihood"
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        if self.kind == "generative":
            return [self._generation(sample.input, ANSWER_INSTRUCTION, abilities,
                                     ANSWER_CONFIG, ANSWER_CHAT_CONFIG)]
        if self.mode_for(abilities) == "loglikelihood":
            return [LoglikelihoodRequest(context=sample.input, continuation=f" {choice}")
                    for choice in sample.choices]
        return [self._generation(self._lettered_input(sample), LETTER_INSTRUCTION, abilities,
                                 LETTER_CONFIG, LETTER_CHAT_CONFIG)]

    def _lettered_input(self, sample: Sample) -> str:
        solved = [f"{lettered_prompt(shot)} {LETTERS[shot.correct]}" for shot in self._shots]
        item = next(item for item in self.items() if self._sample_id(item) == sample.id)
        return with_shots(lettered_prompt(item), solved)

    @staticmethod
    def _generation(prompt: str, instruction: str, abilities: ModelAbilities,
                    config: GenerationConfig, chat_config: GenerationConfig) -> GenerationRequest:
        if abilities.endpoint == "completions":
            return GenerationRequest(prompt=prompt, config=config)
        message = Message(role="user", content=instruction + prompt)
        return GenerationRequest(messages=(message,), config=chat_config)

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """The configured metric (the first of `score_all`)."""
        return self.score_all(sample, completions)[0]

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        if self.kind == "generative":
            scores = _answer_scores(sample, completions)
        elif len(completions) == len(sample.choices):
            scores = _loglikelihood_scores(sample, completions)
        elif len(completions) == 1:
            letter = extract_choice_letter(completions[0].text, LETTERS[:len(sample.choices)])
            scores = [Score(sample.id, "acc", float(letter == sample.target), letter)]
        else:
            raise ValueError(f"{self.info.name} expects 1 or {len(sample.choices)} completions, "
                             f"got {len(completions)}")
        return sorted(scores, key=lambda score: score.metric != self.info.metric)


def _loglikelihood_scores(sample: Sample, completions: Sequence[Completion]) -> list[Score]:
    logprobs = [completion.logprob for completion in completions]
    if any(value is None for value in logprobs):
        raise ValueError("loglikelihood scoring needs a logprob on every completion")
    values = [value for value in logprobs if value is not None]
    normalised = [value / max(len(choice), 1)
                  for value, choice in zip(values, sample.choices, strict=True)]
    scores = []
    for metric, ranked in (("acc", values), ("acc_norm", normalised)):
        letter = LETTERS[best_index(ranked)]
        scores.append(Score(sample.id, metric, float(letter == sample.target), letter))
    return scores


def _answer_scores(sample: Sample, completions: Sequence[Completion]) -> list[Score]:
    if len(completions) != 1:
        raise ValueError(f"generative scoring expects 1 completion, got {len(completions)}")
    reply = first_line(completions[0].text)
    said = normalise_answer(reply)
    accepted = [normalise_answer(answer) for answer in json.loads(sample.meta("answers"))]
    exact = any(said == answer for answer in accepted)
    # Whole words only: "paris" is in "it is paris", not in "parisian".
    contains = any(f" {answer} " in f" {said} " for answer in accepted)
    return [Score(sample.id, "exact_match", float(exact), reply),
            Score(sample.id, "contains", float(contains), reply)]
