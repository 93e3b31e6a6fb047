"""MGSM (Shi et al.): GSM8K's problems in other languages, 5-shot chain of thought, per language.

Follows lm-evaluation-harness's `mgsm_native_cot_{lang}` tasks (version 4.0), the variant that
matches how bakeoff runs GSM8K ("as the English task", PROTOCOLS.md): worked answers in the
shots, greedy, and the same two metrics, exact_match on
- "flexible-extract" (primary): the last number in the answer (GSM8K's pattern);
- "strict-match": the number after the language's "The answer is" phrase;
each compared with the reference number lower-cased and without ASCII punctuation (lm-eval's
ignore_case and ignore_punctuation: "1,250" and "1250" match, and so do "12.5" and "125").

Prompt: the juletxara/mgsm train split holds 8 worked exemplars whose `question` already starts
with "Question: " (in the language) and whose `answer` starts with the answer label; a shot is
the question, "\\n" and the label, " ", the answer after its label, shots joined by "\\n\\n";
then "{Question: }{question}\\n{label}" for the test item. Generation stops at the language's
"Question:" word, "</s>" or "<|im_end|>".

Shots: 5, drawn per item by lm-eval's sampler (seed 1234) from the train exemplars. lm-eval's
yaml sets no shot count (0 by default); 5 follows GSM8K. A user's file may hold both splits:
rows with an `answer` are exemplars, rows without are evaluated. juletxara/mgsm has no Italian,
so there is no `mgsm_it`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, HubSource, load_first
from bakeoff.benchmarks.generative import generation_request, random_shots
from bakeoff.scoring.extract import (
    GSM8K_FLEXIBLE_PATTERN,
    exact_match_any,
    regex_extract,
    truncate_at_stop,
)
from bakeoff.types import Completion, GenerationConfig, Request, Sample, Score

NUM_SHOTS = 5
FLEXIBLE_METRIC = "exact_match,flexible-extract"
STRICT_METRIC = "exact_match,strict-match"


@dataclass(frozen=True)
class Language:
    code: str
    question_word: str  # also the first stop sequence
    answer_label: str
    answer_phrase: str  # what precedes the final number in a worked answer

    @property
    def stop_sequences(self) -> tuple[str, ...]:
        return (self.question_word, "</s>", "<|im_end|>")

    @property
    def strict_pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.answer_phrase) + r" (\-?[0-9\.\,]+)")


# The phrases of lm-eval's mgsm_native_cot_{en,fr,de,es}.yaml.
LANGUAGES = {
    "en": Language("en", "Question:", "Step-by-Step Answer:", "The answer is"),
    "fr": Language("fr", "Question :", "Réponse étape par étape :", "La réponse est"),
    "de": Language("de", "Frage:", "Schritt-für-Schritt-Antwort:", "Die Antwort lautet"),
    "es": Language("es", "Pregunta:", "Respuesta paso a paso:", "La respuesta es"),
}
# No published commit of the dataset repository could be looked up offline: "main" is pinned.
REVISION = "main"


def hub_source(code: str, split: str) -> HubSource:
    return HubSource("juletxara/mgsm", split, REVISION, name=code)


@dataclass(frozen=True)
class MGSMItem:
    index: int  # position among all rows given (exemplars included)
    question: str
    answer: str | None  # the worked answer, with its label (exemplars only)
    answer_number: str


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[MGSMItem]:
    """Hub rows (question, answer, answer_number, equation_solution) as items."""
    items: list[MGSMItem] = []
    for number, row in enumerate(rows, 1):
        missing = [key for key in ("question", "answer_number") if key not in row]
        if missing:
            raise DataUnavailable(f"MGSM row {number}: missing field {missing[0]!r}")
        answer = row.get("answer")
        items.append(MGSMItem(index=len(items), question=str(row["question"]),
                              answer=None if answer is None else str(answer),
                              answer_number=str(row["answer_number"])))
    return items


# --- prompt (lm-eval mgsm_native_cot) ------------------------------------------------------


def format_question(item: MGSMItem, language: Language) -> str:
    """Exemplars carry their "Question: " already; test items get it here."""
    if item.answer is not None:
        return f"{item.question}\n{language.answer_label}"
    return f"{language.question_word} {item.question}\n{language.answer_label}"


def format_shot(item: MGSMItem, language: Language) -> str:
    if item.answer is None:
        raise DataUnavailable("an MGSM exemplar needs a worked answer")
    worked = item.answer[len(language.answer_label) + 1:]  # lm-eval's answer[len(label)+1:]
    return f"{format_question(item, language)} {worked}\n\n"


def build_prompt(item: MGSMItem, shots: Sequence[MGSMItem], language: Language) -> str:
    solved = "".join(format_shot(shot, language) for shot in shots)
    return solved + format_question(item, language)


# --- scoring -------------------------------------------------------------------------------


def extract_answers(text: str, language: Language) -> tuple[str | None, str | None]:
    """(flexible, strict) extractions of the answer cut at the stop sequences."""
    answer = truncate_at_stop(text, language.stop_sequences)
    return (regex_extract(answer, GSM8K_FLEXIBLE_PATTERN, group_select=-1),
            regex_extract(answer, language.strict_pattern, group_select=0))


def matches(extracted: str | None, reference: str) -> bool:
    return exact_match_any(extracted, [reference], ignore_case=True, ignore_punctuation=True)


# --- the benchmark -------------------------------------------------------------------------


class MGSM:
    metrics: tuple[str, ...] = (FLEXIBLE_METRIC, STRICT_METRIC)

    def __init__(self, language: str, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        """`rows` (hub schema; exemplar rows with `answer`, test rows without) replace every
        source; `data_file` is the user's file in the same schema."""
        if language not in LANGUAGES:
            raise ValueError(f"MGSM has no language {language!r}; known: {sorted(LANGUAGES)}")
        self.language = LANGUAGES[language]
        self.name = f"mgsm_{language}"
        self._data_file = data_file
        self._rows = rows
        self.data_source: str | None = "rows given by the caller" if rows is not None else None
        self.info = BenchmarkInfo(
            name=self.name, shots=NUM_SHOTS, metric=FLEXIBLE_METRIC,
            description=f"MGSM {language} test (250 items), 5-shot native chain of thought",
            source=hub_source(language, "test").describe(), modes=("generative",),
            metrics=self.metrics, sources=(hub_source(language, "test"),),
        )

    def _load(self) -> list[MGSMItem]:
        if self._rows is not None:
            return parse_rows(self._rows)
        loaded = load_first(self.name, [hub_source(self.language.code, "test")], self._data_file)
        self.data_source = loaded.source.describe()
        rows = list(loaded.rows)
        if isinstance(loaded.source, HubSource):
            exemplars = load_first(f"{self.name} shots", [hub_source(self.language.code, "train")])
            rows = exemplars.rows + rows
        return parse_rows(rows)

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        items = self._load()
        exemplars = [item for item in items if item.answer is not None]
        evaluated = [item for item in items if item.answer is None][:limit]
        if len(exemplars) < NUM_SHOTS:
            raise DataUnavailable(f"{self.name}: needs {NUM_SHOTS} worked exemplars (the train "
                                  f"split), found {len(exemplars)}")
        draws = random_shots(exemplars, NUM_SHOTS, len(evaluated))
        return [Sample(id=f"{self.name}/{position}",
                       input=build_prompt(item, shots, self.language),
                       target=item.answer_number)
                for position, (item, shots) in enumerate(zip(evaluated, draws, strict=True))]

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        config = GenerationConfig(max_tokens=256, temperature=0.0,
                                  stop=self.language.stop_sequences)
        return [generation_request(sample.input, config, abilities.endpoint)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        return self.score_all(sample, completions)[0]

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        if not completions:
            raise ValueError("MGSM scoring needs one completion")
        flexible, strict = extract_answers(completions[0].text, self.language)
        return [Score(sample_id=sample.id, metric=metric,
                      value=1.0 if matches(extracted, sample.target) else 0.0,
                      extracted=extracted)
                for metric, extracted in ((FLEXIBLE_METRIC, flexible), (STRICT_METRIC, strict))]


def mgsm_factory(language: str) -> Callable[..., MGSM]:
    """A registry factory for one language: accepts `data_file=` like the others."""
    def build(data_file: Path | None = None) -> MGSM:
        return MGSM(language, data_file=data_file)
    return build
