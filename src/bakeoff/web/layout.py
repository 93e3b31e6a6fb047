"""The pages' shared frame: one HTML document with tiny inline CSS, a navigation bar, tables
and escaping. Every value that reaches a page goes through `esc`; nothing a page loads may
leave 127.0.0.1, so there are no external stylesheets, fonts or scripts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote, urlencode

from bakeoff.types import Message

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
nav{background:#1d2b3a;padding:.5em 1em}nav a{color:#fff;margin-right:1.2em;text-decoration:none}
main{max-width:1200px;margin:0 auto;padding:1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#eef}
.side{display:flex;gap:1em;align-items:flex-start}.side>div{flex:1;min-width:0;background:#fff;
border:1px solid #ccc;border-radius:6px;padding:.6em}
pre{white-space:pre-wrap;word-wrap:break-word;background:#f3f3f3;padding:.5em;margin:.3em 0}
.turn{margin:.4em 0}.role{font-weight:600;color:#555}.pass{color:#176b2c}.fail{color:#a4161a}
.sig{font-weight:700;color:#a4161a}.muted{color:#777}.err{color:#a4161a}
button{font-size:1em;padding:.5em 1em;margin:.3em}.filters a{margin-right:1em}
iframe{width:100%;height:80vh;border:1px solid #ccc}
"""


def esc(value: object) -> str:
    """Text as HTML, quotes included, so it is safe in an attribute too."""
    return escape(str(value), quote=True)


def href(path: str, **query: str | int) -> str:
    """A local link: the path (each segment already quoted by the caller) and its query."""
    return esc(path + ("?" + urlencode(query) if query else ""))


def segment(value: str) -> str:
    """One path segment, quoted so a slash or space in a task name stays inside it."""
    return quote(value, safe="")


def page(title: str, body: str) -> str:
    """A whole document: title, navigation and body (already HTML)."""
    nav = ("<nav><a href=\"/runs\">Runs</a><a href=\"/compare\">Compare runs</a>"
           "<a href=\"/arena\">Arena</a><a href=\"/arena/standings\">Standings</a></nav>")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)} · bakeoff</title><style>{STYLE}</style></head>"
            f"<body>{nav}<main><h1>{esc(title)}</h1>{body}</main></body></html>")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; `headers` are plain text, each cell is HTML already."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def text_block(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def error_page(status: int, message: str) -> str:
    return page(f"Error {status}", f"<p class=\"err\">{esc(message)}</p>"
                                   "<p><a href=\"/\">Back to the start</a></p>")


def turns(messages: Iterable[Message]) -> str:
    """Chat turns as HTML: each role, its text and any tool calls."""
    out = []
    for message in messages:
        calls = "".join(f"<pre>call {esc(c.name)}({esc(c.arguments)})</pre>"
                        for c in message.tool_calls)
        label = message.role + (f" (result of {message.tool_call_id})"
                                 if message.tool_call_id else "")
        out.append(f"<div class=\"turn\"><span class=\"role\">{esc(label)}</span>"
                   f"{text_block(message.content) if message.content else ''}{calls}</div>")
    return "".join(out)
