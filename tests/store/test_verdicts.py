"""Verdicts in the store: a judge's replace, every person's vote is kept, concurrent voters."""

import threading
from contextlib import closing
from pathlib import Path

import pytest

from bakeoff.store import HUMAN, Store, VerdictRow, open_store


def _run(store: Store) -> int:
    return store.create_run("hash", "quick", {}, {})


def test_a_judge_verdict_replaces_the_earlier_one_and_votes_accumulate(any_store: Store) -> None:
    store = any_store
    run = _run(store)
    base = VerdictRow(run, "open_ended", "c1", "m1", "m2", judge="j", outcome="a",
                      first_order="a", second_order="a", completion_keys=("k1", "k2"))
    store.put_verdict(base)
    store.put_verdict(VerdictRow(run, "open_ended", "c1", "m1", "m2", judge="j", outcome="tie",
                                 first_order="a", second_order="b"))
    store.put_verdict(VerdictRow(run, "open_ended", "c1", "m1", "m2", judge=HUMAN,
                                 outcome="b", voter="ann", first_order="b"))
    store.put_verdict(VerdictRow(run, "open_ended", "c1", "m1", "m2", judge=HUMAN,
                                 outcome="b", voter="ann", first_order="a"))
    judged = store.verdicts([run], judge="j")
    assert [(v.outcome, v.completion_keys) for v in judged] == [("tie", ())]
    assert [v.voter for v in store.verdicts([run], judge=HUMAN)] == ["ann", "ann"]
    assert len(store.verdicts()) == 3


def test_a_verdict_names_its_models_in_order_and_a_known_outcome(any_store: Store) -> None:
    store = any_store
    run = _run(store)
    with pytest.raises(ValueError, match="out of order"):
        store.put_verdict(VerdictRow(run, "t", "c", "m2", "m1", judge="j", outcome="a"))
    with pytest.raises(ValueError, match="outcome"):
        store.put_verdict(VerdictRow(run, "t", "c", "m1", "m2", judge="j", outcome="left"))


def test_voters_writing_at_once_through_their_own_connections_lose_no_vote(
        store_location: Path | str) -> None:
    path = store_location
    with closing(open_store(path)) as store:
        run = _run(store)

    def vote(voter: str) -> None:
        store = open_store(path)
        for index in range(25):
            store.put_verdict(VerdictRow(run, "t", f"c{index}", "m1", "m2", judge=HUMAN,
                                         outcome="tie", voter=voter))
        store.close()

    threads = [threading.Thread(target=vote, args=(f"v{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with closing(open_store(path)) as store:
        assert len(store.verdicts([run])) == 100
