"""The `llama-cpp` provider kind: a GGUF file run in this process by llama-cpp-python.

    [[models]]
    name = "local-coder"
    provider = "llama-cpp"
    bundled = "qwen2.5-coder-0.5b-instruct"   # or: path = "models/my-model.Q4_K_M.gguf"

This module declares the kind (its keys, identity, abilities, tokenizer); the provider itself
(provider.py) and llama-cpp-python are imported only when a model is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from bakeoff.providers.base import Count, ModelConfig, Provider, Tokenizer
from bakeoff.providers.bundled import (
    ASSUMED_PRICE_PER_HOUR,
    BUNDLED_MODELS,
    bundled_path,
    ensure_model,
)
from bakeoff.types import Abilities

# Sequences decoded together by default: the fastest setting measured on the bundled models
# (docs/PERFORMANCE.md, "Parallel local decoding").
DEFAULT_PARALLEL = 8


class LlamaCppModelConfig(ModelConfig):
    """A GGUF model: one of the bundled models by name, or a file."""

    provider: Literal["llama-cpp"]
    # Requests decoded together as parallel sequences of one batch (1: one at a time, and
    # answers that never depend on other requests; see providers/llama_cpp/parallel.py).
    concurrency: Annotated[Count, Field(ge=1, le=64)] = DEFAULT_PARALLEL
    bundled: str | None = None
    path: Path | None = None
    n_ctx: Annotated[Count, Field(ge=256, le=1 << 20)] = 4096
    flash_attn: bool = False
    # CPU threads for llama.cpp (default: every usable core). On a machine busy with other
    # work, fewer threads can be much faster: llama.cpp's threads spin while they wait.
    n_threads: Annotated[Count, Field(ge=1, le=512)] | None = None

    @model_validator(mode="after")
    def _one_file(self) -> LlamaCppModelConfig:
        if bool(self.bundled) == bool(self.path):
            raise ValueError("provider 'llama-cpp' needs exactly one of bundled or path")
        if self.bundled and self.bundled not in BUNDLED_MODELS:
            known = ", ".join(sorted(BUNDLED_MODELS))
            raise ValueError(f"unknown bundled model {self.bundled!r} (known: {known})")
        return self

    def build(self) -> Provider:
        from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

        return LlamaCppProvider(self.model_file(), self.name, n_ctx=self.n_ctx,
                                flash_attn=self.flash_attn, n_threads=self.n_threads,
                                parallel=self.concurrency)

    def identity(self) -> str:
        if self.bundled:
            weights = BUNDLED_MODELS[self.bundled].sha256
        else:
            path = self.model_file()
            stat = path.stat()
            weights = f"{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}"
        identity = f"llama-cpp|{weights}|n_ctx={self.n_ctx}|flash_attn={self.flash_attn}"
        # Answers decoded in parallel may differ from sequential ones: never mix them.
        return identity + (f"|parallel={self.concurrency}" if self.concurrency > 1 else "")

    def abilities(self) -> Abilities:
        from bakeoff.providers.llama_cpp.template import template_accepts_tools

        return Abilities(loglikelihood=True, tools=template_accepts_tools(self.model_file()),
                         structured_output=True, streaming_usage=True, in_process=True,
                         endpoint="completions")

    def served_by(self) -> str:
        return f"bundled {self.bundled}" if self.bundled else str(self.path)

    def context_window(self) -> int | None:
        return self.n_ctx

    def tokenizer(self) -> Tokenizer | None:
        from bakeoff.providers.llama_cpp.tokenizer import GgufTokenizer

        return GgufTokenizer(self.model_file())

    def gguf_file(self, *, download: bool = True) -> Path | None:
        if self.bundled:
            return ensure_model(self.bundled) if download else bundled_path(self.bundled)
        return self.path if self.path is not None and self.path.is_file() else None

    def card_name(self) -> str | None:
        from bakeoff.catalog import card_names

        if self.card is not None:
            return self.card
        return self.bundled if self.bundled in card_names() else None

    def model_file(self) -> Path:
        """The GGUF to load: a bundled model is fetched and verified on first use."""
        from bakeoff.catalog.gguf import GGUFError, require_gguf

        if self.bundled:
            return ensure_model(self.bundled)
        assert self.path is not None
        try:
            return require_gguf(self.path)
        except GGUFError as error:
            raise GGUFError(f"model {self.name!r}: {error}") from None


def bundled_model_config(name: str) -> LlamaCppModelConfig:
    """A bundled model as `-m NAME` or the embedded default configures it, with the assumed
    machine price of providers.bundled (a `[[models]]` entry in bakeoff.toml sets its own)."""
    return LlamaCppModelConfig(name=name, provider="llama-cpp", bundled=name,
                               price_per_hour=ASSUMED_PRICE_PER_HOUR)


__all__ = ["LlamaCppModelConfig", "bundled_model_config"]
