"""Fixed extractors that read an answer out of generated text, and lm-eval's exact-match.

Each function is small and pure so a score can be re-derived from a stored completion. The
GSM8K patterns and the exact-match normalisation are copied from lm-evaluation-harness's
`gsm8k` task (version 3.0), so "exact_match,flexible-extract" means the same number here.
"""

from __future__ import annotations

import importlib
import re
import string
import threading
from collections.abc import Iterable, Sequence
from typing import Any

# --- multiple-choice letters ---------------------------------------------------------------

# "Answer: C", "answer is (C)", "The correct answer is **C**": an explicit statement wins over a
# letter that merely appears first (an article "A" in "A good question... answer is C").
_EXPLICIT_ANSWER = r"(?i:\banswer)(?:\s+(?i:is))?\s*[:：]?\s*[\s*(\[]*({letters})(?![\w'’-])"
# A capital letter standing alone: not part of a word ("Cat", "DNA"), a contraction or "D-day".
_STANDALONE_LETTER = r"(?<![\w'’-])({letters})(?![\w'’-])"
# The whole reply is one letter in any case, perhaps with punctuation: "c", "(b)", "d."
_BARE_LETTER = r"[\s*(\[]*({letters})[\s*.)\]:]*"


def extract_choice_letter(text: str, letters: str = "ABCD") -> str | None:
    """The chosen letter in a reply to a lettered multiple-choice question, or None.

    Order of trust: a bare one-letter reply, then an explicit "answer (is) X", then the first
    capital letter among `letters` that stands alone.
    """
    alternatives = "|".join(re.escape(letter) for letter in letters)
    bare = re.fullmatch(_BARE_LETTER.format(letters=alternatives), text, flags=re.IGNORECASE)
    if bare:
        return bare.group(1).upper()
    for pattern in (_EXPLICIT_ANSWER, _STANDALONE_LETTER):
        found = re.search(pattern.format(letters=alternatives), text)
        if found:
            return found.group(1)
    return None


# --- lm-eval regex filters -----------------------------------------------------------------

GSM8K_STRICT_PATTERN = re.compile(r"#### (\-?[0-9\.\,]+)")
GSM8K_FLEXIBLE_PATTERN = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")


def regex_extract(text: str, pattern: re.Pattern[str], group_select: int = 0) -> str | None:
    """lm-eval's `regex` filter: the `group_select`-th match (first non-empty group), stripped.

    Returns None where lm-eval would return its fallback "[invalid]".
    """
    matches: list[str | tuple[str, ...]] = pattern.findall(text)
    if not matches:
        return None
    chosen = matches[group_select]
    if isinstance(chosen, tuple):
        chosen = next(group for group in chosen if group)
    return chosen.strip()


def gsm8k_strict_extract(text: str) -> str | None:
    """The number after the first "#### " (the format the few-shot answers teach)."""
    return regex_extract(text, GSM8K_STRICT_PATTERN, group_select=0)


def gsm8k_flexible_extract(text: str) -> str | None:
    """The last number-like run in the text ("$1,234." included, normalised later)."""
    return regex_extract(text, GSM8K_FLEXIBLE_PATTERN, group_select=-1)


# --- lm-eval exact_match -------------------------------------------------------------------

GSM8K_REGEXES_TO_IGNORE: tuple[str, ...] = (",", r"\$", r"(?s).*#### ", r"\.$")


def normalise_for_exact_match(text: str, regexes_to_ignore: Iterable[str] = (),
                              ignore_case: bool = False) -> str:
    """Remove each regex in order, then lower-case: lm-eval's `exact_match` preprocessing."""
    for regex in regexes_to_ignore:
        text = re.sub(regex, "", text)
    return text.lower() if ignore_case else text


def gsm8k_exact_match(prediction: str | None, reference: str) -> bool:
    """lm-eval's gsm8k exact_match (ignore_case, no punctuation stripping, its four regexes).

    A None prediction (lm-eval's "[invalid]") never matches.
    """
    if prediction is None:
        return False
    return _gsm8k_normalise(prediction) == _gsm8k_normalise(reference)


def _gsm8k_normalise(text: str) -> str:
    return normalise_for_exact_match(text, GSM8K_REGEXES_TO_IGNORE, ignore_case=True)


# --- generation helpers --------------------------------------------------------------------


def truncate_at_stop(text: str, stops: Sequence[str]) -> str:
    """Cut text at the earliest stop sequence, as lm-eval does with `until` for local models.

    Servers normally stop there already; cutting again keeps scores the same when one did not.
    """
    cut = len(text)
    for stop in stops:
        position = text.find(stop)
        if position != -1:
            cut = min(cut, position)
    return text[:cut]


# --- lm-eval exact_match with punctuation (TriviaQA, NaturalQuestions, MGSM) ---------------

# NaturalQuestions-open's `regexes_to_ignore` in lm-eval (nq_open.yaml, version 4.0): leading
# articles are removed, in either case, before lower-casing (so "THE" is kept).
NQ_ARTICLE_REGEXES: tuple[str, ...] = (r"\b(?:The |the |An |A |The |a |an )",)
_PUNCTUATION_TABLE = str.maketrans("", "", string.punctuation)


def normalise_lm_eval(text: str, *, regexes_to_ignore: Iterable[str] = (),
                      ignore_case: bool = False, ignore_punctuation: bool = False) -> str:
    """lm-eval's `exact_match` preprocessing, in its order: regexes, case, then the ASCII
    punctuation of `string.punctuation` (other characters, "’" or "¿", are kept)."""
    text = normalise_for_exact_match(text, regexes_to_ignore, ignore_case)
    return text.translate(_PUNCTUATION_TABLE) if ignore_punctuation else text


def exact_match_any(prediction: str | None, references: Sequence[str], *,
                    regexes_to_ignore: Iterable[str] = (), ignore_case: bool = False,
                    ignore_punctuation: bool = False) -> bool:
    """lm-eval's multi-target exact_match: True when the prediction equals any reference after
    both are normalised the same way. A None prediction never matches."""
    if prediction is None:
        return False
    regexes = tuple(regexes_to_ignore)

    def normalise(text: str) -> str:
        return normalise_lm_eval(text, regexes_to_ignore=regexes, ignore_case=ignore_case,
                                 ignore_punctuation=ignore_punctuation)

    normalised = normalise(prediction)
    return any(normalise(reference) == normalised for reference in references)


# --- MATH answers, compared by math-verify -------------------------------------------------


class MathVerifyMissing(ImportError):
    """math-verify is not installed (it is an optional dependency)."""


def parse_math_answer(text: str) -> list[Any] | None:
    """math-verify's `parse` of a solution (its final answer: \\boxed{}, "final answer is",
    a trailing expression), or None when it finds no answer.

    math-verify times its work out with SIGALRM, which only the main thread may use; off the
    main thread it runs without a timeout.
    """
    parsed: list[Any] = _math_verify().parse(text, parsing_timeout=_math_verify_timeout())
    return parsed or None


def math_answers_equivalent(gold: Sequence[Any], answer: Sequence[Any]) -> bool:
    """math-verify's `verify(gold, answer)` on two parsed answers (\\frac{1}{2} == 0.5 == 1/2)."""
    return bool(_math_verify().verify(list(gold), list(answer),
                                      timeout_seconds=_math_verify_timeout()))


def _math_verify() -> Any:
    try:  # imported by name: math-verify ships no type information
        return importlib.import_module("math_verify")
    except ImportError as error:
        raise MathVerifyMissing("MATH scoring needs math-verify: pip install 'bakeoff[math]'"
                                ) from error


def _math_verify_timeout() -> int | None:
    return 5 if threading.current_thread() is threading.main_thread() else None
