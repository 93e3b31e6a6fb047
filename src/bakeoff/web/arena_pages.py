"""The arena's pages: a name asked once (kept in a cookie), a blind vote on answers A and B,
the reveal of who wrote which, and the standings of the votes."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote

from bakeoff.store import HUMAN, Store, VerdictRow
from bakeoff.types import Message
from bakeoff.web.app import VOTER_COOKIE, App
from bakeoff.web.arena import CHOICES, MAX_NAME, Matchup, clean_name, next_matchup, record_vote
from bakeoff.web.exchange import HttpError, Request, Response, redirect
from bakeoff.web.layout import esc, page, plural, table, turns
from bakeoff.web.standings import ratings_section

_YEAR_S = 365 * 24 * 3600


def name_form(app: App, request: Request) -> Response:
    return Response(200, page("Arena: who is voting?", (
        "<p>Type your name once; it is kept in a cookie of this browser and stored with "
        "each vote.</p><form method=\"post\" action=\"/arena/name\">"
        f"<input name=\"voter\" maxlength=\"{MAX_NAME}\" required autofocus "
        f"value=\"{esc(request.voter or '')}\"> <button type=\"submit\">Start voting</button>"
        "</form>")))


def set_name(app: App, request: Request) -> Response:
    name = clean_name(request.form.get("voter", ""))
    if name is None:
        raise HttpError(400, f"a name of 1 to {MAX_NAME} printable characters, please")
    cookie = (f"{VOTER_COOKIE}={quote(name, safe='')}; Path=/; Max-Age={_YEAR_S}; "
              "SameSite=Strict; HttpOnly")
    return redirect("/arena", ("Set-Cookie", cookie))


def vote_page(app: App, request: Request) -> Response:
    if request.voter is None:
        return redirect("/arena/name")
    with app.store() as store:
        matchup = next_matchup(store, app.arena_run_ids(store), request.voter,
                               random.SystemRandom(), app.contests)
        if matchup is None:
            return Response(200, page("Arena", "<p>No judged answers to vote on in these "
                                               "runs.</p>"))
        prompt, left = _split(_chat(store, matchup, matchup.left))
        _, right = _split(_chat(store, matchup, matchup.right))
    token = app.matchups.open(matchup)
    buttons = "".join(f"<button type=\"submit\" name=\"choice\" value=\"{value}\">"
                      f"{esc(label)}</button>" for value, label in CHOICES.items())
    body = (f"<p class=\"muted\">Voting as {esc(request.voter)} · "
            "<a href=\"/arena/name\">change name</a></p>"
            f"<h2>Prompt</h2>{turns(prompt)}"
            f"<div class=\"side\"><div id=\"answer-a\"><h2>A</h2>{turns(left)}</div>"
            f"<div id=\"answer-b\"><h2>B</h2>{turns(right)}</div></div>"
            "<form method=\"post\" action=\"/arena/vote\">"
            f"<input type=\"hidden\" name=\"token\" value=\"{esc(token)}\">{buttons}</form>")
    return Response(200, page("Arena: which answer is better?", body))


def vote(app: App, request: Request) -> Response:
    if request.voter is None:
        raise HttpError(400, "no voter name: open /arena/name first")
    choice = request.form.get("choice", "")
    if choice not in CHOICES:
        raise HttpError(400, f"unknown choice {choice!r}: one of {', '.join(CHOICES)}")
    matchup = app.matchups.take(request.form.get("token", ""))
    if matchup is None:
        raise HttpError(400, "unknown or already used vote token; open /arena for a new pair")
    with app.store() as store:
        record_vote(store, matchup, choice, request.voter)
        prompt, left = _split(_chat(store, matchup, matchup.left))
        _, right = _split(_chat(store, matchup, matchup.right))
    picked = {"A": f"A ({matchup.left})", "B": f"B ({matchup.right})"}.get(
        choice, CHOICES[choice])
    body = (f"<p id=\"reveal\">A was <b class=\"model\">{esc(matchup.left)}</b>, B was "
            f"<b class=\"model\">{esc(matchup.right)}</b>. Your vote: {esc(picked)}.</p>"
            "<p><a id=\"next\" href=\"/arena\">Next</a> · "
            "<a href=\"/arena/standings\">Standings</a></p>"
            f"<h2>Prompt</h2>{turns(prompt)}"
            f"<div class=\"side\"><div><h2>A: {esc(matchup.left)}</h2>{turns(left)}</div>"
            f"<div><h2>B: {esc(matchup.right)}</h2>{turns(right)}</div></div>")
    return Response(200, page("Arena: thank you", body))


def standings(app: App, request: Request) -> Response:
    with app.store() as store:
        run_ids = app.arena_run_ids(store)
        votes = store.verdicts(run_ids, judge=HUMAN)
        ratings = ratings_section(store, run_ids)
    voters = len({v.voter for v in votes})
    body = (f"<p>{plural(len(votes), 'vote')} by {plural(voters, 'voter')} on runs "
            f"{esc(', '.join(map(str, run_ids)))}.</p>"
            + _vote_counts(votes) + ratings)
    return Response(200, page("Arena standings", body))


def _vote_counts(votes: Sequence[VerdictRow]) -> str:
    counts: dict[str, Counter[str]] = {}
    for v in votes:
        for model, mine in ((v.model_a, "a"), (v.model_b, "b")):
            tally = counts.setdefault(model, Counter())
            tally["votes"] += 1
            tally["won" if v.outcome == mine else "lost" if v.outcome in ("a", "b")
                  else v.outcome] += 1
    rows = sorted(counts.items(), key=lambda item: (-item[1]["won"], item[0]))
    return "<h2>Human votes</h2>" + table(
        ["model", "votes", "won", "lost", "tie", "both bad"],
        [[esc(model), *(str(t[k]) for k in ("votes", "won", "lost", "tie", "both_bad"))]
         for model, t in rows])


def _chat(store: Store, matchup: Matchup, model: str) -> tuple[Message, ...]:
    c = matchup.contest
    return store.transcript(c.run_id, model, c.trial, c.case_id) or ()


def _split(chat: Sequence[Message]) -> tuple[Sequence[Message], Sequence[Message]]:
    """The prompt (the turns before the model's first answer) and the answer (the rest)."""
    first = next((i for i, m in enumerate(chat) if m.role == "assistant"), len(chat))
    return chat[:first], chat[first:]
