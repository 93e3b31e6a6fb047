"""The one place that decides a model's figures: a configured figure wins over the card's.

Every card figure and price that a report, `bakeoff models`, a cost, a budget or `ask`
uses comes from here. Order (later wins):

1. the GGUF file's own metadata, for a local model whose file is on disk (never downloaded
   here: `model.gguf_file(download=False)`);
2. the shipped card the model links to (`card = "..."`, or its kind's default:
   `model.card_name()`);
3. bakeoff.toml: `spec = {...}` and `context` over the card's fields; `price_input_per_mtok`
   / `price_output_per_mtok` over its price (one set alone takes the other from the card);
   `published_speeds` instead of the card's speeds (a list set in the config replaces the
   card's list); and `price_per_hour`, which only the config sets (no card has one).

A model comes as its config (`resolve`), as a stored run plan recorded it (`plan_figures`:
the entry is parsed by its provider kind with providers.registry.parse_model, so the same
keys mean the same figures), or by name (`named_figures`: a configured model, else a shipped
card). A plan entry that no longer parses (written by an older bakeoff, or by hand) is read
for the keys every model has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from bakeoff.catalog.card import ModelCard, Price, PublishedSpeed
from bakeoff.catalog.gguf import GGUFError
from bakeoff.catalog.loader import CardError, card_names, gguf_card, load_card

if TYPE_CHECKING:
    from bakeoff.config import Config

PLAN_SOURCE = "run plan"


class Configured(Protocol):
    """What bakeoff.toml says about a model's figures (a ModelConfig is one)."""

    @property
    def name(self) -> str: ...

    @property
    def context(self) -> int | None: ...

    @property
    def spec(self) -> dict[str, Any]: ...

    @property
    def price_input_per_mtok(self) -> float | None: ...

    @property
    def price_output_per_mtok(self) -> float | None: ...

    @property
    def price_per_hour(self) -> float | None: ...

    @property
    def published_speeds(self) -> tuple[PublishedSpeed, ...] | None: ...

    def card_name(self) -> str | None: ...

    def gguf_file(self, *, download: bool = True) -> Path | None: ...


@dataclass(frozen=True)
class ModelFigures:
    """A model as every report and cost sees it: its effective card (None when nothing is
    known) and the machine's price per hour (None when not set)."""

    name: str
    card: ModelCard | None
    price_per_hour: float | None = None

    @property
    def price(self) -> Price | None:
        return None if self.card is None else self.card.price


def resolve(model: Configured, source: str = "bakeoff.toml", *,
            read_files: bool = True) -> ModelFigures:
    """The figures of a configured model. `read_files=False` skips the GGUF file (costs and
    budgets need only prices); a file not on disk yet is never downloaded for a card."""
    gguf = model.gguf_file(download=False) if read_files else None
    shipped = model.card_name()
    if gguf is not None:
        card: ModelCard | None = gguf_card(gguf, model.name, shipped)
    else:
        card = load_card(shipped) if shipped else None
    overrides = dict(model.spec)
    if model.context is not None:
        overrides["context_window"] = model.context
    price = configured_price(model, None if card is None else card.price, source)
    speeds = model.published_speeds
    if card is None and not overrides and price is None and speeds is None:
        return ModelFigures(model.name, None, model.price_per_hour)
    if card is None:
        card = ModelCard(name=_slug(model.name), display_name=model.name)
    try:
        card = card.with_overrides(overrides, source)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise CardError(f"{source}: model {model.name!r}: spec: {_first_line(exc)}") from None
    card = card.with_price(price)
    if speeds is not None:
        card = card.model_copy(update={"speeds": speeds})
    return ModelFigures(model.name, card, model.price_per_hour)


def model_card(model: Configured, source: str = "bakeoff.toml",
               read_files: bool = True) -> ModelCard | None:
    """The effective card of a configured model (see `resolve`)."""
    return resolve(model, source, read_files=read_files).card


def context_window(model: Configured, source: str = "bakeoff.toml", *,
                   read_files: bool = True) -> int | None:
    """The model's context window as its spec sheet gives it: the configured `context`, else
    the card's (the shipped card, or the GGUF file's metadata); None when neither knows it."""
    if model.context is not None:
        return model.context
    card = model_card(model, source, read_files)
    return None if card is None else card.context_window


def figure_origin(card: ModelCard, field: str) -> str | None:
    """Where a card's figure comes from, in words ("set in bakeoff.toml", "from its model
    card", "from its GGUF file"); None when the card has no such figure."""
    source = card.sources.get(field)
    if source is None or getattr(card, field, None) is None:
        return None
    if source.startswith(("http://", "https://")):
        return "from its model card"
    if source.startswith("GGUF metadata"):
        return "from its GGUF file"
    if source == PLAN_SOURCE:
        return "set in the run's config"
    return f"set in {source}"


def configured_price(model: Configured, card_price: Price | None,
                     source: str = "bakeoff.toml") -> Price | None:
    """The card's price with the model's own price_*_per_mtok laid over it."""
    price_in, price_out = model.price_input_per_mtok, model.price_output_per_mtok
    if price_in is None and price_out is None:
        return card_price
    if card_price is not None:
        price_in = card_price.input_per_mtok if price_in is None else price_in
        price_out = card_price.output_per_mtok if price_out is None else price_out
    if price_in is None or price_out is None:
        return None
    return Price(input_per_mtok=price_in, output_per_mtok=price_out, provider="configured",
                 date=None, source=source)


def plan_figures(entry: Mapping[str, Any], *, read_files: bool = True) -> ModelFigures:
    """The figures of a model as a stored run plan recorded its config. A GGUF file that can
    no longer be read (replaced since the run) leaves its metadata out."""
    model = plan_model(entry)
    try:
        return resolve(model, PLAN_SOURCE, read_files=read_files)
    except GGUFError:
        return resolve(model, PLAN_SOURCE, read_files=False)


def plan_model(entry: Mapping[str, Any]) -> Configured:
    """A plan entry as its provider kind's config; else (an entry that no longer parses) its
    common keys alone, each read only if valid."""
    from bakeoff.providers.registry import parse_model

    try:
        return parse_model(entry)
    except (ValidationError, ValueError, TypeError):
        pass
    try:
        return _PlanEntry.model_validate(entry)
    except ValidationError:
        return _PlanEntry(name=str(entry.get("name", "model")))


def named_figures(name: str, config: Config | None = None) -> ModelFigures:
    """A model by name: a configured model's figures (its config over its linked card), else
    the shipped card of that name (CardError when there is none)."""
    if config is not None:
        for model in config.models:
            if model.name == name:
                return resolve(model, config.source)
    return ModelFigures(name, load_card(name))


class _PlanEntry(BaseModel):
    """The keys every model has, from a plan entry no provider kind accepts any more."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    context: int | None = None
    spec: dict[str, Any] = {}
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None
    price_per_hour: float | None = None
    published_speeds: tuple[PublishedSpeed, ...] | None = None
    card: str | None = None

    def card_name(self) -> str | None:
        return self.card if self.card in card_names() else None

    def gguf_file(self, *, download: bool = True) -> Path | None:
        return None


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower()).lstrip("._-")
    return slug or "model"


def _first_line(exc: ValueError) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[1:3]) if len(lines) > 1 else (lines[0] if lines else "invalid value")
