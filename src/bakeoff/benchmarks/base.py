"""What a benchmark is: samples, the requests each sample needs, and how to score the answers.

A benchmark knows nothing of HTTP or llama.cpp. For each sample it asks for one or more
requests (loglikelihood requests, one per choice; or generation requests) chosen for the
model's capabilities, and scores the completions that come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from bakeoff.benchmarks.data import Source
from bakeoff.types import Abilities, Completion, Request, Sample, Score

Mode = Literal["loglikelihood", "generative"]


# What a model's provider can do; a benchmark reads `loglikelihood` and `endpoint`.
ModelAbilities = Abilities


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    shots: int
    metric: str
    description: str
    source: str
    # Shown by `bakeoff benchmarks` / `bakeoff data`; defaults keep older benchmark files valid.
    modes: tuple[Mode, ...] = ()
    metrics: tuple[str, ...] = ()
    # Where data may come from, in the order tried after a user's `[data]` file.
    sources: tuple[Source, ...] = ()


class Benchmark(Protocol):
    info: BenchmarkInfo
    # Where the samples came from (a source's description), set when they are loaded.
    data_source: str | None

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        """The evaluated items, in a fixed order; the first `limit` when a limit is given."""
        ...

    def mode_for(self, abilities: ModelAbilities) -> Mode: ...

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        """The requests whose completions `score` needs, in the order it expects them."""
        ...

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """The benchmark's main metric for one sample."""
        ...

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        """Every metric the benchmark reports for one sample (the main one first)."""
        ...
