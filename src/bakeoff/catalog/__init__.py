"""Model cards: each model's spec sheet (size, architecture, context, license, price, published
scores) as validated data, every figure with its source; and a GGUF metadata reader."""

from bakeoff.catalog.card import (
                                  SPEC_FIELDS,
                                  BenchmarkClaim,
                                  ModelCard,
                                  Price,
                                  PublishedSpeed,
                                  blended_price,
)
from bakeoff.catalog.gguf import GGUFError, GGUFHeader, card_from_gguf, read_header
from bakeoff.catalog.loader import CardError, card_names, gguf_card, load_card, merge, parse_card

__all__ = ["SPEC_FIELDS", "BenchmarkClaim", "CardError", "GGUFError", "GGUFHeader", "ModelCard",
           "Price", "PublishedSpeed", "blended_price", "card_from_gguf", "card_names",
           "gguf_card", "load_card", "merge", "parse_card", "read_header"]
