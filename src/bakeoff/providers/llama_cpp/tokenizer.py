"""The one way bakeoff counts a GGUF model's tokens without its weights.

`count(text)` is the number of tokens the model reads for `text` on its own: special-token
text (such as "<|im_start|>") is parsed as the special token, and no BOS is added. Speed
recounts (`bakeoff speed`) and cost estimates (`bakeoff run --estimate`) both use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bakeoff.providers.llama_cpp._llama_api import open_vocab


class GgufTokenizer:
    """The tokenizer of a GGUF file, loaded vocabulary-only."""

    def __init__(self, model_file: Path) -> None:
        self._llama: Any = open_vocab(model_file)

    def count(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def close(self) -> None:
        self._llama.close()
