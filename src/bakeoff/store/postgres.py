"""A store in a PostgreSQL database, so that a team shares one: runs, the completion cache,
the arena's votes. Imported only when a postgresql:// URL is opened (psycopg loads libpq).

The password comes from the URL, PGPASSWORD or ~/.pgpass, as libpq reads them; it is never
shown: errors name the store by its redacted URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import DictRow, dict_row
except ImportError:  # pragma: no cover - depends on the installed extras
    psycopg = None  # type: ignore[assignment]

from bakeoff.store.connections import Rows, StoreError
from bakeoff.store.locations import redacted
from bakeoff.store.migrations import POSTGRES_MIGRATIONS

# The advisory lock that exclusive transactions (migrations, claiming a run) hold: one number
# per database, the same in every bakeoff ("bakeoff" in ASCII).
LOCK_KEY = 0x62616B656F6666
# Seconds to wait for the server before saying it cannot be reached (a URL may set its own).
CONNECT_TIMEOUT_S = 10


class PostgresConnection:
    """One psycopg connection in autocommit mode; transactions are explicit."""

    migrations = POSTGRES_MIGRATIONS

    def __init__(self, url: str) -> None:
        self.location = redacted(url)
        if psycopg is None:
            raise StoreError(f"{self.location}: PostgreSQL stores need psycopg: "
                             "pip install 'bakeoff[postgres]'")
        try:
            settings = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(f"{self.location}: not a PostgreSQL URL "
                             f"({_one_line(exc, url)})") from None
        self._secret = str(settings.get("password") or "")
        try:
            self._db: psycopg.Connection[DictRow] = psycopg.connect(
                url, autocommit=True, row_factory=dict_row, application_name="bakeoff",
                connect_timeout=settings.get("connect_timeout", CONNECT_TIMEOUT_S))
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the PostgreSQL store {self.location} "
                             f"({_one_line(exc, self._secret)})") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self._db.execute(_marks(sql), _storable(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(_marks(sql), [_storable(row) for row in rows])

    def insert(self, sql: str, params: Sequence[Any]) -> int:
        row = self._db.execute(_marks(sql) + " RETURNING id", _storable(params)).fetchone()
        return int(row["id"]) if row else 0

    @contextmanager
    def transaction(self, exclusive: bool = False) -> Iterator[None]:
        with self._db.transaction():
            if exclusive:  # released at commit or rollback, or when the connection drops
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            yield

    @contextmanager
    def opening(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(f"{self.location}: cannot use the store "
                             f"({_one_line(exc, self._secret)})") from None
        except StoreError:
            self._db.close()
            raise

    def schema_version(self) -> int:
        # Asked of pg_tables, not to_regclass(): its cached "no such table" would outlive the
        # wait for another process's migration.
        found = self._db.execute(
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename = 'bakeoff_schema'").fetchone()
        if not found or not found["n"]:
            return 0
        row = self._db.execute("SELECT version FROM bakeoff_schema").fetchone()
        return int(row["version"]) if row else 0

    def set_schema_version(self, number: int) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS bakeoff_schema (version INTEGER NOT NULL)")
        self._db.execute("DELETE FROM bakeoff_schema")
        self._db.execute("INSERT INTO bakeoff_schema VALUES (%s)", (number,))

    def prepare(self) -> None:
        """Nothing to set: durability, locking and foreign keys are the server's defaults."""

    def check_integrity(self) -> None:
        """Nothing to check from here: the server verifies its pages as it reads them (and
        their checksums where the cluster has them) and says so in the error of the statement
        that met the damage; a full check (amcheck) is an administrator's extension."""

    def close(self) -> None:
        self._db.close()


def _marks(sql: str) -> str:
    """The store's `?` marks as psycopg's `%s` (a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _storable(params: Sequence[Any]) -> list[Any]:
    """PostgreSQL text cannot hold NUL characters (SQLite's can): a model's answer that has one
    is stored with U+FFFD in its place rather than failing the run."""
    return [value.replace("\x00", "\ufffd") if isinstance(value, str) else value
            for value in params]


def _one_line(error: Exception, secret: str) -> str:
    """The driver's message on one line, without the password should it ever repeat it."""
    text = " ".join(str(error).split())
    return text.replace(secret, "***") if secret else text
