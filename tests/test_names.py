"""Unknown names: each known one listed once, the nearest suggested."""

from bakeoff.names import did_you_mean, nearest, unknown_hint


def test_a_typo_gets_the_nearest_name() -> None:
    assert nearest("gsm8kk", ["mmlu", "gsm8k", "gsm8k_maj8"]) == "gsm8k"
    assert nearest("concurency", ["concurrency", "context", "card"]) == "concurrency"


def test_a_short_name_matches_the_start_of_a_long_one() -> None:
    assert nearest("smolm2", ["gemma-3-270m", "smollm2-135m-instruct"]) == "smollm2-135m-instruct"


def test_nothing_close_suggests_nothing() -> None:
    assert nearest("gpt-17", ["smollm2-135m-instruct", "gemma-3-270m"]) is None
    assert did_you_mean("gpt-17", ["mmlu"]) == ""


def test_the_hint_lists_each_known_name_once_in_order() -> None:
    assert unknown_hint("quik", ["full", "quick", "full"]) == (
        "did you mean 'quick'? known: full, quick")
    assert unknown_hint("x", ["b", "a", "b"]) == "known: b, a"
    assert unknown_hint("x", []) == "none is known"
    assert did_you_mean("concurency", ["concurrency"]) == " (did you mean 'concurrency'?)"
