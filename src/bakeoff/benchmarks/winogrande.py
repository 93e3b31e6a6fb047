"""WinoGrande (Sakaguchi et al.): fill the blank with one of two options, 5-shot, acc.

Follows lm-evaluation-harness's `winogrande` task (version 1.0, winogrande_xl): partial
scoring. For a sentence "A ... _ B ...", each option is substituted into the part before "_"
and ends the context ("A ... option"); the part after "_", stripped, is the continuation
" B ..." scored for both, and the option under which it is more likely wins. A shot is the
sentence with its correct option and the suffix. Validation split evaluated; shots replay
lm-eval's sampler over the train split (seed 1234, 6 drawn per item because the task sets
no test split, the first 5 kept).

No offline copy of WinoGrande exists on PyPI: the hub or a user's file (hub schema:
sentence, option1, option2, answer "1"/"2") is the source. When the train split cannot be
loaded, the shots come from the evaluated items, each left out of its own shots.

Generative mode shows the sentence with its blank and the two options lettered A and B.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo
from bakeoff.benchmarks.choice import ACC, ChoiceBenchmark, ChoiceDoc, DataPlan, ShotPolicy
from bakeoff.benchmarks.data import DataUnavailable, HubSource

HUB_PATH = "allenai/winogrande"
HUB_CONFIG = "winogrande_xl"
HUB_REVISION = "df8eb8fe2e3ab788ec6eada56b9203a86a34c93d"  # parquet data files
VALIDATION = HubSource(HUB_PATH, "validation", HUB_REVISION, HUB_CONFIG)
TRAIN = HubSource(HUB_PATH, "train", HUB_REVISION, HUB_CONFIG)
NUM_SHOTS = 5
_ANSWER_INDEX = {"1": 0, "2": 1}


def to_doc(row: Mapping[str, Any], key: str) -> ChoiceDoc:
    """lm-eval's doc_to_choice (prefix + option), doc_to_target (suffix) and gold index."""
    sentence = str(row["sentence"])
    if "_" not in sentence:
        raise DataUnavailable(f"WinoGrande row {key} has no blank '_': {sentence[:60]!r}")
    blank = sentence.index("_")
    options = (str(row["option1"]), str(row["option2"]))
    return ChoiceDoc(
        key=key,
        text="",
        choices=tuple(sentence[:blank] + option for option in options),
        gold=_ANSWER_INDEX.get(str(row["answer"])),
        question=sentence,
        options=options,
        suffix=sentence[blank + 1:].strip(),
    )


def to_docs(rows: Sequence[Mapping[str, Any]]) -> list[ChoiceDoc]:
    return [to_doc(row, str(position)) for position, row in enumerate(rows)]


class WinoGrande(ChoiceBenchmark):
    def __init__(self, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 shot_rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        """`rows` / `shot_rows` (hub schema) replace the validation / train splits."""
        super().__init__(
            info=BenchmarkInfo(
                name="winogrande",
                shots=NUM_SHOTS,
                metric=ACC,
                description="WinoGrande (xl) validation, 5-shot from train, partial scoring",
                source=VALIDATION.describe(),
            ),
            metrics=(ACC,),
            plan=DataPlan(eval_sources=(VALIDATION,), shot_sources=(TRAIN,)),
            shots=ShotPolicy(NUM_SHOTS, "random", draw_extra=True),
            to_docs=to_docs,
            data_file=data_file,
            rows=rows,
            shot_rows=shot_rows,
        )
