from __future__ import annotations

import pytest

from bakeoff.scoring.extract import (
    GSM8K_FLEXIBLE_PATTERN,
    extract_choice_letter,
    gsm8k_exact_match,
    gsm8k_flexible_extract,
    gsm8k_strict_extract,
    normalise_for_exact_match,
    regex_extract,
    truncate_at_stop,
)

# --- multiple-choice letter ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" C", "C"),
        ("C", "C"),
        ("c", "C"),
        ("(b)", "B"),
        ("d.", "D"),
        ("Answer: C", "C"),
        ("answer: D", "D"),
        ("The answer is C", "C"),
        ("The correct answer is (B).", "B"),
        ("The answer is: **A**", "A"),
        ("(C)", "C"),
        ("C. Paris", "C"),
        ("B) 42", "B"),
        ("**D**", "D"),
        ("I think it is D because", "D"),
        # An explicit "answer" beats an earlier article-like capital A.
        ("A careful reading shows the answer is C.", "C"),
        ("D\nExplanation: A is wrong", "D"),
    ],
)
def test_choice_letter_found(text: str, expected: str) -> None:
    assert extract_choice_letter(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I don't know",
        "Cats and Dogs",  # capitals inside words do not count
        "DNA replication",
        "It's E",  # outside A-D
        "the answer is a mystery",  # lowercase inside a sentence is not a choice
        "D-day was in 1944",
        "Bob's idea",
    ],
)
def test_choice_letter_absent(text: str) -> None:
    assert extract_choice_letter(text) is None


def test_choice_letter_respects_the_letter_set() -> None:
    assert extract_choice_letter("E", letters="ABCDE") == "E"
    assert extract_choice_letter("E") is None


# --- lm-eval regex filter ------------------------------------------------------------------


def test_regex_extract_takes_first_nonempty_group_and_strips() -> None:
    assert regex_extract("x 12 and 345", GSM8K_FLEXIBLE_PATTERN, group_select=-1) == "345"
    assert regex_extract("x 12 and 345", GSM8K_FLEXIBLE_PATTERN, group_select=0) == "12"
    assert regex_extract("no digits", GSM8K_FLEXIBLE_PATTERN) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so 6 + 36 = 42\n#### 42", "42"),
        ("#### -7", "-7"),
        ("#### 1,234.", "1,234."),
        ("#### 5\nlater #### 6", "5"),  # the first one
        ("The answer is 42.", None),
        ("####42", None),  # lm-eval needs the space
    ],
)
def test_gsm8k_strict_extract(text: str, expected: str | None) -> None:
    assert gsm8k_strict_extract(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 42.", "42."),
        ("She pays $1,234.", "$1,234."),
        ("It drops to -5 degrees", "-5"),
        ("It drops to -15 degrees", "-15"),
        ("3 apples and 4 pears make 7", "7"),
        ("#### 42\nThen 100 more were sold", "100"),  # flexible reads the LAST number
        ("no number at all", None),
        ("x = 7", "7"),  # a single digit only matches the second alternative
    ],
)
def test_gsm8k_flexible_extract(text: str, expected: str | None) -> None:
    assert gsm8k_flexible_extract(text) == expected


# --- lm-eval exact match -------------------------------------------------------------------


def test_normalisation_applies_lm_eval_regexes_in_order() -> None:
    regexes = (",", r"\$", r"(?s).*#### ", r"\.$")
    assert normalise_for_exact_match("$1,234.", regexes, ignore_case=True) == "1234"
    assert normalise_for_exact_match("work\n#### 2,125", regexes) == "2125"
    assert normalise_for_exact_match("ABC", (), ignore_case=True) == "abc"
    assert normalise_for_exact_match("ABC", ()) == "ABC"


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        ("$1,234.", "1,234", True),
        ("1234", "1,234", True),
        ("-5", "-5", True),
        ("5", "-5", False),
        ("42.", "42", True),
        ("42.0", "42", False),  # lm-eval compares strings, not numbers
        ("1.5.", "1.5", True),
        (None, "42", False),
        ("[invalid]", "42", False),
    ],
)
def test_gsm8k_exact_match(prediction: str | None, reference: str, expected: bool) -> None:
    assert gsm8k_exact_match(prediction, reference) is expected


def test_truncate_at_earliest_stop() -> None:
    text = "x #### 3\n\nQuestion: next one</s>"
    assert truncate_at_stop(text, ("</s>", "Question:")) == "x #### 3\n\n"
    assert truncate_at_stop("nothing to cut", ("Question:",)) == "nothing to cut"
