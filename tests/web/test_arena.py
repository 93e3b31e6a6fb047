"""The arena over real HTTP on 127.0.0.1 and a real store: blind pages, votes stored in
canonical order, bad posts refused with nothing stored, voters voting at once."""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bakeoff.store import HUMAN, Store, VerdictRow
from bakeoff.types import Message, Score
from bakeoff.web.arena import (
    Contest,
    ContestCache,
    Matchup,
    clean_name,
    judged_trials,
    next_matchup,
    outcome_of,
)
from tests.web.client import get, post, vote_token, voter_cookie
from tests.web.conftest import Served
from tests.web.stored import CASES, MODELS, answer, build_store, prompt, register_judged


def test_a_choice_maps_to_the_canonical_order_whichever_side_the_model_was_on() -> None:
    contest = Contest(1, "open_ended", "open_ended/0", "orca-13b", "pika-7b")
    orca_left = Matchup(contest, "orca-13b", ())
    pika_left = Matchup(contest, "pika-7b", ())
    assert pika_left.right == "orca-13b"
    assert [outcome_of(orca_left, c) for c in ("A", "B", "tie", "both_bad")] == [
        "a", "b", "tie", "both_bad"]
    assert [outcome_of(pika_left, c) for c in ("A", "B")] == ["b", "a"]


def test_voter_names_are_trimmed_and_bounded() -> None:
    assert clean_name("  Ada   Lovelace ") == "Ada Lovelace"
    assert clean_name("   ") is None
    assert clean_name("x" * 61) is None
    assert clean_name("bell\x07") is None


def test_the_first_visit_asks_for_a_name_kept_in_a_cookie(served: Served) -> None:
    first = get(served.url + "/arena")
    assert first.status == 303 and first.headers["Location"] == "/arena/name"
    assert 'name="voter"' in get(served.url + "/arena/name").body
    cookie = voter_cookie(served.url, "Ada <Lovelace>")
    assert "SameSite=Strict" in post(served.url + "/arena/name",
                                     {"voter": "Ada"}).headers["Set-Cookie"]
    page = get(served.url + "/arena", cookie)
    assert page.status == 200
    assert "Voting as Ada &lt;Lovelace&gt;" in page.body


def test_the_vote_page_names_no_model_and_the_reveal_names_both(
        served_anywhere: Served) -> None:
    served = served_anywhere
    cookie = voter_cookie(served.url, "Ada")
    page = get(served.url + "/arena", cookie)
    for model in MODELS:
        assert model not in page.body
    shown = [i for i in range(CASES) if prompt(i) in page.body]
    assert len(shown) == 1
    answers = [m for m in MODELS if answer(m, shown[0]) in page.body]
    assert len(answers) == 2

    reveal = post(served.url + "/arena/vote", {"token": vote_token(page.body), "choice": "A"},
                  cookie)
    assert reveal.status == 200
    for model in answers:
        assert model in reveal.body
    store = Store(served.store_path)
    try:
        [vote] = store.verdicts(judge=HUMAN)
    finally:
        store.close()
    assert (vote.model_a, vote.model_b) == tuple(sorted(answers))
    assert vote.voter == "Ada" and vote.case_id == f"open_ended/{shown[0]}"
    assert vote.first_order in answers and vote.created_at > 0
    assert vote.outcome == ("a" if vote.first_order == vote.model_a else "b")
    assert len(vote.completion_keys) == 2


def test_bad_votes_are_refused_and_nothing_is_stored(served: Served) -> None:
    cookie = voter_cookie(served.url, "Ada")
    token = vote_token(get(served.url + "/arena", cookie).body)
    vote = served.url + "/arena/vote"
    assert post(vote, {"token": "made-up", "choice": "A"}, cookie).status == 400
    assert post(vote, {"token": token, "choice": "C"}, cookie).status == 400
    assert post(vote, {"token": token}, cookie).status == 400
    assert post(vote, {"token": token, "choice": "A"}).status == 400  # no voter cookie
    assert post(served.url + "/arena/name", {"voter": " "}).status == 400
    assert get(served.url + "/arena/vote").status == 404
    assert _votes(served.store_path) == 0
    # The token survived the refusals; it is used once.
    assert post(vote, {"token": token, "choice": "tie"}, cookie).status == 200
    assert post(vote, {"token": token, "choice": "tie"}, cookie).status == 400
    assert _votes(served.store_path) == 1


def test_voters_voting_at_once_lose_no_vote(served_anywhere: Served) -> None:
    served = served_anywhere
    voters = [f"voter {i}" for i in range(8)]
    cookies = {name: voter_cookie(served.url, name) for name in voters}
    tokens = {name: vote_token(get(served.url + "/arena", cookies[name]).body)
              for name in voters}

    def cast(name: str) -> int:
        return post(served.url + "/arena/vote", {"token": tokens[name], "choice": "B"},
                    cookies[name]).status

    with ThreadPoolExecutor(max_workers=len(voters)) as pool:
        assert list(pool.map(cast, voters)) == [200] * len(voters)
    store = Store(served.store_path)
    try:
        assert sorted(v.voter or "" for v in store.verdicts(judge=HUMAN)) == voters
    finally:
        store.close()


def test_a_voter_gets_pairs_not_yet_voted_on_first(served: Served) -> None:
    cookie = voter_cookie(served.url, "Ada")
    for _ in range(9):  # 3 cases x 3 model pairs
        token = vote_token(get(served.url + "/arena", cookie).body)
        assert post(served.url + "/arena/vote", {"token": token, "choice": "tie"},
                    cookie).status == 200
    store = Store(served.store_path)
    try:
        pairs = {(v.case_id, v.model_a, v.model_b) for v in store.verdicts(judge=HUMAN)}
        assert len(pairs) == 9
        # Every pair voted on: any pair again, rather than nothing.
        assert next_matchup(store, [served.runs[0]], "Ada", random.Random(0)) is not None
        assert next_matchup(store, [served.runs[1]], "Ada", random.Random(0)) is None
    finally:
        store.close()


def test_standings_count_the_votes(served: Served) -> None:
    cookie = voter_cookie(served.url, "Ada")
    token = vote_token(get(served.url + "/arena", cookie).body)
    post(served.url + "/arena/vote", {"token": token, "choice": "both_bad"}, cookie)
    page = get(served.url + "/arena/standings")
    assert page.status == 200
    assert "1 vote by 1 voter" in page.body and "People&#x27;s votes" in page.body


def test_standings_show_human_and_judge_ratings_and_their_agreement(
        served_anywhere: Served) -> None:
    served = served_anywhere
    store = Store(served.store_path)
    try:
        for case in range(CASES):
            pair = dict(run_id=served.runs[0], trial="open_ended", case_id=f"open_ended/{case}",
                        model_a="orca-13b", model_b="pika-7b")
            store.put_verdict(VerdictRow(**pair, judge=HUMAN, outcome="a", voter="Ada"))
            store.put_verdict(VerdictRow(**pair, judge="judge-x", outcome="a" if case else "b"))
    finally:
        store.close()
    page = get(served.url + "/arena/standings").body
    assert "3 votes by 1 voter" in page
    assert "Judge judge-x" in page and "position bias" in page
    assert re.search(r"<td>judge-x</td><td>3</td><td>2</td><td>67%</td>", page), page


def _votes(path: Path) -> int:
    store = Store(path)
    try:
        return len(store.verdicts(judge=HUMAN))
    finally:
        store.close()


def test_contests_of_a_run_still_going_are_read_again(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    register_judged(monkeypatch)
    first, _ = build_store(tmp_path / "bakeoff.sqlite")
    store = Store(tmp_path / "bakeoff.sqlite")
    try:
        cache = ContestCache()
        assert len(cache.get(store, [first])[0]) == 9  # 3 cases x 3 pairs
        store.set_run_status(first, "running")
        store.put_trial_result(first, "newt-1b", "open_ended", "chat",
                               [Score("open_ended/0", "answered", 1.0)], [],
                               (Message("user", "x"), Message("assistant", "y")))
        assert len(ContestCache().get(store, [first])[0]) == 12  # 3 more pairs on case 0
        assert len(cache.get(store, [first])[0]) == 9  # the finished run's, as read
        running = ContestCache()
        running.get(store, [first])
        store.put_trial_result(first, "newt-2b", "open_ended", "chat",
                               [Score("open_ended/0", "answered", 1.0)], [],
                               (Message("user", "x"), Message("assistant", "z")))
        assert len(running.get(store, [first])[0]) == 16
    finally:
        store.close()


def test_the_registered_open_ended_trial_is_voted_on() -> None:
    assert "open_ended" in judged_trials()
