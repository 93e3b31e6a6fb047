"""`bakeoff run --executor`: the flags are checked before anything runs, each wrong
combination one line and exit 2. (Runs on Ray itself: tests/engine/test_ray_executor.py.)"""

import socket
from pathlib import Path

import pytest

from tests.helpers.cli import bakeoff, one_error_line
from tests.helpers.projects import CONFIG, write_project


@pytest.mark.parametrize(("args", "expected"), [
    (["--executor", "dask"], "--executor dask: unknown (known: local, ray)"),
    (["--ray-workers", "2"], "--ray-workers needs --executor ray"),
    (["--ray-address", "10.0.0.1:6379"], "--ray-address needs --executor ray"),
    (["--executor", "ray", "--max-cost", "1"], "--max-cost is not available with --executor ray"),
    (["--executor", "ray", "--ray-address", "10.0.0.1:6379", "--ray-workers", "2"],
     "--ray-workers sizes a local Ray"),
])
def test_wrong_executor_flags_are_one_line(tmp_path: Path, args: list[str],
                                           expected: str) -> None:
    write_project(tmp_path)
    line = one_error_line(bakeoff("run", "-s", "mysuite", *args, cwd=tmp_path))
    assert expected in line
    assert not (tmp_path / "bakeoff-results").exists()  # refused before anything was made


def test_a_ray_address_nothing_answers_at_is_one_line(tmp_path: Path) -> None:
    write_project(tmp_path, CONFIG + '[[models]]\nname = "m"\nprovider = "openai"\n'
                            'base_url = "http://127.0.0.1:9/v1"\n')
    with socket.socket() as bound:  # a port that is taken and not listening: refused
        bound.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{bound.getsockname()[1]}"
        line = one_error_line(bakeoff("run", "-s", "mysuite", "--executor", "ray",
                                      "--ray-address", address, cwd=tmp_path))
    assert line == (f"bakeoff: error: --ray-address {address}: no Ray cluster answers there "
                    "(Connection refused)")
