"""What calls cost: tokens × the price per 1M tokens, and machine time × the price per hour.

A model is costed by its `Rates`: token prices (an API's list price, from its card or from
bakeoff.toml) and/or a price per hour of the machine serving it (`price_per_hour`, for local
and self-hosted models), as bakeoff.catalog.resolve decides them (`rates_for`,
`rates_from_plan`): the figures every report shows. When both are set, a call costs both.
Machine time is the wall time of the model's completions: the union of their [started,
finished] intervals, so calls that overlap (concurrency, or a loglikelihood batch whose
completions share one timing) count once. To compare a model billed by the hour with one
priced per token, `per_mtok_at` turns its price per hour into a price per 1M generated tokens
at a measured speed (bakeoff.report.prices says which speed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bakeoff.catalog.card import blended_price
from bakeoff.catalog.resolve import ModelFigures, plan_figures, resolve
from bakeoff.types import Completion, Timing, Usage

if TYPE_CHECKING:
    from bakeoff.config import ModelConfig

MTOK = 1_000_000
HOUR_S = 3600.0


@dataclass(frozen=True)
class Rates:
    """How a model's calls are costed; None where that price is unknown."""

    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    per_hour: float | None = None

    @property
    def has_token_prices(self) -> bool:
        return self.input_per_mtok is not None and self.output_per_mtok is not None

    @property
    def known(self) -> bool:
        """True when some cost can be computed at all."""
        return self.has_token_prices or self.per_hour is not None

    @property
    def blended_per_mtok(self) -> float | None:
        if self.input_per_mtok is None or self.output_per_mtok is None:
            return None
        return blended_price(self.input_per_mtok, self.output_per_mtok)

    def token_cost(self, input_tokens: int, output_tokens: int) -> float:
        """Cost of the tokens at these prices (0 when token prices are unknown)."""
        if self.input_per_mtok is None or self.output_per_mtok is None:
            return 0.0
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / MTOK

    def time_cost(self, seconds: float) -> float:
        return 0.0 if self.per_hour is None else seconds * self.per_hour / HOUR_S

    def cost(self, completions: Iterable[Completion]) -> float | None:
        """Cost of these completions: their tokens plus their machine time; None if unpriced."""
        if not self.known:
            return None
        items = list(completions)
        tokens = self.token_cost(sum(c.usage.input_tokens for c in items),
                                 sum(c.usage.output_tokens for c in items))
        return tokens + self.time_cost(wall_seconds(c.timing for c in items))


def per_mtok_at(per_hour: float, tokens_per_s: float) -> float:
    """What a machine billed by the hour costs per 1M tokens it generates at `tokens_per_s`:
    per_hour ÷ (tokens_per_s × 3,600 s) × 1,000,000. The caller passes a measured speed."""
    return per_hour / (tokens_per_s * HOUR_S) * MTOK


def usage_cost(usage: Usage, input_per_mtok: float, output_per_mtok: float) -> float:
    """One request's cost: input tokens × input price + output tokens × output price, per 1M."""
    return (usage.input_tokens * input_per_mtok + usage.output_tokens * output_per_mtok) / MTOK


def wall_seconds(timings: Iterable[Timing]) -> float:
    """Length of the union of the timings' [started, finished] intervals."""
    total, end = 0.0, float("-inf")
    for timing in sorted(timings, key=lambda t: t.started):
        start = max(timing.started, end)
        if timing.finished > start:
            total += timing.finished - start
        end = max(end, timing.finished)
    return total


def rates_of(figures: ModelFigures) -> Rates:
    """The rates of a model's resolved figures: its effective price and price per hour."""
    price = figures.price
    return Rates(input_per_mtok=None if price is None else price.input_per_mtok,
                 output_per_mtok=None if price is None else price.output_per_mtok,
                 per_hour=figures.price_per_hour)


def rates_for(model: ModelConfig) -> Rates:
    """A configured model's rates, as bakeoff.catalog.resolve decides its figures (its
    configured prices over its linked card's, and its price per hour)."""
    return rates_of(resolve(model, read_files=False))


def rates_from_plan(entry: Mapping[str, Any]) -> Rates:
    """The rates of a model as a stored run plan recorded its config (resolved the same way)."""
    return rates_of(plan_figures(entry, read_files=False))
