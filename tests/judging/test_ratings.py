"""Ratings from stored verdicts: one table per judge, people's votes apart (both_bad a tie),
position bias, the self-judged label, the length-controlled fit from transcripts, agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.judging.ratings import ratings_for
from bakeoff.store import HUMAN, Store, VerdictRow
from bakeoff.types import Message, Score

TRIAL = "open_ended"
MODELS = ("m1", "m2")


def store_with_answers(tmp_path: Path, cases: int, *, answers: bool = True) -> tuple[Store, int]:
    store = Store(tmp_path / "s.sqlite")
    run = store.create_run("hash", "quick", {}, {})
    for index in range(cases if answers else 0):
        for model, text in zip(MODELS, ("short", "a much longer answer"), strict=True):
            store.put_trial_result(run, model, TRIAL, "chat",
                                   [Score(f"c{index}", "answered", 1.0, "answered")], [],
                                   [Message("user", "q"), Message("assistant", text)])
    return store, run


def judged(run: int, case: str, outcome: str, first: str, second: str,
           judge: str = "j") -> VerdictRow:
    return VerdictRow(run, TRIAL, case, *MODELS, judge=judge, outcome=outcome,
                      first_order=first, second_order=second)


def vote(run: int, case: str, outcome: str, voter: str) -> VerdictRow:
    return VerdictRow(run, TRIAL, case, *MODELS, judge=HUMAN, outcome=outcome, voter=voter)


def test_runs_without_verdicts_have_no_ratings(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 1)
    assert ratings_for(store, [run]) is None


def test_a_judge_table_counts_flips_and_fits_raw_and_length_controlled(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 8)
    for index in range(6):
        store.put_verdict(judged(run, f"c{index}", "b", "b", "b"))
    store.put_verdict(judged(run, "c6", "tie", "a", "b"))
    store.put_verdict(judged(run, "c7", "tie", "b", "a"))
    ratings = ratings_for(store, [run], rounds=100)
    assert ratings is not None and ratings.human is None and ratings.agreement == ()
    [table] = ratings.judges
    assert table.source == "j" and table.pairs == 8 and table.flips == 2
    assert table.position_bias == pytest.approx(0.25)
    assert table.self_judged == () and table.voters == 0
    assert [r.model for r in table.raw] == ["m2", "m1"]
    best = table.raw[0]
    assert best.low <= best.rating <= best.high
    assert sum(r.rating for r in table.raw) / 2 == pytest.approx(1000.0)
    # m2 always wrote the longer answer: length and model cannot be told apart, the ridge
    # splits the effect; the coefficient is fitted and favours length.
    assert table.length_controlled is not None and table.length_coefficient is not None
    assert table.length_coefficient > 0


def test_a_judge_among_the_contestants_is_labelled(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 1)
    store.put_verdict(VerdictRow(run, TRIAL, "c0", "j", "m2", judge="j", outcome="a",
                                 first_order="a", second_order="a"))
    ratings = ratings_for(store, [run], rounds=10)
    assert ratings is not None and ratings.judges[0].self_judged == ("j",)


def test_without_transcripts_the_length_controlled_fit_is_left_out(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 2, answers=False)
    store.put_verdict(judged(run, "c0", "a", "a", "a"))
    ratings = ratings_for(store, [run], rounds=10)
    assert ratings is not None
    assert ratings.judges[0].length_controlled is None
    assert ratings.judges[0].length_coefficient is None


def test_votes_get_their_own_table_with_both_bad_as_a_tie(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 2)
    store.put_verdict(vote(run, "c0", "both_bad", "ann"))
    store.put_verdict(vote(run, "c1", "both_bad", "bob"))
    store.put_verdict(vote(run, "c1", "tie", "bob"))
    ratings = ratings_for(store, [run], rounds=50)
    assert ratings is not None and ratings.judges == ()
    human = ratings.human
    assert human is not None and human.source == HUMAN
    assert human.pairs == 3 and human.voters == 2
    assert human.position_bias is None and human.flips == 0
    assert [r.rating for r in human.raw] == pytest.approx([1000.0, 1000.0])


def test_agreement_compares_the_people_majority_with_the_judge(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 4)
    store.put_verdict(judged(run, "c0", "a", "a", "a"))
    store.put_verdict(judged(run, "c1", "tie", "a", "b"))
    store.put_verdict(judged(run, "c2", "b", "b", "b"))
    store.put_verdict(judged(run, "c3", "a", "a", "a"))  # no vote: not compared
    for voter, outcome in (("ann", "a"), ("bob", "a"), ("cy", "b")):  # majority a: agrees
        store.put_verdict(vote(run, "c0", outcome, voter))
    store.put_verdict(vote(run, "c1", "both_bad", "ann"))  # both bad = tie: agrees
    for voter, outcome in (("ann", "a"), ("bob", "b")):  # no majority = tie: disagrees
        store.put_verdict(vote(run, "c2", outcome, voter))
    ratings = ratings_for(store, [run], rounds=10)
    assert ratings is not None
    [agreement] = ratings.agreement
    assert (agreement.judge, agreement.pairs, agreement.agreeing) == ("j", 3, 2)
    assert agreement.rate == pytest.approx(2 / 3)


def test_only_the_runs_asked_for_count(tmp_path: Path) -> None:
    store, run = store_with_answers(tmp_path, 1)
    other = store.create_run("other", "quick", {}, {})
    store.put_verdict(judged(other, "c0", "a", "a", "a"))
    assert ratings_for(store, [run]) is None
    assert ratings_for(store, [run, other], rounds=10) is not None
