"""Plain HTTP against the test server (urllib): status, body and headers, redirects not
followed, the voter's cookie sent when given."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlencode


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: Message


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def get(url: str, cookie: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    return _send(urllib.request.Request(url, headers={**_cookie(cookie), **(headers or {})}))


def post(url: str, fields: dict[str, str], cookie: str | None = None) -> Reply:
    data = urlencode(fields).encode()
    return _send(urllib.request.Request(url, data=data, headers=_cookie(cookie), method="POST"))


def voter_cookie(base: str, name: str) -> str:
    """Register `name` as a voter; the cookie the server set, as a Cookie header value."""
    reply = post(base + "/arena/name", {"voter": name})
    assert reply.status == 303, reply
    return reply.headers["Set-Cookie"].split(";")[0]


def vote_token(body: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', body)
    assert found is not None, body
    return found.group(1)


def _cookie(cookie: str | None) -> dict[str, str]:
    return {"Cookie": cookie} if cookie else {}


def _send(request: urllib.request.Request) -> Reply:
    try:
        with _OPENER.open(request, timeout=30) as response:
            return Reply(response.status, response.read().decode(), response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.read().decode(), error.headers)
