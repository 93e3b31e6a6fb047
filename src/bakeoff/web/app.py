"""What every page handler shares: the store's path, the arena's runs and open matchups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bakeoff.store import Store, is_url, open_store, redacted
from bakeoff.web.arena import ContestCache, OpenMatchups

VOTER_COOKIE = "bakeoff_voter"


class SetupError(Exception):
    """The server cannot start as asked (no store, unknown run, port taken): one line."""


@dataclass
class App:
    """What the handlers share: the store's path, the arena's runs and its open matchups."""

    store_path: Path | str  # a SQLite file, or a postgresql:// URL
    landing: str  # "/arena" or "/runs"
    arena_runs: tuple[int, ...] | None = None  # None: every run
    # The arena's open matchups by opaque token: a page never names the models.
    matchups: OpenMatchups = field(default_factory=OpenMatchups)
    contests: ContestCache = field(default_factory=ContestCache)

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A connection for this request's thread alone."""
        store = open_store(self.store_path)
        try:
            yield store
        finally:
            store.close()

    def arena_run_ids(self, store: Store) -> list[int]:
        """The runs the arena draws from: those named on the command line, else all."""
        return list(self.arena_runs) if self.arena_runs else [r.id for r in store.runs()]


def check_setup(store_path: Path | str, run_ids: Sequence[int]) -> None:
    """The store exists and holds every run named; else SetupError with one line."""
    if not is_url(store_path) and not Path(store_path).is_file():
        raise SetupError(f"{store_path}: no store yet; `bakeoff run` creates it")
    store = open_store(store_path)
    try:
        known = {run.id for run in store.runs()}
    finally:
        store.close()
    unknown = [str(r) for r in run_ids if r not in known]
    if unknown:
        raise SetupError(f"--run {', '.join(unknown)}: no such run in {redacted(store_path)} "
                         "(see `bakeoff runs`)")

