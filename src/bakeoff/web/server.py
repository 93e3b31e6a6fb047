"""The local server behind `bakeoff arena` and `bakeoff view`: stdlib HTTP, 127.0.0.1 only.

Each request runs in its own thread (ThreadingHTTPServer) and opens its own Store, because a
SQLite connection must not cross threads; the store's busy_timeout lets several voters write
at once. Pages are rendered here, on the server, as plain HTML (bakeoff.web.layout).
"""

from __future__ import annotations

import sys
import traceback
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from bakeoff.web.app import VOTER_COOKIE, App, SetupError
from bakeoff.web.exchange import HttpError, Request, Response
from bakeoff.web.layout import error_page
from bakeoff.web.routes import route

# The only address the server binds: a vote page and a store's answers are for this machine.
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_MAX_BODY = 64 * 1024
_LOCAL_NAMES = (HOST, "localhost")


def make_server(app: App, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 on `port` (0: any free port), not yet serving."""
    handler = type("BoundHandler", (Handler,), {"app": app})
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise SetupError(f"--port {port}: cannot listen on {HOST} ({exc.strerror})") from None
    server.daemon_threads = True
    return server


def url_of(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://{HOST}:{server.server_address[1]}{path}"


def serve_until_interrupted(server: ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C, then close the socket; requests in flight are let go."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class Handler(BaseHTTPRequestHandler):
    app: App
    server_version = "bakeoff"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal keeps only the URL line and real errors."""

    def _answer(self, method: str) -> None:
        try:
            self._check_host()
            response = route(self.app, self._request(method))
        except HttpError as exc:
            response = Response(exc.status, error_page(exc.status, str(exc)))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = Response(500, error_page(500, "the server failed on this page; "
                                                     "see the terminal"))
        self._send(response)

    def _check_host(self) -> None:
        """Refuse a request addressed to another name: a web page whose name was made to
        point at 127.0.0.1 (DNS rebinding) must not read the store through its visitor."""
        host = urlsplit("//" + (self.headers.get("Host") or "")).hostname
        if host not in _LOCAL_NAMES:
            raise HttpError(400, "this server answers requests to 127.0.0.1 only")

    def _request(self, method: str) -> Request:
        parts = urlsplit(self.path)
        form: dict[str, str] = {}
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                raise HttpError(413, "request too large")
            form = _flat(self.rfile.read(length).decode("utf-8", "replace"))
        return Request(method=method, path=parts.path, query=_flat(parts.query),
                       form=form, voter=self._voter())

    def _voter(self) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie") or "")
        except Exception:
            return None
        morsel = cookie.get(VOTER_COOKIE)
        return unquote(morsel.value) or None if morsel is not None else None

    def _send(self, response: Response) -> None:
        body = response.body.encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _flat(text: str) -> dict[str, str]:
    """Query or form fields, the last value of each name."""
    return {name: values[-1] for name, values in parse_qs(text, keep_blank_values=True).items()}
