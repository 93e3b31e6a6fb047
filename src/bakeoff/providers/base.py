"""What every provider kind shares: the Provider protocol and the keys of a `[[models]]` entry.

A provider knows nothing of benchmarks. It turns a `GenerationRequest` into a `Completion`:
`stream` yields the text as it arrives, so time to first token is measured (speed runs);
`generate` may send the request whole, with `first_token` None (benchmarks, trials, judges).
Where the backend exposes token log-probabilities, it scores continuations. Failures raise
`ProviderError`.

`ModelConfig` holds the keys every model has (name, prices, card, concurrency); each provider
kind subclasses it with its own keys and says how the model is built, what identifies its
answers in the cache, what it can do and how its tokens are counted (see providers/registry.py).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bakeoff.catalog.card import PublishedSpeed
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    ProviderError,
)


@dataclass(frozen=True)
class StreamDelta:
    """A piece of streamed text and the instant (time.time()) it arrived."""

    text: str
    at: float


StreamEvent = StreamDelta | Completion


@runtime_checkable
class Provider(Protocol):
    """A model behind some API. `kind` and the model's identity form the cache key."""

    kind: str
    model_id: str
    abilities: Abilities

    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """Yield text deltas as they arrive, then exactly one final `Completion`."""
        ...

    async def generate(self, request: GenerationRequest) -> Completion: ...

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]: ...

    async def aclose(self) -> None: ...


class Tokenizer(Protocol):
    """Counts tokens of a text the way the model's own tokenizer splits it."""

    def count(self, text: str) -> int: ...

    def close(self) -> None: ...


async def collect(stream: AsyncIterator[StreamEvent]) -> Completion:
    """Drain a stream and return its final Completion."""
    final: Completion | None = None
    async for event in stream:
        if isinstance(event, Completion):
            final = event
    if final is None:
        raise ProviderError("bad_response", "the stream ended without a completion")
    return final


def check_abilities(model_id: str, abilities: Abilities, request: GenerationRequest) -> None:
    """Raise an "unsupported" ProviderError when the request needs what the model cannot do."""
    missing = [need for need in request.needs if not getattr(abilities, need)]
    if missing:
        what = {"tools": "function calling", "structured_output": "JSON Schema output"}
        raise ProviderError("unsupported", f"{model_id}: no {' or '.join(what[m] for m in missing)}"
                            " with this provider")


# Numbers in bakeoff.toml are taken as written: "8" is not 8 and inf is no price. A float key
# still takes an integer (`timeout_s = 30`).
Count = Annotated[int, Field(strict=True)]
Amount = Annotated[float, Field(strict=True, allow_inf_nan=False)]
# Long enough for any real name or URL, short enough that matching a typo stays instant.
MAX_NAME = 200
MAX_TEXT = 2000


class ModelConfig(BaseModel):
    """One candidate model: the keys every provider kind has. A kind's subclass adds its own
    keys (with `provider: Literal["<kind>"]`) and implements the methods below."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]
    provider: str
    concurrency: Annotated[Count, Field(ge=1, le=256)] = 4
    # The context window the report shows (a card's figure when not set).
    context: Annotated[Count, Field(ge=1, le=1 << 30)] | None = None
    price_input_per_mtok: Annotated[Amount, Field(ge=0)] | None = None
    price_output_per_mtok: Annotated[Amount, Field(ge=0)] | None = None
    # The spec sheet: a shipped card by name (see `bakeoff models --all-cards`), fields of it
    # overridden here (`spec = { context_window = 65536 }`), and for self-hosted models the
    # machine's price per hour (cost = wall time of the model's completions x this price).
    card: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    spec: dict[str, Any] = {}
    price_per_hour: Annotated[Amount, Field(ge=0)] | None = None
    # Speeds others published for a provider serving this model; a list set here replaces
    # the card's (`published_speeds = [{ provider = "...", output_tokens_per_s = 28.4, ... }]`).
    published_speeds: tuple[PublishedSpeed, ...] | None = None

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

    # What each provider kind declares.

    @abstractmethod
    def build(self) -> Provider:
        """The provider that serves this model (heavy backends are imported here, not above)."""

    @abstractmethod
    def identity(self) -> str:
        """What makes two models' answers interchangeable: the cache identity of this model."""

    @abstractmethod
    def abilities(self) -> Abilities:
        """What the built provider will be able to do, known without building it."""

    @abstractmethod
    def served_by(self) -> str:
        """Where the model runs, in a few words, for `bakeoff models`."""

    def context_window(self) -> int | None:
        """The window prompts must fit (the configured `context` unless the kind knows it)."""
        return self.context

    def tokenizer(self) -> Tokenizer | None:
        """The model's own tokenizer where it is available without a call; else None (counts
        are then estimated, and labelled so)."""
        return None

    def server_url(self) -> str | None:
        """The base URL of the HTTP server that serves the model; None in-process."""
        return None

    def gguf_file(self, *, download: bool = True) -> Path | None:
        """The model's local GGUF file, whose metadata fills the spec sheet; None for remote
        models, and for files not on disk yet when `download` is False."""
        return None

    def card_name(self) -> str | None:
        """The shipped card this model links to."""
        return self.card

    @property
    def api_model(self) -> str:
        """The model's name at its provider (the bakeoff name unless the kind says otherwise)."""
        return self.name
