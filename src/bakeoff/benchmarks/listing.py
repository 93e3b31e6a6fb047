"""What `bakeoff benchmarks` and `bakeoff data` show: each benchmark's facts and data sources.

The data check is cheap and never hangs: a user file is looked up on disk, a packaged copy in
the cache, and the hub with one short HTTP request per dataset (only when `datasets` is
installed; a failed connection is remembered, so an offline machine waits once at most).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from bakeoff.benchmarks.base import BenchmarkInfo
from bakeoff.benchmarks.custom import CustomBenchmark
from bakeoff.benchmarks.data import FileSource, HubSource, PackagedSource, Source
from bakeoff.benchmarks.registry import BENCHMARKS, get_benchmark
from bakeoff.cache import cache_dir
from bakeoff.config import Config

Availability = Literal["yes", "no", "on first use"]
DEFAULT_HUB_TIMEOUT_S = 3.0


def benchmark_infos(config: Config) -> list[tuple[BenchmarkInfo, Path | None]]:
    """Every benchmark a suite may name: built-in ones, then the config's custom ones, each
    with the user's file when one is set ([data], or the custom benchmark's path)."""
    infos: list[tuple[BenchmarkInfo, Path | None]] = []
    for name in BENCHMARKS:
        user_file = config.resolve(config.data[name]) if name in config.data else None
        infos.append((get_benchmark(name).info, user_file))
    for name, custom in config.benchmarks.items():
        path = config.resolve(custom.path)
        info = CustomBenchmark(name, custom.kind, path, custom.shots, custom.metric,
                               custom.description).info
        infos.append((info, None))
    return infos


def source_names(info: BenchmarkInfo, user_file: Path | None) -> list[str]:
    """The sources in the order tried; a user's file replaces the others."""
    if user_file is not None:
        return [f"{FileSource(user_file).describe()} ([data])"]
    return [source.describe() for source in info.sources] or [info.source]


@dataclass(frozen=True)
class SourceStatus:
    benchmark: str
    source: str
    available: Availability
    detail: str
    used: bool  # the source a run would read now


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


def check_file(path: Path) -> tuple[Availability, str]:
    return ("yes", "present") if path.is_file() else ("no", "no such file")


def check_packaged(source: PackagedSource) -> tuple[Availability, str]:
    if source.cache_path.is_file():
        return "yes", f"cached at {source.cache_path}"
    name = source.requirement.split("==")[0].replace("-", "_").lower()
    if any((cache_dir() / "wheels").glob(f"{name}-*.whl")):
        return "yes", "wheel downloaded; the file is read out of it on first use"
    return "on first use", "downloaded from the package index (pip) on first use"


def check_source(source: Source, hub: HubProbe) -> tuple[Availability, str]:
    if isinstance(source, FileSource):
        return check_file(source.path)
    if isinstance(source, PackagedSource):
        return check_packaged(source)
    return hub.check(source)


def data_statuses(config: Config,
                  hub_timeout_s: float = DEFAULT_HUB_TIMEOUT_S) -> list[SourceStatus]:
    """Every benchmark's sources in the order tried, whether each is usable now, which wins."""
    hub = HubProbe(hub_timeout_s)
    statuses: list[SourceStatus] = []
    for info, user_file in benchmark_infos(config):
        sources: tuple[Source, ...] = ((FileSource(user_file),) if user_file is not None
                                       else info.sources)
        chosen = False
        for source in sources:
            available, detail = check_source(source, hub)
            used = not chosen and available != "no"
            chosen = chosen or used
            label = source.describe() + (" ([data])" if user_file is not None else "")
            statuses.append(SourceStatus(info.name, label, available, detail, used))
    return statuses
