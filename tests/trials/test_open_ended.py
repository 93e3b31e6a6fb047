"""Open-ended answers: a fixed list of prompts per use-case profile, taken in turn, the same on
every call; the one check is that the model answered; the trial is judged and in both suites."""

from __future__ import annotations

from collections import Counter

from bakeoff.engine.plan import BUILTIN_SUITES
from bakeoff.trials.base import Case, Transcript
from bakeoff.trials.open_ended import TRIALS
from bakeoff.trials.registry import TRIALS as REGISTERED
from bakeoff.types import Completion, Message, Timing, Usage

TRIAL = TRIALS[0]
PROFILES = ("general", "support-chat", "summarisation", "code-explanation", "synthetic-data")


def answered(case: Case, text: str) -> Transcript:
    completion = Completion(text, Usage(0, 0), Timing(0.0, 0.0))
    return Transcript((*case.messages, Message("assistant", text)), (completion,))


def test_the_trial_is_judged_and_checks_only_that_there_is_an_answer() -> None:
    info = TRIAL.info
    assert (info.name, info.category, info.metrics) == ("open_ended", "Open-ended answers",
                                                        ("answered",))
    assert info.judged and (info.quick_count, info.full_count) == (4, 30)
    assert REGISTERED["open_ended"] is TRIAL
    assert not any(t.info.judged for name, t in REGISTERED.items() if name != "open_ended")


def test_every_profile_has_six_prompts_taken_in_turn() -> None:
    cases = TRIAL.cases(1, TRIAL.info.full_count)
    assert Counter(c.meta("profile") for c in cases) == {p: 6 for p in PROFILES}
    assert [c.meta("profile") for c in cases[:5]] == list(PROFILES)
    assert len({c.id for c in cases}) == 30
    assert all(c.config.max_tokens == 256 and c.config.temperature == 0.0 for c in cases)
    assert all(c.messages[-1].role == "user" for c in cases)
    support = [c for c in cases if c.meta("profile") == "support-chat"]
    assert all(c.messages[0].role == "system" for c in support)


def test_the_quick_cases_spread_over_profiles_and_start_with_the_articles_prompt() -> None:
    quick = TRIAL.cases(1, TRIAL.info.quick_count)
    assert quick[0].messages[0].content == "Explain quantum entanglement simply"
    assert len({c.meta("profile") for c in quick}) == 4
    assert BUILTIN_SUITES["quick"].limits["open_ended"] == 4
    assert "open_ended" in BUILTIN_SUITES["full"].benchmarks


def test_cases_are_the_same_whatever_the_seed_and_more_keep_the_first() -> None:
    assert TRIAL.cases(1, 10) == TRIAL.cases(99, 10)
    assert TRIAL.cases(1, 30)[:4] == TRIAL.cases(1, 4)
    assert len(TRIAL.cases(1, 100)) == 30


def test_an_answer_passes_and_an_empty_one_does_not() -> None:
    case = TRIAL.cases(1, 1)[0]
    [given] = TRIAL.check(case, answered(case, "Two particles share one state..."))
    assert (given.metric, given.value, given.reason) == ("answered", 1.0,
                                                          "answered (32 characters)")
    [empty] = TRIAL.check(case, answered(case, "  \n"))
    assert (empty.value, empty.reason) == (0.0, "empty answer")
