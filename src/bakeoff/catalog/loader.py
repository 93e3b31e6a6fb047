"""Find model cards: the seed cards shipped with bakeoff, and cards read from GGUF files.

A local model's card is its GGUF file's metadata with its linked shipped card's figures
(license, vendor, ...) laid over it; a GGUF with no linked card gets the file's metadata alone.
The files are read where they lie: the catalog never downloads a model.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from bakeoff.catalog.card import ModelCard
from bakeoff.catalog.gguf import card_from_gguf


class CardError(Exception):
    """A card is missing or invalid; the message is one line naming the card and the problem."""


def card_names() -> list[str]:
    """The names of every shipped card, sorted."""
    return sorted(entry.name.removesuffix(".toml") for entry in _cards_dir().iterdir()
                  if entry.name.endswith(".toml"))


def load_card(name: str) -> ModelCard:
    """A shipped card by name."""
    if name not in card_names():
        raise CardError(f"unknown model card {name!r} (known: {', '.join(card_names())})")
    return _load_shipped(name)


@cache
def _load_shipped(name: str) -> ModelCard:
    text = _cards_dir().joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return parse_card(text, f"catalog/cards/{name}.toml")


def parse_card(text: str, source: str) -> ModelCard:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{source}: not valid TOML: {exc}") from None
    try:
        return ModelCard.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        raise CardError(f"{source}: {where + ': ' if where else ''}{message}") from None


def gguf_card(path: Path, name: str, shipped: str | None = None) -> ModelCard:
    """A GGUF file's card; with `shipped`, that shipped card's figures win where it has them."""
    derived = card_from_gguf(path, name)
    if shipped is None:
        return derived
    return merge(derived, load_card(shipped))


def merge(base: ModelCard, top: ModelCard) -> ModelCard:
    """`top`'s figures where it has them, `base`'s elsewhere; `top` names the card."""
    data = base.model_dump()
    data.update(top.model_dump(exclude_none=True, exclude={"sources", "speeds", "benchmarks",
                                                             "notes"}))
    data["sources"] = {**base.sources, **top.sources}
    data["speeds"] = top.speeds or base.speeds
    data["benchmarks"] = top.benchmarks or base.benchmarks
    data["notes"] = " ".join(n for n in (top.notes, base.notes) if n)
    return ModelCard.model_validate(data)


def _cards_dir() -> resources.abc.Traversable:
    return resources.files("bakeoff.catalog").joinpath("cards")
