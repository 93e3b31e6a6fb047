"""Every provider kind bakeoff knows, by the name `provider = "..."` gives it in bakeoff.toml.

A kind is a `ModelConfig` subclass (see providers/base.py) whose `provider` field is a
Literal of its name: its keys, how it is built, its cache identity, abilities and tokenizer.
`[[models]]` entries are validated as a pydantic union discriminated on `provider`, so each
kind has exactly its own keys. Adding a provider is one module plus one line below.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter

from bakeoff.providers.base import ModelConfig
from bakeoff.providers.llama_cpp import LlamaCppModelConfig
from bakeoff.providers.openai_kind import OpenAIModelConfig

_KINDS: dict[str, type[ModelConfig]] = {}


def register(config_class: type[ModelConfig]) -> type[ModelConfig]:
    """Make a kind usable in bakeoff.toml (returns the class, so it can decorate one)."""
    name = kind_name(config_class)
    if name in _KINDS and _KINDS[name] is not config_class:
        raise ValueError(f"provider kind {name!r} is registered already")
    _KINDS[name] = config_class
    _adapter.cache_clear()
    return config_class


def unregister(name: str) -> None:
    _KINDS.pop(name, None)
    _adapter.cache_clear()


def kind_name(config_class: type[ModelConfig]) -> str:
    """The `provider` value of a kind: the one value of its Literal annotation."""
    values = get_args(config_class.model_fields["provider"].annotation)
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{config_class.__name__}.provider must be a Literal of one name")
    return values[0]


def kinds() -> tuple[str, ...]:
    return tuple(_KINDS)


def parse_models(raw: Any) -> list[ModelConfig]:
    """`[[models]]` entries as their kinds' configs (pydantic ValidationError when wrong)."""
    models: list[ModelConfig] = _adapter().validate_python(raw)
    return models


def parse_model(raw: Mapping[str, Any]) -> ModelConfig:
    """One model entry, such as a stored run plan recorded it."""
    return parse_models([raw])[0]


@functools.cache
def _adapter() -> TypeAdapter[list[ModelConfig]]:
    classes = tuple(_KINDS.values())
    entry: Any = classes[0] if len(classes) == 1 else Annotated[
        Union[classes], Field(discriminator="provider")]  # noqa: UP007 (a runtime tuple)
    return TypeAdapter(list[entry])


register(OpenAIModelConfig)
register(LlamaCppModelConfig)
