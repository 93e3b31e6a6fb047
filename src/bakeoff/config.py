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

Relative paths in [data] and [benchmarks] are read from the config file's folder.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bakeoff.benchmarks.registry import BENCHMARKS
from bakeoff.providers.bundled import BUNDLED_MODELS

DEFAULT_CONFIG_NAME = "bakeoff.toml"


class ConfigError(Exception):
    """A user's configuration is wrong; the message is one located line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(_Strict):
    """One candidate model."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]
    provider: Literal["openai", "llama-cpp"]
    # openai: any OpenAI-compatible endpoint.
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    endpoint: Literal["chat", "completions"] = "chat"
    # The server returns prompt logprobs (vLLM, SGLang, llama.cpp server): score multiple
    # choice by loglikelihood through its completions endpoint instead of letter generation.
    loglikelihood: bool = False
    timeout_s: Annotated[float, Field(gt=0)] = 120.0
    max_retries: Annotated[int, Field(ge=0, le=20)] = 4
    # llama-cpp: a bundled model name or a GGUF path.
    bundled: str | None = None
    path: Path | None = None
    n_ctx: Annotated[int, Field(ge=256)] = 4096
    flash_attn: bool = False
    # CPU threads for llama.cpp (default: every usable core). On a machine busy with other
    # work, fewer threads can be much faster: llama.cpp's threads spin while they wait.
    n_threads: Annotated[int, Field(ge=1, le=512)] | None = None
    # Both.
    concurrency: Annotated[int, Field(ge=1, le=256)] = 4
    context: Annotated[int, Field(ge=1)] | None = None
    price_input_per_mtok: Annotated[float, Field(ge=0)] | None = None
    price_output_per_mtok: Annotated[float, Field(ge=0)] | None = None
    # The spec sheet: a shipped card by name (see `bakeoff models --all-cards`), fields of it
    # overridden here (`spec = { context_window = 65536 }`), and for self-hosted models the
    # machine's price per hour (cost = wall time of the model's completions x this price).
    card: str | None = None
    spec: dict[str, Any] = {}
    price_per_hour: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _card_fields(self) -> ModelConfig:
        from bakeoff.catalog import SPEC_FIELDS, card_names

        if self.card is not None and self.card not in card_names():
            raise ValueError(f"unknown card {self.card!r} (known: {', '.join(card_names())})")
        unknown = sorted(set(self.spec) - set(SPEC_FIELDS))
        if unknown:
            raise ValueError(f"spec: unknown card fields {', '.join(unknown)} "
                             f"(known: {', '.join(SPEC_FIELDS)})")
        return self

    @model_validator(mode="after")
    def _provider_fields(self) -> ModelConfig:
        if self.provider == "openai":
            if not self.base_url:
                raise ValueError("provider 'openai' needs base_url")
            if self.bundled or self.path:
                raise ValueError("bundled and path are for provider 'llama-cpp'")
        else:
            if bool(self.bundled) == bool(self.path):
                raise ValueError("provider 'llama-cpp' needs exactly one of bundled or path")
            if self.bundled and self.bundled not in BUNDLED_MODELS:
                known = ", ".join(sorted(BUNDLED_MODELS))
                raise ValueError(f"unknown bundled model {self.bundled!r} (known: {known})")
            if self.base_url:
                raise ValueError("base_url is for provider 'openai'")
        return self

    @property
    def api_model(self) -> str:
        """The model id sent to the API (defaults to the bakeoff name)."""
        return self.model or self.name


class SuiteConfig(_Strict):
    benchmarks: Annotated[list[str], Field(min_length=1)]
    # Items per benchmark; a benchmark missing here runs in full.
    limits: dict[str, Annotated[int, Field(ge=1)]] = {}

    @model_validator(mode="after")
    def _limits_name_benchmarks(self) -> SuiteConfig:
        extra = sorted(set(self.limits) - set(self.benchmarks))
        if extra:
            raise ValueError(f"limits names benchmarks not in the suite: {', '.join(extra)}")
        return self


class CustomBenchmarkConfig(_Strict):
    """A benchmark read from the user's JSON Lines file (see bakeoff.benchmarks.custom)."""

    kind: Literal["multiple_choice", "generative"]
    path: Path
    shots: Annotated[int, Field(ge=0)] = 0
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


class OutputConfig(_Strict):
    dir: Path = Path("bakeoff-results")


class Config(_Strict):
    models: list[ModelConfig] = []
    suites: dict[str, SuiteConfig] = {}
    output: OutputConfig = OutputConfig()
    # Benchmark name -> the user's data file (in the hub dataset's schema).
    data: dict[str, Path] = {}
    # Custom benchmarks by name.
    benchmarks: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")],
                     CustomBenchmarkConfig] = {}
    # The suite `bakeoff run` uses when --suite is not given.
    default_suite: str = "quick"
    source: str = Field(default="<embedded default>", exclude=True)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique: {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _benchmark_names_exist(self) -> Config:
        """Located like a key ("data.mmlux: ..."), since the check spans several tables."""
        for name in self.data:
            if name not in BENCHMARKS:
                known = ", ".join(BENCHMARKS)
                raise ValueError(f"data.{name}: unknown benchmark {name!r} (known: {known})")
        for name in self.benchmarks:
            if name in BENCHMARKS:
                raise ValueError(f"benchmarks.{name}: the name of a built-in benchmark")
        known_names = [*BENCHMARKS, *self.benchmarks]
        for suite_name, suite in self.suites.items():
            for name in suite.benchmarks:
                if name not in known_names:
                    raise ValueError(f"suites.{suite_name}.benchmarks: unknown benchmark "
                                     f"{name!r} (known: {', '.join(known_names)})")
        return self

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
        known = ", ".join([m.name for m in self.models] + sorted(BUNDLED_MODELS))
        raise ConfigError(f"{self.source}: unknown model {name!r} (known: {known})")

    def suite(self, name: str) -> SuiteConfig:
        if name in self.suites:
            return self.suites[name]
        if name in BUILTIN_SUITES:
            return BUILTIN_SUITES[name]
        known = ", ".join(sorted(set(self.suites) | set(BUILTIN_SUITES)))
        raise ConfigError(f"{self.source}: unknown suite {name!r} (known: {known})")


# quick: offline data only, a few minutes per bundled model on 2 cores. full: every
# registered benchmark at full size (a benchmark added to the registry joins it).
BUILTIN_SUITES: dict[str, SuiteConfig] = {
    "quick": SuiteConfig(benchmarks=["mmlu", "gsm8k"], limits={"mmlu": 114, "gsm8k": 20}),
    "full": SuiteConfig(benchmarks=list(BENCHMARKS)),
}


def bundled_model_config(name: str) -> ModelConfig:
    return ModelConfig(name=name, provider="llama-cpp", bundled=name, concurrency=1)


def default_config() -> Config:
    """The embedded default: every bundled model, the quick suite."""
    return Config(models=[bundled_model_config(name) for name in BUNDLED_MODELS])


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
    try:
        return Config.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_problem(exc, raw)}") from None


def _first_problem(exc: ValidationError, raw: dict[str, Any]) -> str:
    """`models[1].base_url: Field required` — the first error, located like TOML keys."""
    error = exc.errors()[0]
    location = _format_location(error["loc"], raw)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{location}: {message}{suffix}" if location else f"{message}{suffix}"


def _format_location(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """TOML-style key path; an array entry also names its model, e.g. `models[2] ("x").path`."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and item < len(node) else None
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{item + 1}]" + (f" ({name!r})" if isinstance(name, str) else ""))
        else:
            node = node.get(item) if isinstance(node, dict) else None
            parts.append(f".{item}" if parts else item)
    return "".join(parts)
