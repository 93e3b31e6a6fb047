"""Each test is a real escape attempt that the sandbox must contain.

The programs print ESCAPED when an attempt succeeds, so a contained attempt is a program that
ran to its end without printing it.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from bakeoff.scoring.sandbox import (
    UID_BASE,
    Limits,
    SandboxUnavailable,
    check_available,
    run_checks,
    run_program,
    run_programs,
)

try:
    check_available()
except SandboxUnavailable as error:  # pragma: no cover - CI and the dev machine run as root
    pytest.skip(str(error), allow_module_level=True)

FAST = Limits(timeout_s=5.0, memory_bytes=512 << 20, processes=16)
REPO = Path(__file__).resolve().parents[2]


def _attempt(action: str) -> str:
    """A program that runs `action` and prints ESCAPED when no exception stops it."""
    body = "\n".join("    " + line for line in action.strip().splitlines())
    return (f"try:\n{body}\n    print('ESCAPED')\n"
            "except Exception as error:\n    print('blocked', repr(error))\n")


def _sandbox_pids() -> list[int]:
    """Processes on this machine owned by a sandbox uid."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        if int(uid_line.split()[1]) >= UID_BASE:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def listening_port() -> Iterator[tuple[socket.socket, int]]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server, server.getsockname()[1]
    finally:
        server.close()


def test_a_normal_program_passes_and_its_output_comes_back() -> None:
    result = run_program("print(sum(range(10)))", FAST)
    assert result.status == "passed"
    assert result.exit_code == 0
    assert result.stdout == "45\n"


def test_a_failing_assertion_fails_with_its_traceback() -> None:
    result = run_program("assert 1 + 1 == 3, 'wrong sum'", FAST)
    assert result.status == "failed"
    assert result.exit_code == 1
    assert "AssertionError: wrong sum" in result.stderr


def test_a_syntax_error_fails() -> None:
    result = run_program("def broken(:\n    pass", FAST)
    assert result.status == "failed"
    assert "SyntaxError" in result.stderr


def test_no_connection_to_a_server_on_the_loopback(
        listening_port: tuple[socket.socket, int]) -> None:
    server, port = listening_port
    program = _attempt(f"""
import socket
socket.create_connection(('127.0.0.1', {port}), timeout=2).close()
""")
    result = run_program(program, FAST)
    assert result.status == "passed", result.stderr
    assert "ESCAPED" not in result.stdout
    with pytest.raises(BlockingIOError):
        server.accept()  # nothing reached the server


def test_no_name_resolution() -> None:
    result = run_program(_attempt("import socket\nsocket.getaddrinfo('pypi.org', 443)"), FAST)
    assert result.status == "passed", result.stderr
    assert "ESCAPED" not in result.stdout


@pytest.mark.parametrize("target", [
    Path("/tmp") / f"bakeoff-escape-{uuid.uuid4().hex}",
    REPO / f"bakeoff-escape-{uuid.uuid4().hex}",
    Path.home() / f"bakeoff-escape-{uuid.uuid4().hex}",
])
def test_no_writes_outside_the_work_directory(target: Path) -> None:
    result = run_program(_attempt(f"open({str(target)!r}, 'w').write('x')"), FAST)
    assert result.status == "passed", result.stderr
    assert "ESCAPED" not in result.stdout
    assert not target.exists()


def test_the_work_directory_is_writable_and_removed_afterwards() -> None:
    program = "import os\nopen('scratch.txt', 'w').write('x')\nprint(os.getcwd())"
    result = run_program(program, FAST)
    assert result.status == "passed", result.stderr
    assert not Path(result.stdout.strip()).exists()


def test_the_program_runs_without_privileges() -> None:
    result = run_program("import os\nprint(os.getuid(), os.getgid(), os.getgroups())", FAST)
    uid, gid, groups = result.stdout.split(maxsplit=2)
    assert (int(uid) >= UID_BASE or os.geteuid() != 0) and int(uid) != 0
    assert int(gid) != 0
    assert groups.strip() == "[]"


def test_the_parent_environment_is_not_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("BAKEOFF_TEST_API_KEY", secret)
    program = f"""
import os
if {secret!r} in repr(dict(os.environ)):
    print('ESCAPED via os.environ')
for path in ['/proc/{os.getpid()}/environ', '/proc/{os.getppid()}/environ',
             *[f'/proc/{{pid}}/environ' for pid in os.listdir('/proc') if pid.isdigit()]]:
    try:
        with open(path, 'rb') as handle:
            if {secret!r}.encode() in handle.read():
                print('ESCAPED via', path)
    except OSError:
        pass
print(sorted(os.environ))
"""
    result = run_program(program, FAST)
    assert result.status == "passed", result.stderr
    assert "ESCAPED" not in result.stdout
    assert "BAKEOFF_TEST_API_KEY" not in result.stdout


def test_an_infinite_loop_times_out() -> None:
    result = run_program("while True:\n    pass", Limits(timeout_s=1.0))
    assert result.status == "timeout"


def test_a_sleeping_program_is_killed_at_the_wall_clock_timeout() -> None:
    result = run_program("import time\ntime.sleep(60)", Limits(timeout_s=0.5))
    assert result.status == "timeout"
    assert result.exit_code is None


def test_a_memory_bomb_is_stopped() -> None:
    program = "blocks = []\nwhile True:\n    blocks.append(bytearray(16 << 20))"
    result = run_program(program, FAST)
    assert result.status == "failed"
    assert "MemoryError" in result.stderr


def test_a_fork_bomb_ends_and_leaves_no_process() -> None:
    # Children also leave the process group (setsid): the PID namespace still holds them.
    program = """
import os
while True:
    try:
        if os.fork() == 0:
            os.setsid()
    except OSError:
        pass
"""
    result = run_program(program, Limits(timeout_s=1.0, processes=16))
    assert result.status in ("timeout", "failed")
    assert _sandbox_pids() == []


def test_a_huge_output_file_is_cut_at_the_size_limit() -> None:
    program = "open('big.bin', 'wb').write(b'x' * (4 << 20))"
    result = run_program(program, Limits(timeout_s=5.0, file_bytes=1 << 20))
    assert result.status == "failed"


def test_many_programs_run_concurrently_and_keep_their_order() -> None:
    programs = [f"print({number})" if number % 2 else "raise SystemExit(3)"
                for number in range(6)]
    results = run_programs(programs, FAST, max_workers=3)
    assert [r.status for r in results] == ["failed", "passed"] * 3
    assert [r.exit_code for r in results[::2]] == [3, 3, 3]
    assert [r.stdout for r in results[1::2]] == ["1\n", "3\n", "5\n"]


@pytest.mark.parametrize("early_exit", [
    "import sys\nsys.exit(0)", "import os\nos._exit(0)", "exit()", "raise SystemExit"])
def test_a_check_that_exits_early_fails(early_exit: str) -> None:
    [result] = run_checks([early_exit + "\nassert False"], FAST)
    assert result.status == "failed"


def test_a_check_passes_by_reaching_its_end_with_main_blocks_off() -> None:
    program = ("print('hello')\nassert 1 + 1 == 2\n"
               "if __name__ == '__main__':\n    raise SystemExit(3)\n")
    [passed, failed] = run_checks([program, "assert 1 == 2"], FAST)
    assert (passed.status, passed.stdout) == ("passed", "hello\n")
    assert failed.status == "failed"
    assert "AssertionError" in failed.stderr


# The program's own file tree: no host socket, file or disk beyond its quota.


@contextmanager
def _unix_server(address: str) -> Iterator[socket.socket]:
    """A listening Unix socket anyone may connect to (a stand-in ssh-agent)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    if not address.startswith("\0"):
        os.chmod(address, 0o777)
    server.listen(8)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()
        if not address.startswith("\0"):
            Path(address).unlink(missing_ok=True)


def _connect_attempt(address: str) -> str:
    return _attempt(f"""
import socket
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.settimeout(2)
client.connect({address!r})
""")


@pytest.mark.parametrize("place", ["tmp_path", "/tmp", "abstract"])
def test_no_connection_to_a_unix_socket_of_the_host(place: str, tmp_path: Path) -> None:
    name = f"bakeoff-agent-{uuid.uuid4().hex[:12]}.sock"
    address = {"tmp_path": str(tmp_path / name), "/tmp": f"/tmp/{name}",
               "abstract": f"\0{name}"}[place]
    with _unix_server(address) as server:
        result = run_program(_connect_attempt(address), FAST)
        assert result.status == "passed", result.stderr
        assert "ESCAPED" not in result.stdout
        # Absent from the program's tree (not merely forbidden); the abstract name is
        # unknown in the program's network namespace.
        expected = "ConnectionRefusedError" if place == "abstract" else "FileNotFoundError"
        assert f"blocked {expected}" in result.stdout
        with pytest.raises(BlockingIOError):
            server.accept()  # nothing reached the server


def test_no_host_file_outside_the_python_installation_is_visible(tmp_path: Path) -> None:
    secret = tmp_path / "id_ed25519"
    secret.write_text("stand-in private key")
    secret.chmod(0o644)
    program = _attempt(f"print(open({str(secret)!r}).read())")
    result = run_program(program + "print(sorted(__import__('os').listdir('/tmp')))", FAST)
    assert result.status == "passed", result.stderr
    assert "ESCAPED" not in result.stdout and "stand-in" not in result.stdout
    assert "FileNotFoundError" in result.stdout
    assert "pytest-of" not in result.stdout  # the host's /tmp is not there


def test_the_program_holds_no_capabilities() -> None:
    program = "print(*[line for line in open('/proc/self/status') if line.startswith('Cap')])"
    result = run_program(program, FAST)
    assert result.status == "passed", result.stderr
    capabilities = dict(line.split(":") for line in result.stdout.split("\n") if ":" in line)
    assert {name.strip(): int(value, 16) for name, value in capabilities.items()} == {
        "CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}


def test_writing_past_the_disk_quota_fails_with_disk_full() -> None:
    # Each file stays under the per-file limit; together they pass the directory's quota.
    program = "for n in range(64):\n    open(f'part{n}.bin', 'wb').write(b'x' * (1 << 20))\n"
    limits = Limits(timeout_s=5.0, file_bytes=2 << 20, disk_bytes=8 << 20)
    result = run_program(program, limits)
    assert result.status == "failed"
    assert "No space left on device" in result.stderr


def test_creating_too_many_files_fails_with_disk_full() -> None:
    program = "for n in range(1000):\n    open(f'empty{n}', 'w').close()\n"
    result = run_program(program, Limits(timeout_s=5.0, disk_files=100))
    assert result.status == "failed"
    assert "No space left on device" in result.stderr


def test_what_the_program_writes_never_reaches_the_host() -> None:
    """While the program runs, its directory on the host holds only the program it was given:
    everything it writes lives in its own tmpfs."""
    token = uuid.uuid4().hex
    program = (f"# {token}\nimport time\nopen('written.bin', 'wb').write(b'x' * (1 << 20))\n"
               "time.sleep(3)\n")
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(run_program, program, FAST)
        staging = _wait_for_staging_directory(token)
        time.sleep(1.0)  # the program has written its file by now
        seen = sorted(path.name for path in staging.iterdir())
        result = running.result()
    assert result.status == "passed", result.stderr
    assert seen == ["main.py"]
    assert not staging.exists()


def _wait_for_staging_directory(token: str) -> Path:
    for _ in range(100):
        for path in Path(tempfile.gettempdir()).glob("bakeoff-sandbox-*"):
            with suppress(OSError):
                if token in (path / "main.py").read_text():
                    return path
        time.sleep(0.05)
    raise AssertionError("the program's staging directory never appeared")
