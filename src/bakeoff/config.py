"""bakeoff.toml: the models to compare and the suites to run them on.

The file is validated with pydantic (unknown keys are errors). Every problem becomes one
`ConfigError` line that names the file, the key and what is wrong. With no file, the embedded
default applies: the three bundled models on the quick suite.

    [[models]]
    name = "llama-3.1-405b"
    provider = "openai"
    base_url = "https://gateway.example.com/v1"
    model = "meta-llama/llama-3.1-405b-instruct"
    api_key_env = "GATEWAY_API_KEY"
    price_input_per_mtok = 3.0
    price_output_per_mtok = 3.0

    [suites.mine]
    benchmarks = ["mmlu", "gsm8k", "support_faq"]
    limits = { mmlu = 200, gsm8k = 50 }

    [data]                          # a benchmark's data from your own file (hub schema)
    mmlu = "data/mmlu_test.jsonl"

    [benchmarks.support_faq]        # a custom benchmark (see bakeoff.benchmarks.custom)
    kind = "multiple_choice"
    path = "data/faq.jsonl"

    [trials.refunds]                # a custom hands-on trial (see bakeoff.trials.custom)
    path = "trials/refunds.yaml"

    [judge]                         # the model that compares open-ended answers in pairs
    model = "llama-3.1-405b"        # a [[models]] name or a bundled model

Relative paths in [data], [benchmarks] and [trials] are read from the config file's folder. Each
`[[models]]` entry has the keys of its provider kind (see bakeoff.providers.registry). This
module knows nothing of benchmarks: which names exist is checked by
bakeoff.engine.plan.check_benchmark_names, which bakeoff.api.load_config runs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from bakeoff.names import did_you_mean, unknown_hint
from bakeoff.providers.base import MAX_NAME, Count, ModelConfig
from bakeoff.providers.bundled import BUNDLED_MODELS
from bakeoff.providers.llama_cpp import bundled_model_config
from bakeoff.providers.registry import kinds, parse_models

DEFAULT_CONFIG_NAME = "bakeoff.toml"


# The name of a custom benchmark or trial: a TOML key, a store key and a file name.
TableName = Annotated[str, Field(max_length=MAX_NAME, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class ConfigError(Exception):
    """A user's configuration is wrong; the message is one located line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiteConfig(_Strict):
    # Benchmarks and hands-on trials, by name (see `bakeoff benchmarks`, `bakeoff tasks`).
    benchmarks: Annotated[list[str], Field(min_length=1)]
    # Items per benchmark, cases per trial; a benchmark missing here runs in full, a trial
    # gets its full-suite case count.
    limits: dict[str, Annotated[Count, Field(ge=1, le=10**9)]] = {}
    # Items taken only from these subjects of a benchmark (MMLU's subjects), before `limits`.
    subsets: dict[str, Annotated[list[str], Field(min_length=1)]] = {}
    # The seed trial cases are generated from: the same seed gives the same cases.
    seed: Annotated[Count, Field(ge=0, le=2**63 - 1)] = 1

    @model_validator(mode="after")
    def _limits_name_benchmarks(self) -> SuiteConfig:
        for key in ("limits", "subsets"):
            extra = sorted(set(getattr(self, key)) - set(self.benchmarks))
            if extra:
                raise ValueError(f"{key} names benchmarks not in the suite: {', '.join(extra)}")
        return self


class CustomBenchmarkConfig(_Strict):
    """A benchmark read from the user's JSON Lines file (see bakeoff.benchmarks.custom)."""

    kind: Literal["multiple_choice", "generative"]
    path: Path
    shots: Annotated[Count, Field(ge=0, le=100)] = 0
    metric: Literal["acc", "acc_norm", "exact_match", "contains"] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _metric_fits_kind(self) -> CustomBenchmarkConfig:
        allowed = {"multiple_choice": ("acc", "acc_norm"), "generative": ("exact_match",
                                                                          "contains")}[self.kind]
        if self.metric is not None and self.metric not in allowed:
            raise ValueError(f"metric {self.metric!r} does not fit kind {self.kind!r} "
                             f"(use {' or '.join(allowed)})")
        return self


class CustomTrialConfig(_Strict):
    """A hands-on trial read from the user's YAML or JSON Lines file (see
    bakeoff.trials.custom)."""

    path: Path
    description: str = ""
    # Its TrialInfo.category (shown by `bakeoff tasks`).
    category: Annotated[str, Field(min_length=1)] = "Custom"

    @field_validator("path")
    @classmethod
    def _trial_file(cls, value: Path) -> Path:
        if value.suffix not in (".yaml", ".yml", ".jsonl"):
            raise ValueError("a trial file ends in .yaml, .yml or .jsonl")
        return value


class JudgeConfig(_Strict):
    """The judge of open-ended answers (see bakeoff.judging.judge)."""

    # The name of a [[models]] entry or of a bundled model.
    model: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class OutputConfig(_Strict):
    dir: Path = Path("bakeoff-results")


class Config(_Strict):
    # Each entry is validated as its provider kind's config (see providers/registry.py).
    models: list[SerializeAsAny[ModelConfig]] = []
    suites: dict[str, SuiteConfig] = {}
    output: OutputConfig = OutputConfig()
    # The store every command uses unless --store is given: a postgresql:// URL (a database
    # a team shares) or a SQLite file's path; default <output.dir>/bakeoff.sqlite.
    store: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    # Benchmark name -> the user's data file (in the hub dataset's schema).
    data: dict[str, Path] = {}
    # Custom benchmarks by name.
    benchmarks: dict[TableName, CustomBenchmarkConfig] = {}
    # Custom hands-on trials by name.
    trials: dict[TableName, CustomTrialConfig] = {}
    # The suite `bakeoff run` uses when --suite is not given.
    default_suite: Annotated[str, Field(max_length=MAX_NAME)] = "quick"
    # Who judges open-ended answers after a run; no judging without it.
    judge: JudgeConfig | None = None
    source: str = Field(default="<embedded default>", exclude=True)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique: {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _judge_is_a_model(self) -> Config:
        names = [m.name for m in self.models]
        if self.judge is not None and self.judge.model not in [*names, *BUNDLED_MODELS]:
            hint = unknown_hint(self.judge.model, names + sorted(BUNDLED_MODELS))
            raise ValueError(f"judge.model: unknown model {self.judge.model!r} ({hint})")
        return self

    @field_validator("models", mode="before")
    @classmethod
    def _models_by_kind(cls, value: Any) -> list[ModelConfig]:
        return parse_models(value)

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        if path.is_absolute() or self.source == "<embedded default>":
            return path
        return Path(self.source).parent / path

    def data_file(self, benchmark: str) -> Path | None:
        """The user's file for a built-in benchmark; ConfigError when it is not there."""
        if benchmark not in self.data:
            return None
        path = self.resolve(self.data[benchmark])
        if not path.is_file():
            raise ConfigError(f"{self.source}: data.{benchmark}: no such file {path}")
        return path

    def model(self, name: str) -> ModelConfig:
        """A configured model by name, or a bundled model by its bakeoff name."""
        for candidate in self.models:
            if candidate.name == name:
                return candidate
        if name in BUNDLED_MODELS:
            return bundled_model_config(name)
        known = [m.name for m in self.models] + sorted(BUNDLED_MODELS)
        raise ConfigError(f"{self.source}: unknown model {_shortened(name)!r} "
                          f"({unknown_hint(name, known)})")

    def suite(self, name: str, builtin: dict[str, SuiteConfig]) -> SuiteConfig:
        """A suite of this config, else one of `builtin` (see bakeoff.engine.plan)."""
        if name in self.suites:
            return self.suites[name]
        if name in builtin:
            return builtin[name]
        known = sorted(set(self.suites) | set(builtin))
        raise ConfigError(f"{self.source}: unknown suite {_shortened(name)!r} "
                          f"({unknown_hint(name, known)})")


DEFAULT_JUDGE = "qwen2.5-coder-0.5b-instruct"


def default_config() -> Config:
    """The embedded default: every bundled model, the quick suite, the largest bundled model
    as judge (a contestant too: its ratings are labelled self-judged). Each model carries the
    assumed machine price per hour of providers.bundled (ASSUMED_PRICE_PER_HOUR: AWS
    m6a.large on demand, January 2025), so the report can price them per token."""
    return Config(models=[bundled_model_config(name) for name in BUNDLED_MODELS],
                  judge=JudgeConfig(model=DEFAULT_JUDGE))


def load_config(path: Path | None) -> Config:
    """Read `path`, or ./bakeoff.toml when it exists, or the embedded default."""
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not candidate.exists():
            return default_config()
        path = candidate
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    try:
        return Config.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_problem(exc, raw)}") from None
    except RecursionError:
        raise ConfigError(f"{source}: a value is nested too deeply") from None


def _first_problem(exc: ValidationError, raw: dict[str, Any]) -> str:
    """`models[1].base_url: Field required` — the first error, located like TOML keys."""
    error = exc.errors()[0]
    location = _format_location(error["loc"], raw)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key" + did_you_mean(str(error["loc"][-1]), _config_keys())
    elif error["type"] in ("int_type", "float_type") and isinstance(error["input"], str):
        message += " without quotes, not a string"  # `concurrency = "8"`: no coercion
    elif error["type"] in ("union_tag_not_found", "union_tag_invalid"):
        given = error.get("ctx", {}).get("tag")
        what = f"unknown provider {given!r}" if given else "provider is missing"
        message = f"{what} (known: {', '.join(kinds())})"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{location}: {message}{suffix}" if location else f"{message}{suffix}"


def _config_keys() -> list[str]:
    """Every key a table of bakeoff.toml may have: what an unknown key is matched against."""
    classes: list[type[BaseModel]] = [*_Strict.__subclasses__(), Config]
    kinds_left: list[type[BaseModel]] = [ModelConfig]
    while kinds_left:
        kind = kinds_left.pop()
        classes.append(kind)
        kinds_left += kind.__subclasses__()
    return sorted({key for cls in classes for key in cls.model_fields} - {"source"})


def _format_location(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """TOML-style key path; an array entry also names its model, e.g. `models[2] ("x").path`."""
    parts: list[str] = []
    node: Any = raw
    for previous, item in zip((None, *loc), loc, strict=False):
        if isinstance(previous, int) and isinstance(node, dict) and item == node.get("provider"):
            continue  # the tag pydantic adds to a provider kind's errors
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and item < len(node) else None
            name = node.get("name") if isinstance(node, dict) else None
            named = f" ({_shortened(name)!r})" if isinstance(name, str) else ""
            parts.append(f"[{item + 1}]{named}")
        else:
            node = node.get(item) if isinstance(node, dict) else None
            key = _shortened(str(item))
            parts.append(f".{key}" if parts else key)
    return "".join(parts)


def _shortened(text: str, longest: int = 60) -> str:
    """`text`, cut to fit in a one-line message."""
    return text if len(text) <= longest else text[:longest - 3] + "..."


__all__ = ["Config", "ConfigError", "CustomBenchmarkConfig", "CustomTrialConfig", "JudgeConfig",
           "ModelConfig", "SuiteConfig",
           "bundled_model_config", "default_config", "load_config", "parse_config"]
