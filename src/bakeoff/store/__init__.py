"""The run store: completions, samples, scores, errors and verdicts in one SQLite file, or in
a PostgreSQL database a team shares."""

from pathlib import Path

from bakeoff.store.locations import is_url, redacted
from bakeoff.store.sqlite import (
    HUMAN,
    OUTCOMES,
    Claim,
    ErrorRow,
    NewCompletion,
    NewRun,
    RunInProgress,
    RunRow,
    ScoredSample,
    ScoreRow,
    Store,
    StoreError,
    VerdictRow,
)


def open_store(location: str | Path) -> Store:
    """The store at `location`: a postgresql:// (or postgres://) URL opens that database,
    anything else is a SQLite file's path. StoreError (one line, no password) when it cannot
    be used."""
    return Store(location if is_url(location) else Path(location))


__all__ = ["HUMAN", "OUTCOMES", "Claim", "ErrorRow", "NewCompletion", "NewRun", "RunInProgress",
           "RunRow", "ScoreRow", "ScoredSample", "Store", "StoreError", "VerdictRow", "is_url",
           "open_store", "redacted"]
