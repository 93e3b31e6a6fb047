"""Cross-check bakeoff's GSM8K answer extraction against lm-evaluation-harness 0.4.x's own code.

The same texts go through both: lm-eval's `RegexFilter` + `TakeFirstFilter` (strict-match and
flexible-extract, patterns from its gsm8k.yaml, version 3.0) and `exact_match_hf_evaluate` with
the task's regexes_to_ignore, and bakeoff's `flexible_match` / `strict_match`.

The texts are fixed variants of the reference solutions of bakeoff's evaluated GSM8K items, made
to exercise each rule: the solution as written ("#### n"), "The answer is n." with no "####",
"$" and thousands separators, a trailing "Question:" the model went on to write (cut as lm-eval's
hf model cuts at `until`), a wrong final number, and no number at all.

The `generations` step takes real model generations instead: every GSM8K answer stored by
`bakeoff run` in the given stores (each text as the model wrote it, before any cut).

Steps (the `lmeval` step runs in the lm-eval venv and imports nothing from bakeoff):
  python perf/validate_gsm8k.py texts --out DIR [--items 120]
  python perf/validate_gsm8k.py generations --out DIR --store STORE [--store STORE ...]
  /tmp/lmeval-venv/bin/python perf/validate_gsm8k.py lmeval --out DIR
  python perf/validate_gsm8k.py compare --out DIR [--results NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonl_files import read_jsonl, write_jsonl, write_results

RESULTS = Path(__file__).parent / "results" / "gsm8k_validation.json"
STRICT = ("#### (\\-?[0-9\\.\\,]+)", 0)
FLEXIBLE = ("(-?[$0-9.,]{2,})|(-?[0-9]+)", -1)
REGEXES_TO_IGNORE = [",", "\\$", "(?s).*#### ", "\\.$"]
UNTIL = ["Question:", "</s>", "<|im_end|>"]


# --- texts (bakeoff venv) ------------------------------------------------------------------


def with_thousands(number: str) -> str:
    return f"{int(number):,}" if number.lstrip("-").isdigit() else number


def variants(solution: str, final: str) -> dict[str, str]:
    reasoning = solution.split("####")[0].rstrip()
    wrong = str(int(final) + 1) if final.lstrip("-").isdigit() else final + "1"
    return {
        "as_written": " " + solution,
        "answer_is": f" {reasoning}\nThe answer is {final}.",
        "dollars": f" {reasoning}\nSo the total is ${with_thousands(final)}.",
        "ran_on": f" {solution}\n\nQuestion: What is 2 + 2?\nAnswer: 4 #### 4",
        "wrong": f" {reasoning}\n#### {wrong}",
        "no_number": " I cannot work this out.",
    }


def write_texts(out: Path, items: int) -> None:
    from bakeoff.benchmarks.gsm8k import GSM8K, NUM_SHOTS

    rows = []
    for item in GSM8K().items()[NUM_SHOTS:NUM_SHOTS + items]:
        for kind, text in variants(item.answer, item.final_number).items():
            rows.append({"id": f"gsm8k/{item.index}/{kind}", "text": text,
                         "reference": item.answer, "target": item.final_number})
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "texts.jsonl", rows)
    print(f"{len(rows)} texts from {items} items -> {out / 'texts.jsonl'}")


def write_generations(out: Path, stores: Sequence[Path]) -> None:
    """Each stored GSM8K answer once per (model, item): the latest score row's completion."""
    from bakeoff.store import Store

    rows: dict[str, dict[str, Any]] = {}
    for path in stores:
        store = Store(path)
        try:
            for run in store.runs():
                scored = [r for r in store.scores(run.id)
                          if r.benchmark == "gsm8k" and r.completion_keys]
                texts = store.completions([r.completion_keys[0] for r in scored])
                for row in scored:
                    completion = texts.get(row.completion_keys[0])
                    sample = store.sample("gsm8k", row.sample_id)
                    if completion is None or sample is None or completion.text is None:
                        continue
                    # lm-eval's regexes_to_ignore drop everything up to "#### " in the
                    # reference, so "#### n" stands for the whole worked solution.
                    rows[f"{row.model}/{row.sample_id}"] = {
                        "id": f"{row.model}/{row.sample_id}", "text": completion.text,
                        "reference": f"#### {sample.target}", "target": sample.target}
        finally:
            store.close()
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "texts.jsonl", list(rows.values()))
    models = sorted({key.split("/")[0] for key in rows})
    print(f"{len(rows)} generations of {', '.join(models)} -> {out / 'texts.jsonl'}")


# --- lm-eval's filters and metric (lm-eval venv) -------------------------------------------


def cut_at_until(text: str) -> str:
    """lm-eval's hf generate_until: the text before the first occurrence of each stop term."""
    for term in UNTIL:
        text = text.split(term)[0]
    return text


def lmeval_scores(out: Path) -> None:
    from lm_eval.api.metrics import exact_match_hf_evaluate
    from lm_eval.filters.extraction import RegexFilter
    from lm_eval.filters.selection import TakeFirstFilter

    rows = read_jsonl(out / "texts.jsonl")
    responses = [[cut_at_until(row["text"])] for row in rows]
    scored: dict[str, list[Any]] = {}
    for name, (pattern, group) in (("strict", STRICT), ("flexible", FLEXIBLE)):
        regex = RegexFilter(regex_pattern=pattern, group_select=group)
        extracted = list(TakeFirstFilter().apply(regex.apply(responses, rows), rows))
        matches = [exact_match_hf_evaluate(
            predictions=[prediction], references=[row["reference"]], ignore_case=True,
            ignore_punctuation=False, regexes_to_ignore=REGEXES_TO_IGNORE)["exact_match"]
            for prediction, row in zip(extracted, rows, strict=True)]
        scored[name] = list(zip(extracted, matches, strict=True))
    write_jsonl(out / "lmeval_scores.jsonl", [
        {"id": row["id"], "strict": scored["strict"][i], "flexible": scored["flexible"][i]}
        for i, row in enumerate(rows)])
    import lm_eval

    (out / "lmeval_version.txt").write_text(getattr(lm_eval, "__version__", "unknown"))
    print(f"lm-eval scored {len(rows)} texts")


# --- comparison (bakeoff venv) -------------------------------------------------------------


def compare(out: Path) -> dict[str, Any]:
    from bakeoff.benchmarks.gsm8k import flexible_match, strict_match
    from bakeoff.scoring.extract import gsm8k_flexible_extract, gsm8k_strict_extract

    texts = {row["id"]: row for row in read_jsonl(out / "texts.jsonl")}
    theirs = {row["id"]: row for row in read_jsonl(out / "lmeval_scores.jsonl")}
    checks = {"strict": (strict_match, gsm8k_strict_extract),
              "flexible": (flexible_match, gsm8k_flexible_extract)}
    report: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d"),
                              "texts": len(texts),
                              "lm_eval": (out / "lmeval_version.txt").read_text().strip()}
    for name, (match, extract) in checks.items():
        disagreements = []
        # The extracted answers themselves, before any comparison with the target: lm-eval
        # writes "[invalid]" where bakeoff has None (no number found).
        same_extraction = sum(
            (extract(cut_at_until(row["text"])) or "[invalid]") == theirs[item_id][name][0]
            for item_id, row in texts.items())
        for item_id, row in texts.items():
            ours = match(row["text"], row["target"])
            lm_extracted, lm_match = theirs[item_id][name]
            if ours != bool(lm_match):
                disagreements.append({"id": item_id, "bakeoff": ours, "lmeval": bool(lm_match),
                                      "bakeoff_extracted": extract(cut_at_until(row["text"])),
                                      "lmeval_extracted": lm_extracted})
        agreeing = len(texts) - len(disagreements)
        report[name] = {"agreement": round(agreeing / len(texts), 4),
                        "extraction_agreement": round(same_extraction / len(texts), 4),
                        "bakeoff_correct": sum(match(r["text"], r["target"])
                                               for r in texts.values()),
                        "lmeval_correct": sum(int(theirs[i][name][1]) for i in texts),
                        "disagreements": disagreements}
    return report


# --- files and command line ----------------------------------------------------------------



def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("texts", "generations", "lmeval", "compare"))
    parser.add_argument("--store", type=Path, action="append", default=[],
                        help="a bakeoff store holding GSM8K answers (generations step)")
    parser.add_argument("--results", default=RESULTS.name,
                        help="file name under perf/results for the comparison")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bakeoff-gsm8k-validation"))
    parser.add_argument("--items", type=int, default=120)
    args = parser.parse_args(argv)
    if args.step == "texts":
        write_texts(args.out, args.items)
    elif args.step == "generations":
        write_generations(args.out, args.store)
    elif args.step == "lmeval":
        lmeval_scores(args.out)
    else:
        report = compare(args.out)
        results = write_results(args.results, report)
        json.dump({k: ({"agreement": v["agreement"],
                        "extraction_agreement": v["extraction_agreement"],
                        "bakeoff_correct": v["bakeoff_correct"],
                        "lmeval_correct": v["lmeval_correct"],
                        "disagreements": len(v["disagreements"])} if isinstance(v, dict) else v)
                   for k, v in report.items()}, sys.stdout, indent=2)
        print(f"\nwritten to {results}")


if __name__ == "__main__":
    main()
