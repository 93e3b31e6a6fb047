"""`bakeoff run --executor`: the flags are checked before anything runs, each wrong
combination one line and exit 2. (Runs on Ray itself: tests/engine/test_ray_executor.py.)"""

from pathlib import Path

import pytest

from tests.helpers.cli import bakeoff, one_error_line
from tests.helpers.projects import write_project


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
