"""MGSM native chain of thought, per language: prompt, stops, both extractors, file loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.benchmarks.data import DataUnavailable
from bakeoff.benchmarks.mgsm import (
    FLEXIBLE_METRIC,
    LANGUAGES,
    MGSM,
    STRICT_METRIC,
    extract_answers,
    matches,
    mgsm_factory,
)
from bakeoff.types import Abilities, Completion, GenerationRequest, Timing, Usage

FIXTURE = Path(__file__).parent / "fixtures" / "mgsm_fr.jsonl"


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def test_french_prompt_shape_and_shots() -> None:
    samples = MGSM("fr", data_file=FIXTURE).load_samples()
    assert [s.id for s in samples] == ["mgsm_fr/0", "mgsm_fr/1"]
    prompt = samples[0].input
    shots = prompt.split("\n\n")
    assert len(shots) == 6
    assert shots[0].startswith("Question : Jean a ")
    assert "\nRéponse étape par étape : Jean a " in shots[0]  # label, " ", answer sans label
    assert shots[0].endswith("La réponse est " + shots[0].split("= ")[1].split(" ")[0] + ".")
    assert shots[-1] == ("Question : Marie a 12 bonbons et en mange 5. Combien lui en "
                         "reste-t-il ?\nRéponse étape par étape :")
    assert samples[0].target == "7"
    # lm-eval's sampler draws fresh shots for each item.
    assert samples[1].input.split("\n\n")[:5] != shots[:5]


def test_requests_greedy_with_language_stops() -> None:
    [sample, _] = MGSM("fr", data_file=FIXTURE).load_samples()
    [raw] = MGSM("fr").requests(sample, Abilities(loglikelihood=True, endpoint="completions"))
    [chat] = MGSM("fr").requests(sample, Abilities(loglikelihood=False, endpoint="chat"))
    assert isinstance(raw, GenerationRequest) and isinstance(chat, GenerationRequest)
    assert raw.prompt == sample.input and chat.messages[0].content == sample.input
    assert raw.config.stop == ("Question :", "</s>", "<|im_end|>")
    assert raw.config.temperature == 0.0


@pytest.mark.parametrize(
    ("text", "flexible", "strict"),
    [(" 12 - 5 = 7. La réponse est 7.", 1.0, 1.0),
     (" Il en reste 7", 1.0, 0.0),
     (" La réponse est 7. Puis 9", 0.0, 1.0),
     (" 7\n\nQuestion : autre 9", 1.0, 0.0),  # cut at the stop
     (" aucune idée", 0.0, 0.0)],
)
def test_both_metrics(text: str, flexible: float, strict: float) -> None:
    [sample, _] = MGSM("fr", data_file=FIXTURE).load_samples()
    scores = MGSM("fr").score_all(sample, [completion(text)])
    assert [(s.metric, s.value) for s in scores] == [(FLEXIBLE_METRIC, flexible),
                                                     (STRICT_METRIC, strict)]


def test_extractors_and_punctuation_blind_match() -> None:
    assert extract_answers("Die Antwort lautet 2.500.", LANGUAGES["de"]) == ("2.500.", "2.500.")
    assert extract_answers("The answer is -3", LANGUAGES["en"]) == ("-3", "-3")
    assert extract_answers("La respuesta es 4", LANGUAGES["es"])[1] == "4"
    assert matches("2,500", "2500") and matches("2.500.", "2500")
    assert not matches(None, "7")


def test_missing_exemplars_and_unknown_language_are_clear() -> None:
    rows = [{"question": "q", "answer": None, "answer_number": 1, "equation_solution": None}]
    with pytest.raises(DataUnavailable, match="worked exemplars"):
        MGSM("de", rows=rows).load_samples()
    with pytest.raises(ValueError, match="no language 'it'"):
        MGSM("it")
    assert mgsm_factory("es")().info.name == "mgsm_es"
