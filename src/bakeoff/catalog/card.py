"""A model card: a model's spec sheet as validated data, every figure with its source.

Cards live as TOML files in `bakeoff/catalog/cards/` (the seed cards), are derived from a GGUF
file's own metadata (`bakeoff.catalog.gguf`), and can be overridden field by field from
bakeoff.toml. A figure nobody could verify is left out (None), never guessed: the spec sheet
shows "—" for it.

Units: parameters are counts (405_000_000_000, not "405B"); context windows are tokens;
prices are US dollars per 1M tokens; benchmark scores are percentages (0-100) as published.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Modality = Literal["text", "image", "audio", "video", "code"]

# The spec fields that are single figures; each one set must name its source.
SPEC_FIELDS: tuple[str, ...] = (
    "vendor", "total_params", "active_params", "architecture", "expert_count",
    "experts_per_token", "context_window", "knowledge_cutoff", "release_date", "license",
    "languages", "input_modalities", "output_modalities", "quantization", "file_size_bytes",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    """One provider's list price, as published on `date` at `source`."""

    input_per_mtok: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
    output_per_mtok: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
    provider: Annotated[str, Field(min_length=1)]
    # The day the price was published or read at `source`; None only for a price set in
    # bakeoff.toml (the user's own figure, undated).
    date: dt.date | None
    source: Annotated[str, Field(min_length=1)]
    # How the figure was obtained or corroborated, and what may have changed since.
    note: str = ""

    @property
    def blended_per_mtok(self) -> float:
        """(3 × input + 1 × output) / 4: the price of a 3:1 input:output token mix."""
        return blended_price(self.input_per_mtok, self.output_per_mtok)


def blended_price(input_per_mtok: float, output_per_mtok: float) -> float:
    """The blended price per 1M tokens: (3 × input + 1 × output) / 4."""
    return (3 * input_per_mtok + output_per_mtok) / 4


class PublishedSpeed(_Strict):
    """A speed someone else measured for one provider serving the model: shown as published,
    never mixed with bakeoff's own measurements."""

    provider: Annotated[str, Field(min_length=1)]
    output_tokens_per_s: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
    # Time to first token in seconds, where the source gives it.
    ttft_s: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)] | None = None
    # The workload the source measured with ("10k input tokens", "single short prompt").
    workload: Annotated[str, Field(min_length=1)]
    # The day the figure was published or read at `source`.
    date: dt.date
    source: Annotated[str, Field(min_length=1)]
    note: str = ""


class BenchmarkClaim(_Strict):
    """A score the vendor published: not measured by bakeoff, shown beside what was measured."""

    benchmark: Annotated[str, Field(min_length=1)]
    score: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
    # How it was run, as the source states it: shots, CoT, the metric ("5-shot, acc").
    setting: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]
    note: str = ""


class ModelCard(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    display_name: Annotated[str, Field(min_length=1)]
    vendor: str | None = None
    total_params: Annotated[int, Field(strict=True, gt=0)] | None = None
    active_params: Annotated[int, Field(strict=True, gt=0)] | None = None
    architecture: Literal["dense", "moe"] | None = None
    expert_count: Annotated[int, Field(strict=True, ge=1)] | None = None
    experts_per_token: Annotated[int, Field(strict=True, ge=1)] | None = None
    context_window: Annotated[int, Field(strict=True, gt=0)] | None = None
    # "YYYY-MM" or "YYYY-MM-DD", as precise as the source is.
    knowledge_cutoff: Annotated[str, Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")] | None = None
    release_date: dt.date | None = None
    license: str | None = None
    # ISO 639-1 codes of the languages the vendor lists as supported.
    languages: tuple[str, ...] | None = None
    input_modalities: tuple[Modality, ...] | None = None
    output_modalities: tuple[Modality, ...] | None = None
    # Local files only: the quantisation (GGUF file type) and the size on disk.
    quantization: str | None = None
    file_size_bytes: Annotated[int, Field(strict=True, ge=0)] | None = None
    # Spec field -> where that figure comes from (a URL, or "GGUF metadata of <file>").
    sources: dict[str, Annotated[str, Field(min_length=1)]] = {}
    price: Price | None = None
    speeds: tuple[PublishedSpeed, ...] = ()
    benchmarks: tuple[BenchmarkClaim, ...] = ()
    notes: str = ""

    @model_validator(mode="after")
    def _every_figure_has_a_source(self) -> ModelCard:
        unknown = sorted(set(self.sources) - set(SPEC_FIELDS))
        if unknown:
            raise ValueError(f"sources names unknown fields: {', '.join(unknown)}")
        missing = [f for f in SPEC_FIELDS if getattr(self, f) is not None and f not in self.sources]
        if missing:
            raise ValueError(f"no source for: {', '.join(missing)} (add them under [sources])")
        return self

    @model_validator(mode="after")
    def _architecture_is_consistent(self) -> ModelCard:
        if self.architecture == "dense" and (self.expert_count or self.experts_per_token):
            raise ValueError("a dense model has no experts")
        if (self.expert_count and self.experts_per_token
                and self.experts_per_token > self.expert_count):
            raise ValueError("experts_per_token exceeds expert_count")
        if self.total_params and self.active_params and self.active_params > self.total_params:
            raise ValueError("active_params exceeds total_params")
        return self

    def with_overrides(self, overrides: dict[str, Any], source: str) -> ModelCard:
        """A copy with some spec fields replaced; each replaced figure is sourced to `source`."""
        if not overrides:
            return self
        unknown = sorted(set(overrides) - set(SPEC_FIELDS))
        if unknown:
            raise ValueError(f"unknown card fields: {', '.join(unknown)} "
                             f"(known: {', '.join(SPEC_FIELDS)})")
        data = self.model_dump()
        data.update(overrides)
        data["sources"] = {**self.sources, **{key: source for key in overrides}}
        return ModelCard.model_validate(data)

    def with_price(self, price: Price | None) -> ModelCard:
        return self.model_copy(update={"price": price})
