"""The run store: completions, samples, scores and errors in one SQLite file."""

from bakeoff.store.sqlite import ErrorRow, RunRow, ScoreRow, Store, StoreError

__all__ = ["ErrorRow", "RunRow", "ScoreRow", "Store", "StoreError"]
