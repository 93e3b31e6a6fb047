"""Unknown names: one phrase that lists the known ones once and suggests the nearest, so a
typo ("gsm8kk", "concurency") is answered with "did you mean ...?"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# A longer unknown name is not a typo of a known one.
LONGEST_TYPO = 200


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to `name`, when one is close enough to be a likely typo; a
    short name is also matched against the start of long ones ("smolm2" for
    "smollm2-135m-instruct")."""
    if len(name) > LONGEST_TYPO:
        return None  # no name is that long, and difflib's time grows with its square
    names = list(dict.fromkeys(known))
    matches = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    starts = {candidate[:len(name) + 1]: candidate for candidate in reversed(names)}
    matches = difflib.get_close_matches(name, list(starts), n=1, cutoff=0.8)
    return starts[matches[0]] if matches else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for a close known name, else ""; for a message that already
    says what is known, or where the known ones are too many to list."""
    match = nearest(name, known)
    return f" (did you mean {match!r}?)" if match else ""


def unknown_hint(name: str, known: Iterable[str]) -> str:
    """"did you mean 'x'? known: a, b, c" (each known name once, in the given order), or
    "known: a, b, c" when none is close."""
    names = list(dict.fromkeys(known))
    match = nearest(name, names)
    listing = f"known: {', '.join(names)}" if names else "none is known"
    return f"did you mean {match!r}? {listing}" if match else listing
