"""Trials end to end over HTTP: llama-cpp-python's OpenAI-compatible server gets the tools and
the JSON Schema natively, every turn and check is stored, and a re-run asks nothing again."""

import sqlite3
from pathlib import Path

import pytest

from tests.helpers.cli import bakeoff
from tests.servers import LlamaServer

CONFIG = """
[[models]]
name = "served"
provider = "openai"
base_url = "{base_url}"
model = "{model}"
concurrency = 1  # this server interrupts a stream when another request comes in

[suites.hands_on]
benchmarks = ["tool_simple", "tool_multi_turn", "json_constrained", "puzzle_knights"]
limits = {{ tool_simple = 1, tool_multi_turn = 1, json_constrained = 1, puzzle_knights = 1 }}
seed = 3
"""


@pytest.mark.server
def test_trials_run_over_http_with_native_tools_and_schemas(
        tmp_path: Path, llama_server: LlamaServer) -> None:
    (tmp_path / "bakeoff.toml").write_text(CONFIG.format(base_url=llama_server.base_url,
                                                         model=llama_server.model))
    first = bakeoff("run", "-s", "hands_on", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(tmp_path / "bakeoff-results" / "bakeoff.sqlite") as db:
        modes = dict(db.execute("SELECT DISTINCT benchmark, mode FROM scores").fetchall())
        transcripts = db.execute("SELECT count(*) FROM transcripts").fetchone()[0]
        errors = db.execute("SELECT count(*) FROM errors").fetchone()[0]
        reasons = [r for (r,) in db.execute("SELECT extracted FROM scores")]
    assert modes == {"tool_simple": "native tools", "tool_multi_turn": "native tools",
                     "json_constrained": "constrained", "puzzle_knights": "chat"}
    assert transcripts == 4 and errors == 0
    assert all(reasons)  # every check says why
    calls = llama_server.request_count()

    again = bakeoff("run", "-s", "hands_on", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 calls made" in again.stdout
    assert llama_server.request_count() == calls
