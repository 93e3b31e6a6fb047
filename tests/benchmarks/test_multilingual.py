"""The okapi multilingual tasks: m_mmlu, m_hellaswag and m_arc in fr, de, es, it."""

from __future__ import annotations

from typing import Any

from bakeoff.benchmarks.multilingual import (
    MULTILINGUAL_BENCHMARKS,
    multilingual_arc,
    multilingual_hellaswag,
    multilingual_mmlu,
)
from bakeoff.types import GenerationRequest, LoglikelihoodRequest
from tests.helpers.choice import (
    CHAT,
    FIXTURES,
    LOGLIKELIHOOD,
    completion,
    fixture_rows,
    logprobs,
    metric_values,
    replay_lm_eval,
    run_end_to_end,
)


def mmlu_fr() -> Any:
    return multilingual_mmlu("fr", rows=fixture_rows("m_mmlu/fr_test.jsonl"),
                             shot_rows=fixture_rows("m_mmlu/fr_train.jsonl"))


def test_names_and_shots() -> None:
    names = sorted(MULTILINGUAL_BENCHMARKS)
    assert names == sorted(f"{family}_{language}" for family in ("mmlu", "hellaswag", "arc")
                           for language in ("fr", "de", "es", "it"))
    built = {name: make() for name, make in MULTILINGUAL_BENCHMARKS.items()}
    assert {(b.info.name, b.info.shots, b.info.metric) for b in built.values()} >= {
        ("mmlu_fr", 5, "acc"), ("hellaswag_de", 10, "acc_norm"), ("arc_es", 25, "acc_norm")}


def test_mmlu_golden_prompt_first_five_train_rows() -> None:
    sample = mmlu_fr().load_samples()[0]
    shots = "".join(f"Combien font {n} fois {n} ?\nA. {n * n}\nB. {n}\nC. 0\nD. 1\nAnswer: A\n\n"
                    for n in range(2, 7))
    question = ("Quelle planète est la plus proche du Soleil ?\n"
                "A. Vénus\nB. Mercure\nC. Mars\nD. Terre\nAnswer:")
    assert sample.input == shots + question
    assert (sample.id, sample.target, sample.choices) == ("mmlu_fr/0", "B", ("A", "B", "C", "D"))
    assert mmlu_fr().requests(sample, LOGLIKELIHOOD) == [
        LoglikelihoodRequest(shots + question, f" {letter}") for letter in "ABCD"]
    assert metric_values(mmlu_fr(), sample, logprobs(-2.0, -1.0, -3.0, -4.0)) == {"acc": 1.0}
    [chat] = mmlu_fr().requests(sample, CHAT)
    assert isinstance(chat, GenerationRequest)
    assert chat.messages[0].content.endswith(shots + question)
    assert metric_values(mmlu_fr(), sample, [completion("B")]) == {"acc": 1.0}


def test_hellaswag_shots_come_from_val_without_the_item() -> None:
    rows = fixture_rows("m_hellaswag/de_val.jsonl")
    benchmark = multilingual_hellaswag("de", rows=rows)
    expected = replay_lm_eval(rows, rows, 10, 11)
    samples = benchmark.load_samples()
    for sample, shots in zip(samples, expected, strict=True):
        assert sample.input.startswith("".join(
            f"{row['activity_label']}: {row['ctx_a']} Er gießt die Blumen.\n\n" for row in shots))
    assert samples[0].input.endswith("\n\nAktivität 0: Ein Mann steht im Garten 0. Er")
    assert "Aktivität 0:" not in samples[0].input[:-40]
    assert {s.target for s in samples} == {"A"}  # labels "0" and " 0"
    assert benchmark.shot_source.startswith("the evaluated items")


def test_arc_drops_empty_options_and_cleans_text() -> None:
    benchmark = multilingual_arc("es", rows=fixture_rows("m_arc/es_test.jsonl"),
                                 shot_rows=fixture_rows("m_arc/es_train.jsonl"))
    first, second = benchmark.load_samples()
    assert first.choices == ("una balanza", "una regla", "un termómetro", "un reloj")
    assert second.choices == ("sólido", "líquido", "gas")
    assert second.input.endswith("\n\nQuestion: ¿Qué  estado del agua es el hielo? \nAnswer:")
    assert second.input.count("\n\n") == 25
    # Raw: gas (-4) wins; per character sólido (-6/6) beats líquido (-9/7) and gas (-4/3).
    assert metric_values(benchmark, second, logprobs(-6.0, -9.0, -4.0)) == {
        "acc_norm": 1.0, "acc": 0.0}


def test_user_file_through_load_first() -> None:
    path = FIXTURES / "m_mmlu/fr_test.jsonl"
    benchmark = multilingual_mmlu("fr", data_file=path,
                                  shot_rows=fixture_rows("m_mmlu/fr_train.jsonl"))
    assert benchmark.load_samples() == mmlu_fr().load_samples()
    assert benchmark.data_source == f"file {path}"
    assert MULTILINGUAL_BENCHMARKS["mmlu_fr"](data_file=path).info.sources[0].describe() == (
        "hub alexandrainst/m_mmlu (fr) split test @ c343b0e0a733")


def test_end_to_end_with_smollm2(smollm2: Any) -> None:
    assert len(run_end_to_end(smollm2, mmlu_fr())) == 8
