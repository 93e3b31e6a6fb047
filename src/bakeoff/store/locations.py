"""Where a store lives, and how to show it: a SQLite file's path, or a PostgreSQL URL whose
password must never be shown (logs, reports, errors, a run's recorded command line)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: str | Path) -> bool:
    """Whether `location` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.lower().startswith(POSTGRES_SCHEMES)


def redacted(location: str | Path) -> str:
    """`location` fit to show anyone: a URL's password (user:***@host, or a `password=`
    parameter) is replaced by ***; a file's path is shown as it is."""
    if not is_url(location):
        return str(location)
    parts = urlsplit(str(location))
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    query = "&".join(_redacted_parameter(p) for p in parts.query.split("&")) if parts.query \
        else ""
    return urlunsplit((parts.scheme, f"{userinfo}{at}{hostport}", parts.path, query,
                       parts.fragment))


def _redacted_parameter(parameter: str) -> str:
    name, equals, _ = parameter.partition("=")
    return f"{name}=***" if equals and name.strip().lower() == "password" else parameter
