"""What a request and a response are to the pages: parsed fields in, HTML and status out."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote


class HttpError(Exception):
    """A request the server refuses: shown as an error page with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    voter: str | None

    @property
    def segments(self) -> tuple[str, ...]:
        """The path's segments, each unquoted on its own (a task name may hold a slash)."""
        return tuple(unquote(part) for part in self.path.split("/") if part)

    def param(self, name: str) -> str:
        """A required query or form value; its absence is the client's error."""
        value = self.form.get(name, self.query.get(name))
        if value is None or value == "":
            raise HttpError(400, f"missing parameter {name!r}")
        return value


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def redirect(location: str, *headers: tuple[str, str]) -> Response:
    return Response(303, "", headers=(("Location", location), *headers))
