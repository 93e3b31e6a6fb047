"""The standings beside the vote counts: Bradley–Terry ratings from the human votes and from
each judge (bakeoff.judging.ratings), and how often judge and people agree."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from bakeoff.store import Store
from bakeoff.web.layout import esc, table


def ratings_section(store: Store, run_ids: Sequence[int]) -> str:
    """The ratings tables, or a line saying why there are none."""
    try:
        module: Any = importlib.import_module("bakeoff.judging.ratings")
    except ImportError:
        return "<p class=\"muted\">Ratings need bakeoff.judging.ratings.</p>"
    ratings = module.ratings_for(store, list(run_ids), rounds=200)
    if ratings is None:
        return "<p class=\"muted\">No verdicts in these runs yet.</p>"
    tables = [_rating_table("Human votes", ratings.human)] if ratings.human else []
    tables += [_rating_table(f"Judge {t.source}", t) for t in ratings.judges]
    agreement = table(["judge", "pairs", "agreeing", "agreement"],
                      [[esc(a.judge), str(a.pairs), str(a.agreeing),
                        f"{a.rate:.0%}" if a.pairs else "—"] for a in ratings.agreement])
    return ("<h2>Ratings</h2><div class=\"side\">" + "".join(tables) + "</div>"
            "<h2>Judge–human agreement</h2>" + agreement)


def _rating_table(title: str, ratings: Any) -> str:
    rows = [[esc(r.model), f"{r.rating:.0f}", f"{r.low:.0f}–{r.high:.0f}"] for r in ratings.raw]
    return (f"<div><h3>{esc(title)}</h3>" + table(["model", "rating", "95% interval"], rows)
            + f"<p class=\"muted\">{ratings.pairs} pairs</p></div>")
