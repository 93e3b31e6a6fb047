"""What the store asks of a database, and SQLite's answer (PostgreSQL's is in postgres.py).

The store writes its SQL once, in the subset SQLite and PostgreSQL share, with `?` marks;
a connection runs it as its database requires and owns what differs: how ids come back, how
the schema version is kept, how a writer takes the store for itself, what opening checks."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from bakeoff.store.migrations import MIGRATIONS

# How many times a new store's switch to WAL is tried while other processes hold it (0.05 s
# apart): the contention lasts as long as their migration, a fraction of a second.
WAL_ATTEMPTS = 200


class StoreError(Exception):
    """The store cannot be used (not a store, newer schema than this bakeoff knows, no
    server); the message is one line and names the store without its password."""


class Rows(Protocol):
    """A statement's result rows, each read by column name (`row["id"]`)."""

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """One connection to a store's database; not to be shared between threads."""

    @property
    def location(self) -> str:
        """The store as it may be shown: a path, or a URL without its password."""
    @property
    def migrations(self) -> Sequence[str]:
        """This database's text of each numbered migration."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...
    def insert(self, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT into a table with an `id` column; the new row's id."""
    def transaction(self, exclusive: bool = False) -> AbstractContextManager[None]:
        """One transaction; `exclusive` ones (migrations, claiming a run) run one at a time
        across every process on the store."""
    def opening(self) -> AbstractContextManager[None]:
        """Turns the database's errors while the store opens into one-line StoreErrors."""
    def schema_version(self) -> int: ...
    def set_schema_version(self, number: int) -> None: ...
    def prepare(self) -> None:
        """Settings a store that was accepted gets before it is migrated and used."""
    def check_integrity(self) -> None: ...
    def close(self) -> None: ...


class SqliteConnection:
    """A SQLite file in WAL mode; every write transaction takes the file's write lock."""

    migrations = MIGRATIONS

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:  # a folder in the way, an unreadable place
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        self._db.row_factory = sqlite3.Row
        # Several writers (runs, arena voters) share one file: wait for the lock.
        self._db.execute("PRAGMA busy_timeout=10000")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def insert(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._db.execute(sql, params).lastrowid or 0)

    @contextmanager
    def transaction(self, exclusive: bool = False) -> Iterator[None]:
        # Every write transaction holds SQLite's one write lock, so each is exclusive.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def opening(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:  # read-only, full, cannot open: not the file
            self._db.close()
            raise StoreError(f"{self.location}: cannot use the store ({exc})") from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.location}: not a bakeoff store ({exc})") from None
        except StoreError:
            self._db.close()
            raise

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, number: int) -> None:
        self._db.execute(f"PRAGMA user_version = {int(number)}")

    def prepare(self) -> None:
        self._use_wal()
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")

    def _use_wal(self) -> None:
        """Switch to WAL. While other processes open a new file at once, SQLite can answer
        "locked" here without waiting (the busy timeout does not cover it), so try again."""
        for _ in range(WAL_ATTEMPTS - 1):
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.05)
        self._db.execute("PRAGMA journal_mode=WAL")

    def check_integrity(self) -> None:
        """StoreError when SQLite finds the file damaged (PRAGMA quick_check: every page read
        once, in time proportional to the file)."""
        try:
            found = [row[0] for row in self._db.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            found = [str(exc)]
        if found != ["ok"]:
            raise StoreError(f"{self.location}: the store is damaged ({found[0]}); nothing was "
                             "changed. `sqlite3 FILE .recover` copies what can be read")

    def close(self) -> None:
        self._db.close()
