"""The run store: completions, samples, scores, errors and verdicts in one SQLite file."""

from pathlib import Path

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
    """The store at `location`: a SQLite file's path."""
    return Store(Path(location))


__all__ = ["HUMAN", "OUTCOMES", "Claim", "ErrorRow", "NewCompletion", "NewRun", "RunInProgress",
           "RunRow", "ScoreRow", "ScoredSample", "Store", "StoreError", "VerdictRow", "open_store"]
