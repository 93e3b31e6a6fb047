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
from bakeoff.config import ModelConfig, SuiteConfig
from bakeoff.providers.base import Provider
from bakeoff.providers.bundled import BUNDLED_MODELS, ensure_model
from bakeoff.types import Sample


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    limit: int | None


@dataclass(frozen=True)
class RunPlan:
    suite: str
    models: tuple[ModelConfig, ...]
    benchmarks: tuple[BenchmarkSpec, ...]
    # benchmark -> digest of the samples loaded: a changed data file is a different run.
    sample_digests: tuple[tuple[str, str], ...] = ()

    @classmethod
    def build(cls, suite_name: str, suite: SuiteConfig,
              models: list[ModelConfig]) -> RunPlan:
        specs = tuple(BenchmarkSpec(b, suite.limits.get(b)) for b in suite.benchmarks)
        return cls(suite=suite_name, models=tuple(models), benchmarks=specs)

    def with_samples(self, samples: dict[str, list[Sample]]) -> RunPlan:
        digests = tuple((name, samples_digest(items)) for name, items in samples.items())
        return replace(self, sample_digests=digests)

    def as_dict(self) -> dict[str, Any]:
        """What defines the run; holds no secrets (configs only name a key's variable)."""
        return {
            "suite": self.suite,
            "models": [m.model_dump(mode="json", exclude_defaults=True) for m in self.models],
            "benchmarks": [{"name": b.name, "limit": b.limit} for b in self.benchmarks],
            "sample_digests": dict(self.sample_digests),
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


def model_identity(model: ModelConfig) -> str:
    """What makes two models' answers interchangeable: the cache identity of a model."""
    if model.provider == "openai":
        return f"openai|{model.base_url}|{model.api_model}|{model.endpoint}"
    if model.bundled:
        weights = BUNDLED_MODELS[model.bundled].sha256
    else:
        assert model.path is not None
        stat = model.path.stat()
        weights = f"{model.path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}"
    return f"llama-cpp|{weights}|n_ctx={model.n_ctx}|flash_attn={model.flash_attn}"


def build_provider(model: ModelConfig) -> Provider:
    """The provider for a configured model (imports the heavy backends only when needed)."""
    if model.provider == "openai":
        from bakeoff.providers.openai_compat import OpenAICompatProvider
        from bakeoff.providers.retry import RetryPolicy

        assert model.base_url is not None
        return OpenAICompatProvider(
            model.api_model, base_url=model.base_url, api_key_env=model.api_key_env,
            endpoint=model.endpoint, timeout_s=model.timeout_s,
            prompt_logprobs=model.loglikelihood,
            retry=RetryPolicy(max_attempts=model.max_retries + 1),
        )
    from bakeoff.providers.llama_cpp import LlamaCppProvider

    path = ensure_model(model.bundled) if model.bundled else model.path
    assert path is not None
    return LlamaCppProvider(path, model.name, n_ctx=model.n_ctx, flash_attn=model.flash_attn,
                            n_threads=model.n_threads)


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
