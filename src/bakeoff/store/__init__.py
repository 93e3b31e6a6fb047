"""The run store: completions, samples, scores, errors and verdicts in one SQLite file."""

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

__all__ = ["HUMAN", "OUTCOMES", "Claim", "ErrorRow", "NewCompletion", "NewRun", "RunInProgress",
           "RunRow", "ScoreRow", "ScoredSample", "Store", "StoreError", "VerdictRow"]
