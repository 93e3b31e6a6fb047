"""The spec sheet: model cards side by side, as rows of text (fields) by columns (models).

Only formats; the figures and their sources come from the cards. A blank figure shows "—".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bakeoff.catalog.card import ModelCard

MISSING = "—"


def spec_rows(cards: Sequence[ModelCard], per_hour: Sequence[float | None] | None = None, *,
              mark_configured: bool = False) -> list[tuple[str, list[str]]]:
    """(field label, one cell per card) for every field, then one row per published benchmark.
    `mark_configured`: a figure set in the config rather than taken from a card or a GGUF file
    ends in " (configured)"."""
    rows = [(label, [_cell(render(card)) + _configured(card, label, mark_configured)
                     for card in cards]) for label, render in _FIELDS]
    if per_hour is not None and any(p is not None for p in per_hour):
        # Set in the config (or the embedded default), never a vendor's figure.
        rows.append(("assumed machine price (configurable: price_per_hour)",
                     [MISSING if p is None else f"${p:g}/hour" for p in per_hour]))
    for benchmark in _benchmark_names(cards):
        rows.append((f"{benchmark} (published)", [_claim(card, benchmark) for card in cards]))
    return rows


# The card field behind each single-figure row, for `mark_configured`.
_FIELD_OF = {"vendor": "vendor", "parameters": "total_params",
             "active parameters": "active_params", "architecture": "architecture",
             "context window (tokens)": "context_window", "knowledge cutoff": "knowledge_cutoff",
             "release date": "release_date", "license": "license", "languages": "languages",
             "quantisation": "quantization", "file size": "file_size_bytes"}


def _configured(card: ModelCard, label: str, mark: bool) -> str:
    field = _FIELD_OF.get(label)
    source = card.sources.get(field, "") if mark and field else ""
    configured = source and not source.startswith(("http://", "https://", "GGUF metadata"))
    return " (configured)" if configured and getattr(card, field or "", None) is not None else ""


def source_lines(card: ModelCard) -> list[str]:
    """'url: field, field' for each source of the card's figures, price and claims."""
    by_source: dict[str, list[str]] = {}
    for field, source in card.sources.items():
        by_source.setdefault(source, []).append(field.replace("_", " "))
    if card.price is not None:
        by_source.setdefault(card.price.source, []).append("price")
    for speed in card.speeds:
        by_source.setdefault(speed.source, []).append(f"speed ({speed.provider})")
    for claim in card.benchmarks:
        by_source.setdefault(claim.source, []).append(claim.benchmark)
    return [f"{source}: {', '.join(fields)}" for source, fields in by_source.items()]


def _cell(value: str | None) -> str:
    return MISSING if value is None or value == "" else value


def _count(value: int | None) -> str | None:
    if value is None:
        return None
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{value / size:.3g}{suffix} ({value:,})"
    return f"{value:,}"


def _architecture(card: ModelCard) -> str | None:
    if card.architecture == "moe":
        experts = f"{card.expert_count} experts" if card.expert_count else "experts"
        used = f", {card.experts_per_token} per token" if card.experts_per_token else ""
        return f"mixture of experts ({experts}{used})"
    return card.architecture


def _price(card: ModelCard) -> str | None:
    if card.price is None:
        return None
    return f"{card.price.input_per_mtok:g} / {card.price.output_per_mtok:g}"


def _price_origin(card: ModelCard) -> str | None:
    if card.price is None:
        return None
    date = card.price.date.isoformat() if card.price.date else "undated"
    return f"{card.price.provider}, {date}"


def published_speed(card: ModelCard) -> str | None:
    """'73.7 tokens/s, TTFT 2.46 s (provider, date)' per published speed, joined by '; '."""
    parts = []
    for speed in card.speeds:
        ttft = "" if speed.ttft_s is None else f", TTFT {speed.ttft_s:g} s"
        parts.append(f"{speed.output_tokens_per_s:g} tokens/s{ttft} "
                     f"({speed.provider}, {speed.date.isoformat()})")
    return "; ".join(parts) or None


def _size(value: int | None) -> str | None:
    return None if value is None else f"{value / 1e6:,.1f} MB"


def _join(values: tuple[str, ...] | None) -> str | None:
    return None if values is None else ", ".join(values)


_FIELDS: list[tuple[str, Callable[[ModelCard], str | None]]] = [
    ("vendor", lambda c: c.vendor),
    ("parameters", lambda c: _count(c.total_params)),
    ("active parameters", lambda c: _count(c.active_params)),
    ("architecture", _architecture),
    ("context window (tokens)", lambda c: None if c.context_window is None
     else f"{c.context_window:,}"),
    ("knowledge cutoff", lambda c: c.knowledge_cutoff),
    ("release date", lambda c: None if c.release_date is None else c.release_date.isoformat()),
    ("license", lambda c: c.license),
    ("languages", lambda c: _join(c.languages)),
    ("input / output", lambda c: None if c.input_modalities is None and c.output_modalities is None
     else f"{_join(c.input_modalities) or MISSING} → {_join(c.output_modalities) or MISSING}"),
    ("quantisation", lambda c: c.quantization),
    ("file size", lambda c: _size(c.file_size_bytes)),
    ("$ per 1M tokens in / out", _price),
    ("$ per 1M blended (3:1)", lambda c: None if c.price is None
     else f"{c.price.blended_per_mtok:.4g}"),
    ("price from", _price_origin),
    ("speed (published)", published_speed),
]


def _benchmark_names(cards: Sequence[ModelCard]) -> list[str]:
    names: list[str] = []
    for card in cards:
        for claim in card.benchmarks:
            if claim.benchmark not in names:
                names.append(claim.benchmark)
    return names


def _claim(card: ModelCard, benchmark: str) -> str:
    for claim in card.benchmarks:
        if claim.benchmark == benchmark:
            return f"{claim.score:g} ({claim.setting})"
    return MISSING
