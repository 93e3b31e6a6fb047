"""MMLU, HellaSwag and ARC-Challenge in French, German, Spanish and Italian.

Follows lm-evaluation-harness's okapi tasks (Lai et al. 2023), machine translations published
as alexandrainst/m_mmlu, m_hellaswag and m_arc (one hub config per language); one benchmark
per task and language: `mmlu_fr`, `hellaswag_de`, `arc_es`, ...

- `mmlu_xx` (lm-eval `m_mmlu_xx`): test split; "{instruction}\\nA. ..\\nD. ..\\nAnswer:" (the
  "Answer:" stays English, as in lm-eval) scored on the continuations " A" .. " D"; acc.
  5-shot, lm-eval's `first_n` sampler: the first five rows of the train split for every item;
  no subject description line (the translated test split is not grouped by subject).
- `hellaswag_xx` (lm-eval `hellaswag_xx`): the "val" split, prompts and cleaning as the
  English task (see `bakeoff.benchmarks.hellaswag`); acc_norm and acc. 10-shot; the task has
  no training split, so lm-eval's sampler draws 11 of the "val" items themselves and drops
  the item being evaluated; replayed here with its seed 1234.
- `arc_xx` (lm-eval `arc_xx`): test split; "Question: {instruction}\\nAnswer:" with the
  non-empty options (up to five) as continuations, all cleaned with the HellaSwag
  `preprocess`; acc_norm and acc. 25-shot (as the Okapi paper and the Open LLM Leaderboard
  ran ARC), shots drawn by lm-eval's sampler from the train split.

Shot counts are not set in lm-eval's okapi YAMLs (they default to 0); the counts above are the
English tasks' counts, as PROTOCOLS.md asks. An item whose answer letter names no option is
kept and scored 0, as lm-eval does. No offline copies exist on PyPI: the hub or a user's file
(hub schema) is the source; without the hub's train split, shots come from the evaluated
items, each left out of its own shots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo
from bakeoff.benchmarks.choice import (
    ACC,
    ACC_NORM,
    LETTERS,
    ChoiceBenchmark,
    ChoiceDoc,
    DataPlan,
    ShotPolicy,
)
from bakeoff.benchmarks.data import HubSource
from bakeoff.benchmarks.hellaswag import preprocess
from bakeoff.benchmarks.hellaswag import to_docs as hellaswag_docs

LANGUAGES = ("fr", "de", "es", "it")
MMLU_PATH, MMLU_REVISION = "alexandrainst/m_mmlu", "c343b0e0a73391b5c78d87aa409f60e77b1ba0fc"
HELLASWAG_PATH = "alexandrainst/m_hellaswag"
HELLASWAG_REVISION = "9d31dc982bd6285e081e3e3136332a38b9c1d7b7"
ARC_PATH, ARC_REVISION = "alexandrainst/m_arc", "7d0870e28f22de1959b0572abb1a0edb38c40253"
MMLU_SHOTS, HELLASWAG_SHOTS, ARC_SHOTS = 5, 10, 25
_MMLU_OPTIONS = ("option_a", "option_b", "option_c", "option_d")
_ARC_OPTIONS = ("option_a", "option_b", "option_c", "option_d", "option_e")

Rows = Sequence[Mapping[str, Any]] | None


def _gold(answer: Any, count: int) -> int | None:
    letter = str(answer).strip()
    index = LETTERS.find(letter) if len(letter) == 1 else -1
    return index if 0 <= index < count else None


# --- m_mmlu --------------------------------------------------------------------------------


def mmlu_doc(row: Mapping[str, Any], key: str) -> ChoiceDoc:
    """lm-eval's m_mmlu doc_to_text; the choices are the letters."""
    options = tuple(str(row[field]) for field in _MMLU_OPTIONS)
    doc = ChoiceDoc(key=key, text="", choices=tuple(LETTERS[:4]),
                    gold=_gold(row["answer"], 4),
                    question=str(row["instruction"]).strip(), options=options)
    # The lettered form is exactly lm-eval's prompt.
    return ChoiceDoc(key=doc.key, text=doc.lettered(), choices=doc.choices, gold=doc.gold,
                     question=doc.question, options=doc.options)


def mmlu_docs(rows: Sequence[Mapping[str, Any]]) -> list[ChoiceDoc]:
    return [mmlu_doc(row, str(position)) for position, row in enumerate(rows)]


# --- m_arc ---------------------------------------------------------------------------------


def arc_doc(row: Mapping[str, Any]) -> ChoiceDoc:
    """lm-eval's arc_xx process_docs: empty options dropped, everything preprocessed."""
    options = tuple(preprocess(str(row[field])) for field in _ARC_OPTIONS if row.get(field))
    question = preprocess(str(row["instruction"]))
    return ChoiceDoc(key=str(row["id"]), text=f"Question: {question}\nAnswer:",
                     choices=options, gold=_gold(row["answer"], len(options)),
                     question=f"Question: {question}", options=options)


def arc_docs(rows: Sequence[Mapping[str, Any]]) -> list[ChoiceDoc]:
    return [arc_doc(row) for row in rows]


# --- the benchmarks ------------------------------------------------------------------------


def _info(name: str, shots: int, metric: str, description: str,
          source: HubSource) -> BenchmarkInfo:
    return BenchmarkInfo(name=name, shots=shots, metric=metric, description=description,
                         source=source.describe())


def multilingual_mmlu(language: str, data_file: Path | None = None, rows: Rows = None,
                      shot_rows: Rows = None) -> ChoiceBenchmark:
    test = HubSource(MMLU_PATH, "test", MMLU_REVISION, language)
    train = HubSource(MMLU_PATH, "train", MMLU_REVISION, language)
    return ChoiceBenchmark(
        info=_info(f"mmlu_{language}", MMLU_SHOTS, ACC,
                   f"MMLU ({language}, okapi m_mmlu) test, 5-shot: first 5 train rows", test),
        metrics=(ACC,),
        plan=DataPlan(eval_sources=(test,), shot_sources=(train,)),
        shots=ShotPolicy(MMLU_SHOTS, "first_n"),
        to_docs=mmlu_docs,
        data_file=data_file, rows=rows, shot_rows=shot_rows,
    )


def multilingual_hellaswag(language: str, data_file: Path | None = None,
                           rows: Rows = None) -> ChoiceBenchmark:
    val = HubSource(HELLASWAG_PATH, "val", HELLASWAG_REVISION, language)
    return ChoiceBenchmark(
        info=_info(f"hellaswag_{language}", HELLASWAG_SHOTS, ACC_NORM,
                   f"HellaSwag ({language}, okapi m_hellaswag) val, 10-shot from val", val),
        metrics=(ACC_NORM, ACC),
        plan=DataPlan(eval_sources=(val,)),
        shots=ShotPolicy(HELLASWAG_SHOTS, "random", draw_extra=True),
        to_docs=hellaswag_docs,
        data_file=data_file, rows=rows,
    )


def multilingual_arc(language: str, data_file: Path | None = None, rows: Rows = None,
                     shot_rows: Rows = None) -> ChoiceBenchmark:
    test = HubSource(ARC_PATH, "test", ARC_REVISION, language)
    train = HubSource(ARC_PATH, "train", ARC_REVISION, language)
    return ChoiceBenchmark(
        info=_info(f"arc_{language}", ARC_SHOTS, ACC_NORM,
                   f"ARC-Challenge ({language}, okapi m_arc) test, 25-shot from train", test),
        metrics=(ACC_NORM, ACC),
        plan=DataPlan(eval_sources=(test,), shot_sources=(train,)),
        shots=ShotPolicy(ARC_SHOTS, "random", draw_extra=False),
        to_docs=arc_docs,
        data_file=data_file, rows=rows, shot_rows=shot_rows,
    )


Factory = Callable[..., ChoiceBenchmark]


def _factory(build: Factory, language: str) -> Factory:
    def make(data_file: Path | None = None) -> ChoiceBenchmark:
        return build(language, data_file=data_file)
    return make


# Each factory takes `data_file=` (the user's file, hub schema), as the registry expects.
MULTILINGUAL_BENCHMARKS: dict[str, Factory] = {
    f"{family}_{language}": _factory(build, language)
    for family, build in (("mmlu", multilingual_mmlu), ("hellaswag", multilingual_hellaswag),
                          ("arc", multilingual_arc))
    for language in LANGUAGES
}
