"""The standings beside the vote counts: Bradley–Terry ratings from the people's votes and
from each judge model (bakeoff.judging.ratings, never pooled), side by side, and how often a
judge agrees with the people's majority."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.judging.ratings import Rating, RatingTable, ratings_for
from bakeoff.store import Store
from bakeoff.web.layout import esc, plural, table


def ratings_section(store: Store, run_ids: Sequence[int]) -> str:
    """The ratings tables, or a line saying there is nothing to rate yet."""
    ratings = ratings_for(store, list(run_ids))
    if ratings is None:
        return "<p class=\"muted\">No votes or judge verdicts in these runs yet.</p>"
    tables = [_rating_table("People's votes", ratings.human)] if ratings.human else []
    tables += [_rating_table(f"Judge {t.source}", t) for t in ratings.judges]
    section = ("<h2>Ratings</h2><p class=\"muted\">Bradley–Terry, the models' mean at 1000, "
               "95% bootstrap interval over prompts.</p>"
               f"<div class=\"side\" id=\"ratings\">{''.join(tables)}</div>")
    if ratings.agreement:
        section += "<h2>Judge–human agreement</h2>" + table(
            ["judge", "pairs with both", "same outcome", "agreement"],
            [[esc(a.judge), str(a.pairs), str(a.agreeing), f"{a.rate:.0%}"]
             for a in ratings.agreement])
    return section


def _rating_table(title: str, ratings: RatingTable) -> str:
    controlled = {r.model: r for r in ratings.length_controlled or ()}
    rows = [[esc(r.model + (" (judged by itself)" if r.model in ratings.self_judged else "")),
             _cell(r), _cell(controlled[r.model]) if r.model in controlled else "—"]
            for r in ratings.raw]
    if ratings.position_bias is None:
        note = f"{plural(ratings.pairs, 'vote')} by {plural(ratings.voters, 'voter')}"
    else:
        note = (f"{ratings.pairs} pairs, {ratings.flips} flipped with the order "
                f"(position bias {ratings.position_bias:.0%})")
    return (f"<div><h3>{esc(title)}</h3>"
            + table(["model", "rating", "length-controlled"], rows)
            + f"<p class=\"muted\">{esc(note)}</p></div>")


def _cell(rating: Rating) -> str:
    return f"{rating.rating:.0f} ({rating.low:.0f}–{rating.high:.0f})"
