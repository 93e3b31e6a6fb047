"""The card of a configured model: its linked card, its GGUF file, then bakeoff.toml overrides.

Order (later wins): the GGUF file's metadata (local models), the shipped card named by
`card = "..."` (or the bundled model's own card), the model's `spec = {...}` table and its
`context`, and finally `price_input_per_mtok` / `price_output_per_mtok`, which override the
card's price.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bakeoff.catalog.card import ModelCard, Price
from bakeoff.catalog.loader import CardError, card_names, gguf_card, load_card

if TYPE_CHECKING:
    from bakeoff.config import ModelConfig


def model_card(model: ModelConfig, source: str = "bakeoff.toml",
               read_files: bool = True) -> ModelCard | None:
    """The spec sheet of a configured model, or None when nothing is known about it.

    `read_files=False` skips GGUF files (no download of a bundled model just to list it)."""
    card = _base_card(model, read_files)
    overrides = dict(model.spec)
    if model.context is not None:
        overrides["context_window"] = model.context
    if card is None and not overrides and configured_price(model, None) is None:
        return None
    if card is None:
        card = ModelCard(name=_slug(model.name), display_name=model.name)
    try:
        card = card.with_overrides(overrides, source)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise CardError(f"{source}: model {model.name!r}: spec: {_first_line(exc)}") from None
    return card.with_price(configured_price(model, card.price, source))


def configured_price(model: ModelConfig, card_price: Price | None,
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


def linked_price(model: ModelConfig) -> Price | None:
    """The price that costs a model's calls: configured, else its linked card's (no file reads)."""
    name = model.card or (model.bundled if model.bundled in card_names() else None)
    return configured_price(model, load_card(name).price if name else None)


def _base_card(model: ModelConfig, read_files: bool) -> ModelCard | None:
    shipped = model.card or (model.bundled if model.bundled in card_names() else None)
    path = _local_file(model) if read_files else None
    if path is not None:
        return gguf_card(path, model.name, shipped)
    return load_card(shipped) if shipped else None


def _local_file(model: ModelConfig) -> Path | None:
    from bakeoff.providers.bundled import ensure_model

    if model.bundled:
        return ensure_model(model.bundled)
    if model.path is not None and model.path.is_file():
        return model.path
    return None


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower()).lstrip("._-")
    return slug or "model"


def _first_line(exc: ValueError) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[1:3]) if len(lines) > 1 else (lines[0] if lines else "invalid value")
