"""Languages: the nine trials' prompts and truths (recomputed from the prompt), the correctness
and language checks on hand-written answers in every language, and langid's stability."""

from __future__ import annotations

import asyncio
import re
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.bundled import ensure_model
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.trials import languages
from bakeoff.trials.base import Case, Transcript
from bakeoff.trials.languages import (
    ADD,
    ANIMALS,
    ANSWER_IN,
    CAPITAL,
    COUNT,
    COUNTRIES,
    LANGUAGES,
    LARGEST,
    METRICS,
    TAKE,
    TIMES,
    TRIALS,
    identify,
    last_number,
    names_city,
)
from bakeoff.types import Completion, GenerationConfig, Message, Timing, Usage

BY_LANGUAGE = {trial.info.languages[0]: trial for trial in TRIALS}
QWEN = "qwen2.5-coder-0.5b-instruct"


def answered(case: Case, text: str) -> Transcript:
    completion = Completion(text, Usage(0, 0), Timing(0.0, 0.0))
    return Transcript((*case.messages, Message("assistant", text)), (completion,))


def scores(language: str, case: Case, text: str) -> dict[str, float]:
    checks = BY_LANGUAGE[language].check(case, answered(case, text))
    return {check.metric: check.value for check in checks}


# The trials and their cases


def test_one_trial_per_language_named_for_it() -> None:
    assert [t.info.name for t in TRIALS] == [f"lang_{code}" for code in LANGUAGES]
    assert all(t.info.category == "Languages" and t.info.metrics == METRICS for t in TRIALS)
    for table in (ANSWER_IN, ADD, TAKE, TIMES, COUNT, ANIMALS, LARGEST, CAPITAL):
        assert set(table) == set(LANGUAGES)
    assert all(len(country.names) == len(LANGUAGES) for country in COUNTRIES)


def test_same_seed_same_cases_and_more_cases_keep_the_first() -> None:
    trial = BY_LANGUAGE["de"]
    assert trial.cases(2, 8) == trial.cases(2, 8)
    assert trial.cases(2, 12)[:8] == trial.cases(2, 8)
    assert [c.messages for c in trial.cases(3, 8)] != [c.messages for c in trial.cases(2, 8)]
    assert trial.cases(2, 1)[0].id == "lang_de/0"
    assert trial.cases(2, 1)[0].metadata == (("language", "de"), ("task", "arithmetic"))


def test_every_language_gets_the_same_task_with_the_same_truth() -> None:
    truths = {code: [c.expected for c in trial.cases(5, 16)] for code, trial in
              BY_LANGUAGE.items()}
    assert all(expected == truths["en"] for expected in truths.values())
    digits = [re.findall(r"\d+", c.messages[0].content) for c in BY_LANGUAGE["en"].cases(5, 16)]
    for trial in TRIALS:
        assert [re.findall(r"\d+", c.messages[0].content) for c in trial.cases(5, 16)] == digits


def recompute(case: Case) -> object:
    """The answer, worked out from the English prompt alone."""
    prompt = case.messages[0].content
    numbers = [int(n) for n in re.findall(r"\d+", prompt)]
    if prompt.startswith("A basket"):
        return numbers[0] + numbers[1]
    if prompt.startswith("A shelf"):
        return numbers[0] - numbers[1]
    if prompt.startswith("There are"):
        return numbers[0] * numbers[1]
    if prompt.startswith("How many times"):
        word = re.search(r'"(\w+)"', prompt)
        assert word
        items = prompt.split("\n")[0].split("? ", 1)[1].split(", ")
        return items.count(word.group(1))
    if prompt.startswith("Which is the largest"):
        return max(numbers)
    country = re.search(r"capital of (\w+)\?", prompt)
    assert country
    return next(c.capital[0] for c in COUNTRIES if c.names[0] == country.group(1))


def test_truths_match_the_prompts() -> None:
    kinds = set()
    for case in BY_LANGUAGE["en"].cases(7, 60):
        truth = case.truth()
        kinds.add(case.meta("task"))
        assert recompute(case) == truth.get("number", truth.get("city", [None])[0])
    assert kinds == {"arithmetic", "count", "capital", "largest"}


def test_the_count_list_is_written_in_each_language() -> None:
    case = BY_LANGUAGE["zh"].cases(1, 2)[1]
    assert case.meta("task") == "count"
    listed = case.messages[0].content.split("\n")[0].split("？", 1)[1]
    target = re.search(r"“(.)”", case.messages[0].content)
    assert target and listed.split("、").count(target.group(1)) == case.truth()["number"]


# The checks, on answers written by hand in every language

GOOD = {
    "en": ["There are {n} apples in the basket now.", "The capital of Japan is Tokyo."],
    "de": ["Im Korb liegen jetzt {n} Äpfel.", "Die Hauptstadt von Japan ist Tokio."],
    "fr": ["Il y a maintenant {n} pommes dans le panier.", "La capitale du Japon est Tokyo."],
    "it": ["Adesso nel cesto ci sono {n} mele.", "La capitale del Giappone è Tokyo."],
    "pt": ["Agora há {n} maçãs no cesto.", "A capital do Japão é Tóquio."],
    "es": ["Ahora hay {n} manzanas en la cesta.", "La capital de Japón es Tokio."],
    "hi": ["अब टोकरी में {n} सेब हैं।", "जापान की राजधानी टोक्यो है।"],
    "th": ["ตอนนี้ในตะกร้ามีแอปเปิล {n} ผล", "เมืองหลวงของประเทศญี่ปุ่นคือโตเกียว"],
    "zh": ["现在篮子里有{n}个苹果。", "日本的首都是东京。"],
}
TOKYO = {"city": list(COUNTRIES[1].capital)}


def number_case(language: str, answer: int) -> Case:
    case = BY_LANGUAGE[language].cases(1, 1)[0]
    return replace(case, expected=f'{{"number":{answer}}}')


def capital_case(language: str) -> Case:
    case = BY_LANGUAGE[language].cases(1, 1)[0]
    return replace(case, expected=f'{{"city":{TOKYO["city"]!r}}}'.replace("'", '"'))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_right_answer_in_the_language_passes(language: str) -> None:
    number, capital = GOOD[language]
    assert scores(language, number_case(language, 61), number.format(n=61)) == \
        dict.fromkeys(METRICS, 1.0)
    assert scores(language, capital_case(language), capital) == dict.fromkeys(METRICS, 1.0)


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_a_right_answer_in_english_is_correct_but_not_in_the_language(language: str) -> None:
    case = number_case(language, 61)
    checks = BY_LANGUAGE[language].check(case, answered(case, "There are 61 apples now."))
    assert [c.value for c in checks] == [0.0, 1.0, 0.0]
    assert checks[2].reason.startswith(f"identified as en (p=1.00); asked {language}")
    assert checks[0].reason == checks[2].reason


def test_a_wrong_or_missing_number_is_not_correct() -> None:
    case = number_case("de", 61)
    checks = BY_LANGUAGE["de"].check(case, answered(case, "Im Korb liegen jetzt 60 Äpfel."))
    assert [c.value for c in checks] == [0.0, 0.0, 1.0]
    assert checks[1].reason == "last number 60, expected 61"
    checks = BY_LANGUAGE["de"].check(case, answered(case, "Im Korb liegen einundsechzig Äpfel."))
    assert checks[1].reason == "no number in digits, expected 61"


def test_a_bare_number_is_not_in_any_language() -> None:
    case = number_case("fr", 61)
    checks = BY_LANGUAGE["fr"].check(case, answered(case, "61."))
    assert [c.value for c in checks] == [0.0, 1.0, 0.0]
    assert checks[2].reason == "no words to tell the language by (answer: '61.')"


def test_the_last_number_counts_in_any_script() -> None:
    assert last_number("Es waren 51, jetzt sind es 61.") == "61"
    assert last_number("अब टोकरी में ६१ सेब हैं।") == "61"
    assert last_number("ตอนนี้มีแอปเปิล ๖๑ ผล") == "61"
    assert last_number("现在有０６１个。") == "61"
    assert last_number("0") == "0"
    assert last_number("keine Zahl") is None


def test_a_garbage_number_of_any_length_is_a_fail_not_an_exception() -> None:
    case = number_case("es", 61)
    checks = BY_LANGUAGE["es"].check(case, answered(case, "La frase: " + "1234567890" * 600))
    assert checks[1].value == 0.0
    assert checks[1].reason == "last number 123456789012..., expected 61"


def test_a_city_is_named_in_any_usual_spelling_as_a_whole_word() -> None:
    rome = list(COUNTRIES[2].capital)
    assert names_city("Die Hauptstadt ist Rom.", rome)
    assert names_city("LA CAPITALE È ROMA", rome)
    assert not names_city("Romeo lives in Verona.", rome)
    berlin = list(COUNTRIES[3].capital)
    assert names_city("La capital es Berlin.", berlin)  # accent left out
    assert names_city("首都是柏林。", berlin)
    assert not names_city("The capital is Bonn.", berlin)
    case = capital_case("fr")
    checks = BY_LANGUAGE["fr"].check(case, answered(case, "La capitale du Japon est Kyoto."))
    assert checks[1].reason == "does not name Tokyo (in any usual spelling)"


def test_an_empty_answer_fails_every_metric() -> None:
    case = number_case("th", 61)
    checks = BY_LANGUAGE["th"].check(case, answered(case, "  "))
    assert [(c.value, c.reason) for c in checks] == [(0.0, "empty answer")] * 3


def test_langid_is_restricted_to_the_nine_and_loads_without_warnings() -> None:
    languages._identifier.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert identify("O maior número é 87.")[0] == "pt"  # "gl" unrestricted
    assert identify("No total há 24 lápis.")[0] == "pt"  # "sk" unrestricted
    assert identify("कुत्ता शब्द 4 बार आता है।")[0] == "hi"  # "mr" unrestricted
    assert identify("De hoofdstad van Japan is Tokio.")[0] in LANGUAGES


# A real model


@pytest.mark.slow
def test_a_real_answer_is_checked_with_a_reason() -> None:
    pytest.importorskip("llama_cpp")
    try:
        path: Path = ensure_model(QWEN)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    trial = BY_LANGUAGE["de"]
    case = trial.cases(1, 1)[0]
    provider = LlamaCppProvider(path, QWEN, n_ctx=512)
    try:
        request = replace(case, config=GenerationConfig(max_tokens=32)).request()
        completion = asyncio.run(provider.generate(request))
    finally:
        asyncio.run(provider.aclose())
    checks = trial.check(case, answered(case, completion.text))
    assert [c.metric for c in checks] == list(METRICS)
    assert all(c.value in (0.0, 1.0) and c.reason for c in checks)
