"""The benchmarks bakeoff knows by name. Constructing one is cheap: data load on first use."""

from __future__ import annotations

from collections.abc import Callable

from bakeoff.benchmarks.base import Benchmark
from bakeoff.benchmarks.gsm8k import GSM8K
from bakeoff.benchmarks.mmlu import MMLU

BENCHMARKS: dict[str, Callable[[], Benchmark]] = {
    "mmlu": MMLU,
    "gsm8k": GSM8K,
}


class UnknownBenchmarkError(ValueError):
    """A benchmark name that is not in `BENCHMARKS`."""


def get_benchmark(name: str) -> Benchmark:
    """A fresh benchmark by name, e.g. "mmlu"."""
    try:
        factory = BENCHMARKS[name]
    except KeyError:
        known = ", ".join(sorted(BENCHMARKS))
        raise UnknownBenchmarkError(f"unknown benchmark {name!r}; known: {known}") from None
    return factory()
