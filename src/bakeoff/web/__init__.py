"""The local server: the arena (people vote blind on pairs of stored answers) and the viewer
(runs, reports, items, answers side by side, two runs compared). 127.0.0.1 only.

`bakeoff arena` and `bakeoff view` start it (bakeoff.cli); `App` says what it serves,
`make_server` binds it and `serve_until_interrupted` runs it until Ctrl-C.
"""

from bakeoff.web.app import App, SetupError, check_setup
from bakeoff.web.server import DEFAULT_PORT, HOST, make_server, serve_until_interrupted, url_of

__all__ = ["DEFAULT_PORT", "HOST", "App", "SetupError", "check_setup", "make_server",
           "serve_until_interrupted", "url_of"]
