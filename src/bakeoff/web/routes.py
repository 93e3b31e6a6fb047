"""Which page answers which request: the path's segments and the method pick a handler."""

from __future__ import annotations

from bakeoff.web import arena_pages, viewer
from bakeoff.web.app import App
from bakeoff.web.exchange import HttpError, Request, Response, redirect


def route(app: App, request: Request) -> Response:
    segments, method = request.segments, request.method
    if not segments:
        return redirect(app.landing)
    if segments[0] == "arena":
        return _arena(app, request, segments[1:], method)
    if method != "GET":
        raise HttpError(405, f"{method} {request.path}: only GET here")
    if segments == ("runs",):
        return viewer.runs_page(app, request)
    if segments == ("compare",):
        return viewer.compare_page(app, request)
    if segments[0] == "runs" and len(segments) >= 2:
        return _run(app, request, _number(segments[1]), segments[2:])
    raise HttpError(404, f"no page {request.path}")


def _arena(app: App, request: Request, rest: tuple[str, ...], method: str) -> Response:
    pages = {
        ("GET", ()): arena_pages.vote_page,
        ("GET", ("name",)): arena_pages.name_form,
        ("POST", ("name",)): arena_pages.set_name,
        ("POST", ("vote",)): arena_pages.vote,
        ("GET", ("standings",)): arena_pages.standings,
    }
    handler = pages.get((method, rest))
    if handler is None:
        raise HttpError(404 if method == "GET" else 405, f"no {method} {request.path}")
    return handler(app, request)


def _run(app: App, request: Request, run_id: int, rest: tuple[str, ...]) -> Response:
    if not rest:
        return viewer.run_page(app, request, run_id)
    if rest == ("report",):
        return viewer.report_page(app, request, run_id)
    if len(rest) == 2 and rest[0] == "tasks":
        return viewer.items_page(app, request, run_id, rest[1])
    if len(rest) == 3 and rest[0] == "tasks" and rest[2] == "item":
        return viewer.item_page(app, request, run_id, rest[1])
    raise HttpError(404, f"no page {request.path}")


def _number(text: str) -> int:
    if not text.isdigit():
        raise HttpError(404, f"{text!r} is not a run number")
    return int(text)
