"""Cross-check bakeoff's MMLU loglikelihood scoring against lm-evaluation-harness 0.4.x.

Both tools score the SAME items with the SAME five shots: `export` writes bakeoff's own item
selection as lm-eval task data (cais/mmlu schema) and one task YAML per subject that includes
perf/lmeval_tasks/_bakeoff_mmlu_template_yaml (the official mmlu template, local JSON data).

Steps (docs/VALIDATION.md has the exact commands and the figures they gave):
  python perf/validate_mmlu.py export  --out DIR [--items 500] [--skip N] [--max-chars 1400]
  lm_eval --model hf --model_args pretrained=DIR/model,gguf_file=NAME.gguf \\
          --tasks bakeoff_mmlu --include_path DIR/tasks --log_samples --output_path DIR/lmeval
  python perf/validate_mmlu.py bakeoff --out DIR       # in-process llama.cpp loglikelihood
  python perf/validate_mmlu.py dequantise --model-file F32.gguf   # the weights lm-eval runs
  python perf/validate_mmlu.py bakeoff --out DIR --model-file F32.gguf --predictions NAME
  python perf/validate_mmlu.py compare --out DIR [--out DIR2] [--predictions NAME]

Items: bakeoff's evaluated items in its own (subject-interleaved) order, keeping those whose
prompt is at most --max-chars characters, until --items are taken: lm-eval's dequantised
transformers model runs on the CPU here, and short prompts keep that run to minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from jsonl_files import read_jsonl, write_jsonl, write_results

from bakeoff.benchmarks.mmlu import LETTERS, MMLU, NUM_SHOTS, MMLUItem, best_choice
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.types import LoglikelihoodRequest, Sample

MODEL = "qwen2.5-coder-0.5b-instruct"
TEMPLATE = Path(__file__).parent / "lmeval_tasks" / "_bakeoff_mmlu_template_yaml"
RESULTS = Path(__file__).parent / "results" / "mmlu_validation.json"
TASK_TAG = "bakeoff_mmlu"


# --- export --------------------------------------------------------------------------------


def select_samples(limit: int, max_chars: int, skip: int = 0,
                   subjects: int | None = None) -> list[Sample]:
    """bakeoff's evaluated items in its own order, short prompts only: `limit` of them after
    the first `skip` (so a second batch never repeats the first); with `subjects`, only items
    of the first that many subjects met in that order (as a full run has many per subject)."""
    chosen = [s for s in MMLU().load_samples() if len(s.input) <= max_chars]
    if subjects is not None:
        kept = list(dict.fromkeys(_subject(s) for s in chosen))[:subjects]
        chosen = [s for s in chosen if _subject(s) in kept]
    return chosen[skip:skip + limit]


def _subject(sample: Sample) -> str:
    return sample.id.split("/")[1]


def hub_row(item: MMLUItem) -> dict[str, Any]:
    """An item in the cais/mmlu schema, plus bakeoff's id to join the two runs on."""
    return {"question": item.question, "subject": item.subject, "choices": list(item.choices),
            "answer": LETTERS.index(item.answer),
            "bakeoff_id": item.sample_id}


def subject_yaml(subject: str, data_dir: Path) -> str:
    readable = subject.replace("_", " ")
    files = {"test": str(data_dir / f"{subject}.test.jsonl"),
             "dev": str(data_dir / f"{subject}.dev.jsonl")}
    return "\n".join([
        f"include: {TEMPLATE.resolve()}",
        f"task: {TASK_TAG}_{subject}",
        f"tag: {TASK_TAG}",
        "dataset_kwargs:",
        f"  data_files: {json.dumps(files)}",
        # The same description line as the official per-subject YAMLs.
        "description: " + json.dumps(
            f"The following are multiple choice questions (with answers) about {readable}.\n\n"),
        "",
    ])


def export(out: Path, limit: int, max_chars: int, skip: int,
           subjects: int | None = None) -> None:
    benchmark = MMLU()
    groups = benchmark.subjects()
    samples = select_samples(limit, max_chars, skip, subjects)
    by_id = {item.sample_id: item for items in groups.values() for item in items}
    chosen_by_subject: dict[str, list[MMLUItem]] = {}
    for sample in samples:
        item = by_id[sample.id]
        chosen_by_subject.setdefault(item.subject, []).append(item)
    data_dir, task_dir = out / "data", out / "tasks"
    data_dir.mkdir(parents=True, exist_ok=True)
    task_dir.mkdir(parents=True, exist_ok=True)
    for subject, items in chosen_by_subject.items():
        write_jsonl(data_dir / f"{subject}.test.jsonl", [hub_row(i) for i in items])
        shots = groups[subject][:NUM_SHOTS]
        write_jsonl(data_dir / f"{subject}.dev.jsonl", [hub_row(i) for i in shots])
        (task_dir / f"{TASK_TAG}_{subject}.yaml").write_text(subject_yaml(subject, data_dir))
    write_jsonl(out / "bakeoff_prompts.jsonl",
                 [{"id": s.id, "prompt": s.input, "target": s.target} for s in samples])
    print(f"{len(samples)} items in {len(chosen_by_subject)} subjects -> {out}")


# --- bakeoff's run -------------------------------------------------------------------------


async def score_with_bakeoff(samples: Sequence[Sample], model_path: Path,
                             threads: int) -> list[dict[str, Any]]:
    provider = LlamaCppProvider(model_path, model_path.stem, n_threads=threads)
    rows = []
    try:
        for number, sample in enumerate(samples, 1):
            requests = [LoglikelihoodRequest(sample.input, f" {letter}") for letter in LETTERS]
            logprobs = await provider.loglikelihood(requests)
            rows.append({"id": sample.id, "target": sample.target, "logprobs": logprobs,
                         "chosen": LETTERS[best_choice(logprobs)]})
            if number % 50 == 0:
                print(f"  {number}/{len(samples)}", flush=True)
        rows.append({"engine_settings": provider.engine_settings})
    finally:
        await provider.aclose()
    return rows


def run_bakeoff(out: Path, threads: int, model_file: Path | None, predictions: str) -> None:
    """Score with the bundled GGUF, or with `model_file` (e.g. its float32 copy, `dequantise`)."""
    prompts = read_jsonl(out / "bakeoff_prompts.jsonl")
    samples = [Sample(id=p["id"], input=p["prompt"], target=p["target"], choices=LETTERS)
               for p in prompts]
    started = time.monotonic()
    rows = asyncio.run(score_with_bakeoff(samples, model_file or ensure_model(MODEL), threads))
    write_jsonl(out / predictions, rows)
    print(f"bakeoff scored {len(samples)} items in {time.monotonic() - started:.0f}s")


# --- comparison ----------------------------------------------------------------------------


def read_lmeval_samples(lmeval_dir: Path) -> dict[str, dict[str, Any]]:
    """lm-eval's logged samples by bakeoff id: the context it scored and the letter it chose."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(lmeval_dir.rglob("samples_*.jsonl")):
        for row in read_jsonl(path):
            logprobs = [float(pair[0]) for pair in row["filtered_resps"]]
            context = row["arguments"]["gen_args_0"]["arg_0"]
            found[row["doc"]["bakeoff_id"]] = {
                "context": context, "logprobs": logprobs,
                "chosen": LETTERS[best_choice(logprobs)], "acc": float(row["acc"]),
            }
    return found


def dequantise(target: Path) -> None:
    """The bundled GGUF with every tensor stored as float32: the weights lm-eval's `hf` model
    runs (transformers dequantises the GGUF on load), so llama.cpp computes in float32 too."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_ALL_F32
    params.allow_requantize = True
    status = llama_cpp.llama_model_quantize(str(ensure_model(MODEL)).encode(),
                                            str(target).encode(), ctypes.byref(params))
    if status != 0:
        raise SystemExit(f"llama_model_quantize failed ({status})")
    print(f"float32 copy -> {target}")


def compare(outs: Sequence[Path], predictions: str = "bakeoff_predictions.jsonl"
            ) -> dict[str, Any]:
    """Both runs over every batch folder in `outs`, pooled."""
    prompts: dict[str, dict[str, Any]] = {}
    ours: dict[str, dict[str, Any]] = {}
    theirs: dict[str, dict[str, Any]] = {}
    for out in outs:
        prompts.update({p["id"]: p for p in read_jsonl(out / "bakeoff_prompts.jsonl")})
        ours_rows = read_jsonl(out / predictions)
        engine = next(r["engine_settings"] for r in ours_rows if "engine_settings" in r)
        ours.update({r["id"]: r for r in ours_rows if "id" in r})
        theirs.update(read_lmeval_samples(out / "lmeval"))
    missing = sorted(set(prompts) - set(theirs))
    if missing or set(ours) != set(prompts):
        raise SystemExit(f"runs do not cover the same items (lm-eval lacks {len(missing)})")
    ids = list(prompts)
    same_prompt = sum(theirs[i]["context"] == prompts[i]["prompt"] for i in ids)
    bakeoff_acc = sum(ours[i]["chosen"] == prompts[i]["target"] for i in ids) / len(ids)
    lmeval_acc = sum(theirs[i]["acc"] for i in ids) / len(ids)
    agreeing = [i for i in ids if ours[i]["chosen"] == theirs[i]["chosen"]]
    flips = [_flip(i, ours[i], theirs[i], prompts[i]["target"]) for i in ids
             if i not in set(agreeing)]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "model": MODEL, "items": len(ids), "batches": len(outs),
        "subjects": len({i.split("/")[1] for i in ids}),
        "identical_prompts": same_prompt,
        "accuracy_bakeoff": round(bakeoff_acc, 4), "accuracy_lmeval": round(lmeval_acc, 4),
        "accuracy_difference_points": round(100 * (bakeoff_acc - lmeval_acc), 2),
        "per_item_agreement": round(len(agreeing) / len(ids), 4),
        "logprob_difference_nats": _differences(ours, theirs, ids),
        "disagreements": flips,
        "bakeoff_engine": engine,
        "versions": _versions(),
    }


def _differences(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]],
                 ids: Sequence[str]) -> dict[str, float]:
    """|bakeoff - lm-eval| over every item's four letter loglikelihoods."""
    gaps = sorted(abs(a - b) for i in ids
                  for a, b in zip(ours[i]["logprobs"], theirs[i]["logprobs"], strict=True))
    return {"median": round(gaps[len(gaps) // 2], 5), "max": round(gaps[-1], 5)}


def _flip(item_id: str, ours: dict[str, Any], theirs: dict[str, Any],
          target: str) -> dict[str, Any]:
    """One disagreement, with each side's margin between its top two letters."""
    def margin(values: list[float]) -> float:
        top = sorted(values, reverse=True)
        return round(top[0] - top[1], 4)
    return {"id": item_id, "target": target, "bakeoff": ours["chosen"],
            "lmeval": theirs["chosen"], "bakeoff_margin": margin(ours["logprobs"]),
            "lmeval_margin": margin(theirs["logprobs"])}


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("bakeoff", "llama-cpp-python"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    lmeval_versions = os.environ.get("LMEVAL_VERSIONS")  # set by the caller from its venv
    if lmeval_versions:
        versions["lm-eval venv"] = lmeval_versions
    return versions


# --- files and command line ----------------------------------------------------------------



def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("export", "dequantise", "bakeoff", "compare"))
    parser.add_argument("--model-file", type=Path,
                        help="bakeoff step: score with this GGUF (dequantise: write it here)")
    parser.add_argument("--predictions", default="bakeoff_predictions.jsonl",
                        help="file name of bakeoff's predictions in each --out folder")
    parser.add_argument("--results", default=RESULTS.name,
                        help="file name under perf/results for the comparison")
    parser.add_argument("--out", type=Path, action="append",
                        help="batch folder; compare pools every --out given")
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--skip", type=int, default=0,
                        help="leave out the first SKIP eligible items (a later batch)")
    parser.add_argument("--max-chars", type=int, default=1400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    outs = args.out or [Path("/tmp/bakeoff-mmlu-validation")]
    if args.step == "export":
        export(outs[0], args.items, args.max_chars, args.skip)
    elif args.step == "dequantise":
        dequantise(args.model_file or Path("/tmp/qwen2.5-coder-0.5b-instruct-f32.gguf"))
    elif args.step == "bakeoff":
        for out in outs:
            run_bakeoff(out, args.threads, args.model_file, args.predictions)
    else:
        report = compare(outs, args.predictions)
        results = write_results(args.results, report)
        summary = {k: v for k, v in report.items() if k not in ("disagreements", "versions")}
        json.dump(summary, sys.stdout, indent=2)
        print(f"\nwritten to {results}")


if __name__ == "__main__":
    main()
