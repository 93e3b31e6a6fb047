"""bakeoff and lm-evaluation-harness's `hf` model scoring the same local items, side by side.

One invocation, one bundled GGUF (default smollm2-135m-instruct), the same prompts on both sides:

1. MMLU, 5-shot loglikelihood: bakeoff's items as perf/validate_mmlu.py selects them (prompts of
   at most --max-chars characters, bakeoff's order; with --subjects, those of the first K
   subjects only, as a full run has about 240 items per subject) and exported as lm-eval task
   data with the same shots. bakeoff: `LlamaCppProvider.loglikelihood` with each question's four
   requests together, in the order the runner sends a local model its items (same-prefix
   prompts together, so a subject's shots stay in the KV cache). lm-eval: `simple_evaluate` on
   an `HFLM` loaded from the same GGUF (transformers dequantises it to float32), batch size 1,
   in a child process run by the peer venv's Python (it imports nothing of bakeoff).
2. The engine's prefill rate: llama.cpp (a Llama of its own, loaded with the provider's settings)
   evaluates exactly the tokens bakeoff's MMLU run evaluated, at the same KV positions, in
   n_batch chunks, without scoring. Those tokens are counted by replaying the engine's KV-cache
   reuse on the same token ids: per question, its context minus the longest common prefix with
   what the cache held (at most all but the last two tokens, as the engine re-evaluates them);
   the one-token continuations " A".." D" are read from the context's last logits and add none.
   bakeoff and the replay take turns, five MMLU items each, so both see the same load.
3. GSM8K, bakeoff's 5-shot prompt (its five shots as the task's `train` split, first_n sampler,
   lm-eval's gsm8k.yaml otherwise), greedy, at most 256 tokens, both tools.

Timings are wall clock around each tool's scoring calls (model loading timed apart); lm-eval's
is that of `HFLM.loglikelihood` / `generate_until`, and its whole `simple_evaluate` is kept too.

Defaults: 40 MMLU and 10 GSM8K items, one thread for llama.cpp and for torch. On this project's
shared 2-core machine (another measurement running, load average 2-3) that took 7 min 51 s, 4
of them lm-eval's (its model load, float32 forward passes, and GSM8K's ~870-token prompts
evaluated whole for each item): short enough to run beside other work, long enough that each
side's scoring takes a minute or more. One thread each because with two, llama.cpp's and
torch's worker threads compete with the other work for both cores: the same 4 items took from
8 to 21 s between runs with two threads, 12.0 and 12.3 s with one.

The peer venv (.peer-venv: lm-eval, torch's CPU build, transformers, gguf, accelerate, pinned
in perf/peer_envs.py) is made first if it lacks them. Run with bakeoff's venv:

    .venv/bin/python perf/local_peers.py [--model smollm2-135m-instruct] [--items 40]
        [--subjects K] [--gsm8k-items 10] [--threads 1]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "perf" / "results" / "local_peers.json"
MMLU_TAG = "bakeoff_mmlu"
GSM8K_TASK = "bakeoff_gsm8k"
LETTERS = ("A", "B", "C", "D")


# --- lm-eval's side: runs in the peer venv, imports nothing of bakeoff ----------------------

def lmeval_worker(out: Path, gguf: str, threads: int) -> None:
    """Load the GGUF as an HFLM, run both tasks, write out/lmeval.json."""
    import logging

    import torch
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    logging.disable(logging.WARNING)
    torch.set_num_threads(threads)
    _write_gsm8k_task(out)
    started = time.perf_counter()
    lm = HFLM(pretrained=str(out / "model"), gguf_file=gguf, dtype="float32", batch_size=1,
              device="cpu")
    timings: dict[str, float] = {"load_s": time.perf_counter() - started}
    for method in ("loglikelihood", "generate_until"):
        setattr(lm, method, _timed(getattr(lm, method), f"{method}_s", timings))
    manager = TaskManager(include_path=str(out / "tasks"))
    report: dict[str, Any] = {}
    for name, tasks in (("mmlu", [MMLU_TAG]), ("gsm8k", [GSM8K_TASK])):
        started = time.perf_counter()
        results = simple_evaluate(model=lm, tasks=tasks, num_fewshot=5, task_manager=manager,
                                  log_samples=True, bootstrap_iters=0)
        timings[f"{name}_simple_evaluate_s"] = time.perf_counter() - started
        assert results is not None
        report[name] = [_logged(row) for rows in results["samples"].values() for row in rows]
    report["timings"] = timings
    report["versions"] = _peer_versions()
    (out / "lmeval.json").write_text(json.dumps(report))


def _timed(method: Any, key: str, timings: dict[str, float]) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - started
    return timed


def _write_gsm8k_task(out: Path) -> None:
    """lm-eval's own gsm8k.yaml, reading bakeoff's items and its five shots from local files."""
    import lm_eval

    official = Path(lm_eval.__file__).parent / "tasks" / "gsm8k" / "gsm8k.yaml"
    files = {"test": str(out / "gsm8k" / "test.jsonl"),
             "train": str(out / "gsm8k" / "train.jsonl")}
    (out / "tasks" / f"{GSM8K_TASK}.yaml").write_text("\n".join([
        f"include: {official}", f"task: {GSM8K_TASK}", "tag: bakeoff_local",
        "dataset_path: json", "dataset_name: null", "dataset_kwargs:",
        f"  data_files: {json.dumps(files)}", "fewshot_config:", "  sampler: first_n", ""]))


def _logged(row: dict[str, Any]) -> dict[str, Any]:
    """What the comparison needs of one logged sample (MMLU or GSM8K)."""
    context = row["arguments"][0][0]
    logged = {"id": row["doc"]["bakeoff_id"], "context": context,
              "filter": row.get("filter")}
    if isinstance(row["arguments"][0][1], str):  # loglikelihood: (context, continuation)
        logged["logprobs"] = [float(pair[0]) for pair in row["filtered_resps"]]
        logged["acc"] = float(row["acc"])
    else:
        logged["text"] = row["resps"][0][0]
        logged["extracted"] = row["filtered_resps"][0]
        logged["exact_match"] = float(row["exact_match"])
    return logged


def _peer_versions() -> dict[str, str | None]:
    from importlib.metadata import version

    def of(name: str) -> str | None:
        try:
            return version(name)
        except Exception:
            return None
    return {"python": platform.python_version(), "lm_eval": of("lm_eval"),
            "torch": of("torch"), "transformers": of("transformers"), "gguf": of("gguf"),
            "accelerate": of("accelerate")}


# --- the items (bakeoff's venv) -------------------------------------------------------------

def export_items(out: Path, items: int, max_chars: int, subjects: int | None,
                 gsm8k_items: int, model_path: Path) -> tuple[list[Any], list[Any]]:
    """MMLU and GSM8K samples, written as lm-eval task data under `out`; the GGUF linked in.
    The MMLU items come in the order bakeoff's runner sends a local model its items."""
    import validate_mmlu
    from jsonl_files import write_jsonl

    from bakeoff.benchmarks.gsm8k import GSM8K, NUM_SHOTS, build_prompt
    from bakeoff.benchmarks.mmlu import MMLU
    from bakeoff.engine.runner import WorkUnit, kv_cache_order

    for stale in ("data", "tasks"):  # an earlier selection's subjects would be scored too
        shutil.rmtree(out / stale, ignore_errors=True)
    validate_mmlu.export(out, items, max_chars, 0, subjects)
    selected = validate_mmlu.select_samples(items, max_chars, 0, subjects)
    mmlu = [u.sample for u in kv_cache_order(WorkUnit("mmlu", MMLU(), s) for s in selected)]
    benchmark = GSM8K()
    gsm8k = benchmark.load_samples(gsm8k_items)
    by_index = {item.index: item for item in benchmark.items()}
    shots = benchmark.items()[:NUM_SHOTS]
    chosen = [by_index[int(sample.id.split("/")[1])] for sample in gsm8k]
    if any(build_prompt(item, shots) != s.input for item, s in zip(chosen, gsm8k, strict=True)):
        raise SystemExit("GSM8K shots are not the first five file items (hub data?)")
    (out / "gsm8k").mkdir(exist_ok=True)
    write_jsonl(out / "gsm8k" / "test.jsonl", [
        {"question": i.question, "answer": i.answer, "bakeoff_id": i.sample_id} for i in chosen])
    write_jsonl(out / "gsm8k" / "train.jsonl", [
        {"question": i.question, "answer": i.answer, "bakeoff_id": i.sample_id} for i in shots])
    (out / "model").mkdir(exist_ok=True)
    link = out / "model" / model_path.name
    if not link.exists():
        link.symlink_to(model_path)
    return mmlu, gsm8k


# --- bakeoff's side -------------------------------------------------------------------------

WARM_UP = ("Hello", " world")  # loads the model before the timed calls
REPLAY_BLOCK = 5  # MMLU items per turn of bakeoff and the prefill replay


async def bakeoff_scores(model_path: Path, threads: int, mmlu: Sequence[Any],
                         gsm8k: Sequence[Any]) -> dict[str, Any]:
    """Both benchmarks through one LlamaCppProvider, as the runner sends their requests. Its
    MMLU items go in blocks that alternate with the prefill replay of the same block, so the
    two see the same load from other work on the machine."""
    from bakeoff.benchmarks.gsm8k import GSM8K
    from bakeoff.benchmarks.mmlu import MMLU, best_choice
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
    from bakeoff.types import LoglikelihoodRequest

    provider = LlamaCppProvider(model_path, model_path.stem, n_threads=threads)
    try:
        started = time.perf_counter()
        await provider.loglikelihood([LoglikelihoodRequest(*WARM_UP)])
        load_s = time.perf_counter() - started
        replay = PrefillReplay(model_path, threads, int(provider.engine_settings["n_batch"]))
        mmlu_rows, mmlu_s = [], 0.0
        for first in range(0, len(mmlu), REPLAY_BLOCK):
            block = mmlu[first:first + REPLAY_BLOCK]
            started = time.perf_counter()
            for sample in block:
                requests = MMLU().requests(sample, provider.abilities)
                logprobs = await provider.loglikelihood(requests)  # type: ignore[arg-type]
                mmlu_rows.append({"id": sample.id, "logprobs": logprobs, "target": sample.target,
                                  "chosen": LETTERS[best_choice(logprobs)]})
            mmlu_s += time.perf_counter() - started
            replay.run([sample.input for sample in block])
        replay.close()
        gsm8k_rows, started, benchmark = [], time.perf_counter(), GSM8K()
        for sample in gsm8k:
            [request] = benchmark.requests(sample, provider.abilities)
            completion = await provider.generate(request)  # type: ignore[arg-type]
            flexible, strict = benchmark.score_all(sample, [completion])
            gsm8k_rows.append({"id": sample.id, "text": completion.text,
                               "output_tokens": completion.usage.output_tokens,
                               "extracted": flexible.extracted, "correct": flexible.value,
                               "strict_correct": strict.value})
        gsm8k_s = time.perf_counter() - started
        settings = provider.engine_settings
    finally:
        await provider.aclose()
    return {"load_s": load_s, "mmlu_s": mmlu_s, "gsm8k_s": gsm8k_s, "mmlu": mmlu_rows,
            "prefill": replay.result(), "gsm8k": gsm8k_rows, "engine_settings": settings}


# --- the engine's prefill rate --------------------------------------------------------------

class PrefillReplay:
    """llama.cpp evaluating the context tokens bakeoff's engine evaluated, as it did (the same
    token ids at the same KV positions, n_batch chunks), without scoring them."""

    def __init__(self, model_path: Path, threads: int, n_batch: int) -> None:
        self._llama = _plain_llama(model_path, threads, n_batch)
        self._n_batch = n_batch
        self._cached: list[int] = []
        self.tokens_evaluated = self.context_tokens = 0
        self.wall_s = 0.0
        # bakeoff's cache held the warm-up before the first item.
        for tokens, reused in self._segments([WARM_UP[0]]):
            _evaluate(self._llama, tokens, reused, n_batch)

    def run(self, contexts: Sequence[str]) -> None:
        """Evaluate these contexts (tokenized beforehand: only the evaluation is timed)."""
        segments = self._segments(contexts)
        started = time.perf_counter()
        for tokens, reused in segments:
            _evaluate(self._llama, tokens, reused, self._n_batch)
        self.wall_s += time.perf_counter() - started
        self.tokens_evaluated += sum(len(tokens) - reused for tokens, reused in segments)
        self.context_tokens += sum(len(tokens) for tokens, _ in segments)

    def _segments(self, contexts: Sequence[str]) -> list[tuple[list[int], int]]:
        """Each context's tokens and how many of them the engine finds in its KV cache: the
        longest common prefix with what it holds, less at least the last two tokens (which it
        re-evaluates). The one-token continuations " A".." D" are read from the context's last
        logits, so the cache then holds exactly the context."""
        segments = []
        for context in contexts:
            tokens = _context_tokens(self._llama, context)
            pairs = zip(self._cached, tokens, strict=False)
            shared = next((i for i, (old, new) in enumerate(pairs) if old != new),
                          min(len(self._cached), len(tokens)))
            reused = min(shared, max(len(tokens) - 2, 0))
            segments.append((tokens, reused))
            self._cached = tokens
        return segments

    def result(self) -> dict[str, Any]:
        return {"tokens_evaluated": self.tokens_evaluated,
                "context_tokens": self.context_tokens, "wall_s": self.wall_s,
                "tokens_per_s": self.tokens_evaluated / self.wall_s}

    def close(self) -> None:
        self._llama.close()


def _plain_llama(model_path: Path, threads: int, n_batch: int) -> Any:
    """A Llama with the provider's load options (weight repacking off, as bakeoff loads it)."""
    import llama_cpp.llama_cpp as bindings
    from llama_cpp import Llama

    default_params = bindings.llama_model_default_params

    def without_repacking() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = without_repacking
    try:
        return Llama(str(model_path), n_ctx=4096, n_threads=threads, n_threads_batch=threads,
                     n_batch=n_batch, flash_attn=False, swa_full=True, logits_all=False,
                     verbose=False)
    finally:
        bindings.llama_model_default_params = default_params


def _context_tokens(llama: Any, context: str) -> list[int]:
    """The context as the engine tokenizes it (its trailing spaces go to the continuation)."""
    tokens: list[int] = llama.tokenize(context.rstrip().encode(), add_bos=True, special=True)
    if len(tokens) >= 2 and tokens[0] == tokens[1] == llama.token_bos():
        return tokens[1:]
    return tokens


def _evaluate(llama: Any, tokens: list[int], reused: int, n_batch: int) -> None:
    """tokens[reused:] after the cached prefix, in chunks of n_batch, no chunk of one token."""
    llama.n_tokens = reused
    bounds = [*range(reused, len(tokens), n_batch), len(tokens)]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        bounds[-2] -= 1
    for start, end in itertools.pairwise(bounds):
        llama.eval(tokens[start:end])


# --- comparison and record ------------------------------------------------------------------

def compare_mmlu(prompts: dict[str, str], ours: Sequence[dict[str, Any]],
                 theirs: Sequence[dict[str, Any]], ours_s: float, theirs_s: float
                 ) -> dict[str, Any]:
    lm = {row["id"]: row for row in theirs}
    if set(lm) != set(prompts):
        raise SystemExit(f"lm-eval scored {len(lm)} MMLU items, not the {len(prompts)} chosen")
    items = len(ours)
    theirs_chosen = {i: LETTERS[max(range(4), key=lm[i]["logprobs"].__getitem__)] for i in lm}
    gaps = sorted(abs(a - b) for row in ours
                  for a, b in zip(row["logprobs"], lm[row["id"]]["logprobs"], strict=True))
    bakeoff_acc = sum(row["chosen"] == row["target"] for row in ours) / items
    lmeval_acc = sum(row["acc"] for row in theirs) / items
    return {
        "items": items,
        "identical_prompts": sum(lm[i]["context"] == prompts[i] for i in prompts),
        "bakeoff": {"wall_s": ours_s, "items_per_s": items / ours_s,
                    "accuracy": bakeoff_acc},
        "lm_eval": {"wall_s": theirs_s, "items_per_s": items / theirs_s,
                    "accuracy": lmeval_acc},
        "speedup": theirs_s / ours_s,
        "accuracy_difference_points": 100 * (bakeoff_acc - lmeval_acc),
        "same_letter": sum(row["chosen"] == theirs_chosen[row["id"]] for row in ours),
        "logprob_difference_nats": {"median": gaps[len(gaps) // 2], "max": gaps[-1]},
    }


def compare_gsm8k(prompts: dict[str, str], ours: Sequence[dict[str, Any]],
                  theirs: Sequence[dict[str, Any]], ours_s: float, theirs_s: float
                  ) -> dict[str, Any]:
    flexible = {row["id"]: row for row in theirs if row["filter"] == "flexible-extract"}
    if set(flexible) != set(prompts):
        raise SystemExit(f"lm-eval answered {len(flexible)} GSM8K items, not {len(prompts)}")
    items = len(ours)
    return {
        "items": items,
        "identical_prompts": sum(flexible[i]["context"] == prompts[i] for i in prompts),
        "bakeoff": {"wall_s": ours_s, "items_per_s": items / ours_s,
                    "accuracy": sum(row["correct"] for row in ours) / items,
                    "output_tokens": sum(row["output_tokens"] for row in ours)},
        "lm_eval": {"wall_s": theirs_s, "items_per_s": items / theirs_s,
                    "accuracy": sum(row["exact_match"] for row in flexible.values()) / items},
        "speedup": theirs_s / ours_s,
        # lm-eval's texts are cut at the stop strings; bakeoff stops on them.
        "identical_answers": sum(row["text"] == flexible[row["id"]]["text"] for row in ours),
        "same_extracted_answer": sum((row["extracted"] or "[invalid]")
                                     == flexible[row["id"]]["extracted"] for row in ours),
        "same_correctness": sum(row["correct"] == flexible[row["id"]]["exact_match"]
                                for row in ours),
    }


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
             if line.startswith("model name")]
    load = os.getloadavg()
    return {"cpu": names[0] if names else platform.processor(), "cores": len(names),
            "usable_cores": len(os.sched_getaffinity(0)), "platform": platform.platform(),
            "load_average_at_start": [round(value, 2) for value in load],
            "shared": "other work ran on the same cores during the measurement"}


def bakeoff_versions() -> dict[str, str]:
    from importlib.metadata import version

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"python": platform.python_version(), "bakeoff": version("bakeoff"),
            "bakeoff_commit": commit, "llama-cpp-python": version("llama-cpp-python")}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import asyncio

    from bakeoff.providers.bundled import ensure_model

    record: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python perf/local_peers.py", *sys.argv[1:]]),
        "machine": machine(), "model": args.model, "threads": args.threads,
        "settings": {"mmlu_items": args.items, "max_chars": args.max_chars,
                     "mmlu_subjects_at_most": args.subjects,
                     "bakeoff_mmlu_order": "the runner's for a local model: same-prefix prompts "
                                           "together (engine.runner.kv_cache_order)",
                     "gsm8k_items": args.gsm8k_items, "lm_eval_batch_size": 1,
                     "lm_eval_dtype": "float32 (transformers dequantises the GGUF)"}}
    model_path = ensure_model(args.model)
    args.scratch.mkdir(parents=True, exist_ok=True)
    mmlu, gsm8k = export_items(args.scratch, args.items, args.max_chars, args.subjects,
                               args.gsm8k_items, model_path)
    import peer_envs

    peer_python = str(peer_envs.ensure("lm-eval-hf"))
    print(f"lm-eval ({peer_python}) ...", flush=True)
    worker = subprocess.run([peer_python, __file__, "--lmeval-worker", str(args.scratch),
                             model_path.name, str(args.threads)], check=False,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                                 "TOKENIZERS_PARALLELISM": "false"})
    if worker.returncode:
        raise SystemExit(f"lm-eval worker failed ({worker.returncode})")
    theirs = json.loads((args.scratch / "lmeval.json").read_text())
    print("bakeoff ...", flush=True)
    ours = asyncio.run(bakeoff_scores(model_path, args.threads, mmlu, gsm8k))
    prefill = ours["prefill"]
    timings = theirs["timings"]
    mmlu_report = compare_mmlu({s.id: s.input for s in mmlu}, ours["mmlu"], theirs["mmlu"],
                               ours["mmlu_s"], timings["loglikelihood_s"])
    mmlu_report["lm_eval"]["simple_evaluate_s"] = timings["mmlu_simple_evaluate_s"]
    mmlu_report["subjects"] = len({sample.id.split("/")[1] for sample in mmlu})
    tokens = prefill["tokens_evaluated"]
    mmlu_report["bakeoff"]["tokens_evaluated"] = tokens
    mmlu_report["bakeoff"]["tokens_per_s"] = tokens / ours["mmlu_s"]
    gsm8k_report = compare_gsm8k({s.id: s.input for s in gsm8k}, ours["gsm8k"],
                                 theirs["gsm8k"], ours["gsm8k_s"], timings["generate_until_s"])
    gsm8k_report["lm_eval"]["simple_evaluate_s"] = timings["gsm8k_simple_evaluate_s"]
    fraction = mmlu_report["bakeoff"]["tokens_per_s"] / prefill["tokens_per_s"]
    record.update({
        "versions": {**bakeoff_versions(), "peer": theirs["versions"]},
        "engine_settings": ours["engine_settings"],
        "load_s": {"bakeoff": ours["load_s"], "lm_eval": timings["load_s"]},
        "mmlu": mmlu_report, "prefill": {**prefill, "bakeoff_fraction": fraction},
        "gsm8k": gsm8k_report,
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "targets": {
            "mmlu_speedup_at_least_5": mmlu_report["speedup"] >= 5,
            "mmlu_accuracy_within_1_point": abs(mmlu_report["accuracy_difference_points"]) <= 1,
            "prefill_fraction_at_least_0.85": fraction >= 0.85},
        "per_item": {"mmlu_bakeoff": ours["mmlu"], "gsm8k_bakeoff": ours["gsm8k"],
                     "gsm8k_lm_eval": [r for r in theirs["gsm8k"]
                                       if r["filter"] == "flexible-extract"]},
    })
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lmeval-worker", nargs=3, metavar=("OUT", "GGUF", "THREADS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--model", default="smollm2-135m-instruct", help="a bundled model")
    parser.add_argument("--items", type=int, default=40, help="MMLU items")
    parser.add_argument("--max-chars", type=int, default=1400,
                        help="MMLU: only prompts of at most this many characters")
    parser.add_argument("--subjects", type=int, default=None,
                        help="MMLU: items of the first this many subjects only (a full run "
                             "has about 240 items per subject)")
    parser.add_argument("--gsm8k-items", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1,
                        help="llama.cpp's and torch's threads (1: see the module docstring)")
    parser.add_argument("--scratch", type=Path,
                        default=Path(tempfile.gettempdir()) / "bakeoff-local-peers")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.lmeval_worker:
        out, gguf, threads = args.lmeval_worker
        lmeval_worker(Path(out), gguf, int(threads))
        return
    sys.path.insert(0, str(Path(__file__).parent))  # validate_mmlu, jsonl_files, peer_envs
    record = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    summary = {key: record[key] for key in ("load_s", "mmlu", "prefill", "gsm8k", "targets")}
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
