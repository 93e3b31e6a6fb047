"""A private PostgreSQL server for the tests: Debian's binaries (`make postgres` installs
them), a fresh cluster in a temporary folder listening on 127.0.0.1, a role that signs in
with a password, and a new database for each test that asks for one.

Registered as a pytest plugin in tests/conftest.py: the fixtures `postgres_server` (one per
session), `postgres_url` (a new database's URL, with the password in it), and
`store_location` / `any_store`, which run a test once on a SQLite file and once on
PostgreSQL."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bakeoff.store import Store, open_store

ROLE, PASSWORD = "bakeoff", "s3cret-pw-9f2c"
# How long the new server may take to accept connections before the tests fail.
READY_WITHIN_S = 60


@dataclass(frozen=True)
class PostgresServer:
    port: int
    databases: Iterator[int]

    def url(self, database: str = "postgres", password: str | None = PASSWORD) -> str:
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{ROLE}{secret}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database's URL."""
        import psycopg

        name = f"test_{next(self.databases)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def postgres_binaries() -> Path:
    """The folder of Debian's PostgreSQL programs; the test fails without them."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): run "
                    "`make postgres` (apt-get install postgresql), as `make test` does")
    return Path(found[-1]).parent


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = postgres_binaries()
    # initdb and postgres refuse root: as root, the cluster belongs to Debian's `postgres`.
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="bakeoff-pg-"))
    data, sockets, password_file = folder / "data", folder / "sockets", folder / "password"
    sockets.mkdir()
    password_file.write_text(PASSWORD)
    if owner:
        for path in (folder, sockets, password_file):
            shutil.chown(path, owner, owner)
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", ROLE,
                    f"--pwfile={password_file}", "--auth=scram-sha-256", "--no-locale",
                    "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, text=True, user=owner, group=owner,
                   cwd=folder)
    port = _free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [str(binaries / "postgres"), "-D", str(data), "-p", str(port),
         "-k", str(sockets), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
         "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        stdout=log, stderr=subprocess.STDOUT, user=owner, group=owner, cwd=folder)
    try:
        running = PostgresServer(port, itertools.count(1))
        _wait_until_ready(running, server, folder / "server.log")
        yield running
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown: connections left open are closed
        server.wait(timeout=60)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new, empty database on the test server; its URL holds the password."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A new store's location: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "bakeoff.sqlite"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def any_store(store_location: Path | str) -> Iterator[Store]:
    """A new store, opened: on SQLite, then on PostgreSQL."""
    store = open_store(store_location)
    yield store
    store.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(running: PostgresServer, server: subprocess.Popen[bytes],
                      log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + READY_WITHIN_S
    while True:
        try:
            psycopg.connect(running.url(), connect_timeout=5).close()
            return
        except psycopg.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the test PostgreSQL server did not start:\n{log.read_text()}")
            time.sleep(0.1)
