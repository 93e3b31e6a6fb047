"""The price per 1M tokens a report compares models on, and where each one comes from.

A model priced per token compares on its blended list price, (3 × input + 1 × output) ÷ 4 per
1M tokens (PROTOCOLS.md, Cost). A model billed by the hour of its machine (`price_per_hour`:
an assumed machine price that bakeoff.toml or the embedded default sets, never a vendor's)
has no price per token of its own. Its effective price is derived from a measured speed:

    $ per 1M output tokens = price per hour ÷ (output tokens/s × 3,600 s) × 1,000,000

The speed, in this order: the speed pass's output tokens/s p50 (`bakeoff speed`: streamed
single requests, the time to first token left out), else the run's own generation requests,
their output tokens ÷ the machine time they took (the union of their [started, finished]
intervals, prompt processing included). Where neither was measured there is no effective
price and the report says why; a speed is never assumed. A model with token prices and a
price per hour compares on their sum, since its calls cost both. The two kinds of price are
not the same measure (one counts output tokens at the measured speed, the other blends input
and output 3:1); the report labels which is which wherever it compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bakeoff.cost.pricing import MTOK, per_mtok_at
from bakeoff.report.data import ReportData

# How the report names a price per hour wherever it shows one.
ASSUMED_MACHINE_PRICE = "assumed machine price (configurable: price_per_hour)"


@dataclass(frozen=True)
class MeasuredRate:
    """An output speed measured for a model, and where it was measured."""

    tokens_per_s: float
    source: str


@dataclass(frozen=True)
class HourlyPrice:
    """A model billed by the hour: its assumed machine price and, when its speed was measured,
    the price per 1M output tokens that comes to."""

    per_hour: float
    rate: MeasuredRate | None

    @property
    def per_mtok(self) -> float | None:
        if self.rate is None:
            return None
        return per_mtok_at(self.per_hour, self.rate.tokens_per_s)

    @property
    def text(self) -> str:
        """"$0.208 per 1M output tokens at the measured 115.4 tok/s and $0.0864/hour (derived)",
        or why there is no such figure."""
        if self.rate is None or self.per_mtok is None:
            return f"no price per token: {self.no_speed}"
        return (f"${self.per_mtok:.3g} per 1M output tokens at the measured "
                f"{self.rate.tokens_per_s:.1f} tok/s and ${self.per_hour:g}/hour (derived)")

    @property
    def no_speed(self) -> str:
        return f"{ASSUMED_MACHINE_PRICE} ${self.per_hour:g}/hour, but no output speed was measured"

    def methodology(self, model: str) -> str:
        """The sum behind the figure, with the speed's source; or that there is none."""
        if self.rate is None or self.per_mtok is None:
            return (f"{model}: no price per token derived from its {ASSUMED_MACHINE_PRICE} "
                    f"${self.per_hour:g}/hour: no output speed was measured (neither a speed pass "
                    "nor a generation request of the run)")
        return (f"{model} price per token, derived from its {ASSUMED_MACHINE_PRICE}: "
                f"${self.per_hour:g}/hour ÷ ({self.rate.tokens_per_s:.1f} output tokens/s × "
                f"3,600 s) × {MTOK:,} = ${self.per_mtok:.3g} per 1M output tokens; speed from "
                f"{self.rate.source}")


@dataclass(frozen=True)
class ComparedPrice:
    """The price per 1M tokens a model is compared on: its blended list price, its derived
    price per output token, or their sum."""

    per_mtok: float
    blended: float | None
    hourly: HourlyPrice | None

    @property
    def derived(self) -> bool:
        return self.hourly is not None

    @property
    def text(self) -> str:
        """The figure with its kind: "blended $1.25 per 1M (list price)", the derived text, or
        both added up."""
        listed = (None if self.blended is None
                  else f"blended ${self.blended:.3g} per 1M (list price)")
        if self.hourly is None:
            return listed or ""
        if listed is None:
            return self.hourly.text
        return f"${self.per_mtok:.3g} per 1M: {listed} + {self.hourly.text}"


def blended_price(data: ReportData, model: str) -> float | None:
    """The card's (or bakeoff.toml's) blended list price per 1M tokens."""
    card = data.card(model)
    return None if card is None or card.price is None else card.price.blended_per_mtok


def measured_rate(data: ReportData, model: str) -> MeasuredRate | None:
    """The model's measured output speed: the speed pass's p50, else the run's generation."""
    speed = data.speed.models.get(model) if data.speed else None
    if speed is not None and speed.tokens_per_s_p50 and speed.tokens_per_s_p50 > 0:
        assert data.speed is not None
        return MeasuredRate(speed.tokens_per_s_p50,
                            f"{data.speed.source}: output tokens/s p50 of single requests")
    usage = data.comparison.usage.get(model) if data.comparison else None
    if usage is None or usage.output_tokens <= 0 or usage.generation_wall_seconds <= 0:
        return None
    estimated = ", token counts estimated" if usage.estimated_tokens else ""
    return MeasuredRate(usage.output_tokens / usage.generation_wall_seconds,
                        f"the run's generation requests: {usage.output_tokens:,} output tokens "
                        f"in {usage.generation_wall_seconds:,.1f} s of machine time{estimated}")


def hourly_price(data: ReportData, model: str) -> HourlyPrice | None:
    """None when the model has no price per hour."""
    per_hour = data.price_per_hour.get(model)
    if per_hour is None:
        return None
    return HourlyPrice(per_hour, measured_rate(data, model))


def compared_price(data: ReportData, model: str) -> ComparedPrice | None:
    """None when the model has no price on record, or a price per hour but no measured speed."""
    blended = blended_price(data, model)
    hourly = hourly_price(data, model)
    if hourly is None:
        return None if blended is None else ComparedPrice(blended, blended, None)
    derived = hourly.per_mtok
    if derived is None:
        return None
    return ComparedPrice((blended or 0.0) + derived, blended, hourly)


def price_per_mtok(data: ReportData, model: str) -> float | None:
    price = compared_price(data, model)
    return None if price is None else price.per_mtok


def any_hourly(data: ReportData) -> bool:
    """Whether some model of the report is billed by the hour."""
    return any(m in data.price_per_hour for m in data.models)


def price_axis(data: ReportData) -> str:
    """What a chart's price axis holds."""
    if any_hourly(data):
        return "$ per 1M tokens (blended list, or per output token derived from $/hour)"
    return "blended $ per 1M tokens"


def no_price_reason(data: ReportData, model: str) -> str:
    """Why a model has no price to compare on."""
    hourly = hourly_price(data, model)
    return "no price on record" if hourly is None else hourly.no_speed
