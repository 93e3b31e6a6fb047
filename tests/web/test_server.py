"""Starting and stopping the server: 127.0.0.1 only, bad flags as one line, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from bakeoff.web import App, SetupError, make_server
from tests.helpers.cli import BAKEOFF, bakeoff, one_error_line
from tests.web.client import get
from tests.web.conftest import serving
from tests.web.stored import build_store


def test_the_server_binds_127_0_0_1_and_no_host_can_be_asked_for(tmp_path: Path) -> None:
    server = make_server(App(tmp_path / "bakeoff.sqlite", "/runs"), port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
        with pytest.raises(SetupError, match=r"cannot listen on 127\.0\.0\.1"):
            make_server(App(tmp_path / "bakeoff.sqlite", "/runs"),
                        port=server.server_address[1])
    finally:
        server.server_close()
    for command in ("view", "arena"):
        refused = bakeoff(command, "--host", "0.0.0.0", cwd=tmp_path)
        assert refused.returncode == 2 and "No such option" in refused.stderr


def test_a_missing_store_or_an_unknown_run_is_one_line(tmp_path: Path) -> None:
    line = one_error_line(bakeoff("view", "--store", "nowhere.sqlite", cwd=tmp_path))
    assert "nowhere.sqlite: no store yet" in line
    build_store(tmp_path / "bakeoff.sqlite")
    line = one_error_line(bakeoff("arena", "--store", "bakeoff.sqlite", "--run", "1",
                                  "--run", "7", cwd=tmp_path))
    assert line.startswith("bakeoff: error: --run 7: no such run in")


def test_view_prints_its_address_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    build_store(tmp_path / "bakeoff.sqlite")
    process = subprocess.Popen([*BAKEOFF, "view", "--store", "bakeoff.sqlite", "--port", "0"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert " at http://127.0.0.1:" in line, line
        url = line.split(" at ")[1].split()[0]
        assert url.endswith("/runs")
        assert "orca-13b" in get(url).body
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err



def test_a_request_addressed_to_another_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bakeoff.sqlite"
    build_store(path)
    with serving(path) as base:
        url = base + "/runs"
        assert get(url).status == 200
        assert get(url.replace("127.0.0.1", "localhost")).status == 200
        rebound = get(url, headers={"Host": "evil.example:80"})
        assert rebound.status == 400 and "orca-13b" not in rebound.body
