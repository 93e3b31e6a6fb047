"""A run plan (models × benchmarks × samples) and the providers that serve its models."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from typing import Any

from bakeoff import __version__
from bakeoff.benchmarks.base import Benchmark
from bakeoff.benchmarks.registry import BENCHMARKS
from bakeoff.config import Config, ConfigError, ModelConfig, SuiteConfig
from bakeoff.names import unknown_hint
from bakeoff.trials.base import Case, Trial
from bakeoff.trials.registry import TRIALS
from bakeoff.types import Sample

# quick: offline data only, a few minutes per bundled model on 2 cores, with a few cases of
# every hands-on trial. Its MMLU items come from eight subjects, two of each of MMLU's four
# categories, with short five-shot prompts: a subject's examples are evaluated once for all
# its items, so 96 items cost about what 20 spread over 57 subjects would. full: every
# registered benchmark at full size and every trial with all its generated cases (a
# benchmark or trial added to a registry joins them).
QUICK_MMLU_SUBJECTS = [
    "elementary_mathematics", "machine_learning",  # STEM
    "philosophy", "world_religions",  # humanities
    "high_school_geography", "us_foreign_policy",  # social sciences
    "clinical_knowledge", "management",  # other
]
BUILTIN_SUITES: dict[str, SuiteConfig] = {
    "quick": SuiteConfig(benchmarks=["mmlu", "gsm8k", *TRIALS],
                         limits={"mmlu": 96, "gsm8k": 20,
                                 **{name: t.info.quick_count for name, t in TRIALS.items()}},
                         subsets={"mmlu": QUICK_MMLU_SUBJECTS}),
    "full": SuiteConfig(benchmarks=[*BENCHMARKS, *TRIALS]),
}


@dataclass(frozen=True)
class Tasks:
    """What a run asks every model: benchmarks with their samples, trials with their cases."""

    benchmarks: dict[str, tuple[Benchmark, list[Sample]]]
    trials: dict[str, tuple[Trial, list[Case]]]

    def samples(self) -> dict[str, list[Sample]]:
        """Every item by task, as the store keeps them (a trial case as a sample)."""
        items = {name: samples for name, (_, samples) in self.benchmarks.items()}
        return items | {name: [c.as_sample() for c in cases]
                        for name, (_, cases) in self.trials.items()}


def resolve_suite(config: Config, name: str) -> SuiteConfig:
    """A suite of the config, else a built-in one."""
    return config.suite(name, BUILTIN_SUITES)


def check_benchmark_names(config: Config) -> None:
    """Every benchmark and trial the config names exists, and no custom benchmark or trial
    takes a name already used; ConfigError located like a key otherwise."""
    problem = _unknown_benchmark(config)
    if problem:
        raise ConfigError(f"{config.source}: {problem}")


def _unknown_benchmark(config: Config) -> str | None:
    for name in config.data:
        if name not in BENCHMARKS:
            return f"data.{name}: unknown benchmark {name!r} ({unknown_hint(name, BENCHMARKS)})"
    for name in config.benchmarks:
        if name in BENCHMARKS or name in TRIALS:
            return f"benchmarks.{name}: the name of a built-in benchmark or trial"
    for name in config.trials:
        if name in BENCHMARKS or name in TRIALS:
            return f"trials.{name}: the name of a built-in benchmark or trial"
        if name in config.benchmarks:
            return f"trials.{name}: also the name of a custom benchmark ([benchmarks.{name}])"
    known = [*BENCHMARKS, *TRIALS, *config.benchmarks, *config.trials]
    for suite_name, suite in config.suites.items():
        for name in suite.benchmarks:
            if name not in known:
                return (f"suites.{suite_name}.benchmarks: unknown benchmark {name!r} "
                        f"({unknown_hint(name, known)})")
    return None


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    limit: int | None
    subsets: tuple[str, ...] = ()  # subjects the items come from (all when empty)

    def as_dict(self) -> dict[str, Any]:
        subsets = {"subsets": list(self.subsets)} if self.subsets else {}
        return {"name": self.name, "limit": self.limit, **subsets}


@dataclass(frozen=True)
class RunPlan:
    suite: str
    models: tuple[ModelConfig, ...]
    benchmarks: tuple[BenchmarkSpec, ...]
    # benchmark -> digest of the samples loaded: a changed data file is a different run.
    sample_digests: tuple[tuple[str, str], ...] = ()
    # The seed trial cases were generated from (recorded only when the suite has trials).
    trial_seed: int | None = None

    @classmethod
    def build(cls, suite_name: str, suite: SuiteConfig,
              models: list[ModelConfig]) -> RunPlan:
        specs = tuple(BenchmarkSpec(b, suite.limits.get(b), tuple(suite.subsets.get(b, ())))
                      for b in suite.benchmarks)
        has_trials = any(b in TRIALS for b in suite.benchmarks)
        return cls(suite=suite_name, models=tuple(models), benchmarks=specs,
                   trial_seed=suite.seed if has_trials else None)

    def with_samples(self, samples: dict[str, list[Sample]]) -> RunPlan:
        digests = tuple((name, samples_digest(items)) for name, items in samples.items())
        return replace(self, sample_digests=digests)

    def as_dict(self) -> dict[str, Any]:
        """What defines the run; holds no secrets (configs only name a key's variable)."""
        return {
            "suite": self.suite,
            "models": [m.model_dump(mode="json", exclude_defaults=True) for m in self.models],
            "benchmarks": [b.as_dict() for b in self.benchmarks],
            "sample_digests": dict(self.sample_digests),
            **({} if self.trial_seed is None else {"trial_seed": self.trial_seed}),
        }

    def plan_hash(self) -> str:
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def samples_digest(samples: Sequence[Sample]) -> str:
    """A digest of what a benchmark will ask: ids, prompts, targets and choices."""
    digest = hashlib.sha256()
    for sample in samples:
        digest.update(json.dumps([sample.id, sample.input, sample.target, list(sample.choices)],
                                 ensure_ascii=False).encode())
    return digest.hexdigest()


def environment() -> dict[str, Any]:
    """Versions and machine facts recorded with each run, for reproducibility."""
    versions: dict[str, str | None] = {}
    for package in ("openai", "llama-cpp-python", "pydantic"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "bakeoff": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
    }
