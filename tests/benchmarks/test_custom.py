"""Custom benchmarks from a user's JSON Lines file: parsing, located errors, prompts, scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bakeoff.benchmarks.custom import CustomBenchmark, normalise_answer
from bakeoff.benchmarks.data import DataUnavailable
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    Timing,
    Usage,
)

LOGLIKELIHOOD = Abilities(loglikelihood=True, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def completion(text: str = "", logprob: float | None = None) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0), logprob=logprob)


MC_ROWS = [
    {"question": "Sky colour?", "choices": ["blue", "green"], "answer": 0},
    {"question": "2 + 2?", "choices": ["3", "four", "22"], "answer": "B"},
]


def test_multiple_choice_scores_each_choice_text_acc_and_acc_norm(tmp_path: Path) -> None:
    bench = CustomBenchmark("faq", "multiple_choice", write_jsonl(tmp_path / "f.jsonl", MC_ROWS),
                            shots=1)
    [sample] = bench.load_samples()
    assert bench.data_source == f"file {tmp_path / 'f.jsonl'}"
    assert sample.id == "faq/2"
    assert sample.input == "Question: Sky colour?\nAnswer: blue\n\nQuestion: 2 + 2?\nAnswer:"
    assert bench.requests(sample, LOGLIKELIHOOD) == [
        LoglikelihoodRequest(sample.input, f" {c}") for c in ("3", "four", "22")]
    # "3" wins on raw log-probability; per character "four" (-4/4) beats "3" (-2/1).
    scores = bench.score_all(sample, [completion(logprob=v) for v in (-2.0, -4.0, -5.0)])
    assert [(s.metric, s.value, s.extracted) for s in scores] == [
        ("acc", 0.0, "A"), ("acc_norm", 1.0, "B")]
    assert bench.score(sample, [completion(logprob=v) for v in (-2.0, -4.0, -5.0)]).metric == "acc"


def test_multiple_choice_without_logprobs_asks_for_the_letter(tmp_path: Path) -> None:
    bench = CustomBenchmark("faq", "multiple_choice", write_jsonl(tmp_path / "f.jsonl", MC_ROWS),
                            shots=1, metric="acc_norm")
    [sample] = bench.load_samples()
    assert bench.mode_for(CHAT) == "generative"
    [request] = bench.requests(sample, CHAT)
    assert isinstance(request, GenerationRequest)
    assert request.messages[0].content.endswith(
        "Sky colour?\nA. blue\nB. green\nAnswer: A\n\n2 + 2?\nA. 3\nB. four\nC. 22\nAnswer:")
    [score] = bench.score_all(sample, [completion("The answer is B.")])
    assert (score.metric, score.value, score.extracted) == ("acc", 1.0, "B")


def test_generative_exact_match_normalises_and_contains_needs_whole_words(
        tmp_path: Path) -> None:
    rows = [{"question": "Capital of France?", "answer": ["Paris", "Paris, France"]}]
    bench = CustomBenchmark("geo", "generative", write_jsonl(tmp_path / "g.jsonl", rows),
                            metric="contains")
    [sample] = bench.load_samples()
    scores = bench.score_all(sample, [completion("\n The PARIS!\nmore text")])
    assert [(s.metric, s.value) for s in scores] == [("contains", 1.0), ("exact_match", 1.0)]
    scores = bench.score_all(sample, [completion("It is Paris.")])
    assert [(s.metric, s.value) for s in scores] == [("contains", 1.0), ("exact_match", 0.0)]
    assert bench.score(sample, [completion("Parisian")]).value == 0.0
    assert normalise_answer("An  Apple, the pie.") == "apple pie"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([MC_ROWS[0], {"question": "q", "choices": ["a", "b"]}],
         r"f\.jsonl:2: missing field 'answer'"),
        ([{"question": "q", "choices": ["a", "b"], "answer": 2}], r"f\.jsonl:1: 'answer' must be"),
        ([{"question": "q", "choices": ["a"], "answer": 0}], r"f\.jsonl:1: 'choices' must be"),
        ([MC_ROWS[0], "just text"], r"f\.jsonl:2: expected a JSON object"),
    ],
)
def test_bad_rows_are_located_by_file_and_line(tmp_path: Path, rows: list[object],
                                              message: str) -> None:
    bench = CustomBenchmark("faq", "multiple_choice", write_jsonl(tmp_path / "f.jsonl", rows))
    with pytest.raises(DataUnavailable, match=message):
        bench.load_samples()


def test_bad_json_and_too_few_rows(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(MC_ROWS[0]) + "\n\n{oops\n")
    with pytest.raises(DataUnavailable, match=r"f\.jsonl:3: not valid JSON"):
        CustomBenchmark("faq", "multiple_choice", path).load_samples()
    with pytest.raises(DataUnavailable, match="2 items, but shots = 2"):
        CustomBenchmark("faq", "multiple_choice", write_jsonl(path, MC_ROWS), 2).load_samples()


def test_metric_must_fit_the_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exact_match, contains"):
        CustomBenchmark("g", "generative", tmp_path / "g.jsonl", metric="acc")
