"""The run store: completions, samples, scores, errors and verdicts in one SQLite file."""

from bakeoff.store.sqlite import (
    HUMAN,
    OUTCOMES,
    ErrorRow,
    NewCompletion,
    RunRow,
    ScoredSample,
    ScoreRow,
    Store,
    StoreError,
    VerdictRow,
)

__all__ = ["HUMAN", "OUTCOMES", "ErrorRow", "NewCompletion", "RunRow", "ScoreRow",
           "ScoredSample", "Store", "StoreError", "VerdictRow"]
