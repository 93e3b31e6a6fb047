"""What a GGUF's own chat template can do, read from the file's header (no weights loaded)."""

from __future__ import annotations

import functools
from pathlib import Path

from bakeoff.catalog.gguf import GGUFError, read_header


@functools.cache
def chat_template(model_file: Path) -> str | None:
    """The Jinja chat template stored in the GGUF (`tokenizer.chat_template`), if any."""
    try:
        value = read_header(model_file).metadata.get("tokenizer.chat_template")
    except GGUFError:
        return None
    return value if isinstance(value, str) and value.strip() else None


def template_accepts_tools(model_file: Path) -> bool:
    """True when the template renders a `tools` list (Qwen2.5's does; SmolLM2's does not)."""
    template = chat_template(model_file)
    return template is not None and "tools" in template
