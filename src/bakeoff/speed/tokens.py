"""Counting tokens when a server's usage is missing.

llama-cpp-python's server (0.3.16) sends no usage in streamed responses, so its providers
label their counts "estimate". A `TokenCounter` recounts with the model's own tokenizer:
- `GgufTokenCounter`: a local GGUF loaded vocabulary-only (the in-process model's own file,
  or a file named for a model served over HTTP);
- `ServerTokenCounter`: the llama-cpp-python server's `POST /extras/tokenize` (present in
  0.3.16). It tokenizes with special tokens and whatever BOS the model adds, so the count of
  the empty string is subtracted.

A recount of generated text can differ by a token or so from the tokens the server sampled
(text is re-split on tokenization); a chat prompt's count is of the message text only, without
the chat template's own tokens. Both are labelled "tokenizer", never "server".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

if TYPE_CHECKING:
    from bakeoff.providers.base import Tokenizer


class TokenCounter(Protocol):
    async def count(self, text: str) -> int: ...

    async def aclose(self) -> None: ...


class GgufTokenCounter:
    """A GGUF file's own tokenizer (providers/llama_cpp/tokenizer.py), behind the async
    interface: a file loaded vocabulary-only, or a tokenizer a model kind already has."""

    def __init__(self, source: Path | Tokenizer) -> None:
        if isinstance(source, Path):
            from bakeoff.providers.llama_cpp.tokenizer import GgufTokenizer

            source = GgufTokenizer(source)
        self._tokenizer = source

    @classmethod
    def wrapping(cls, tokenizer: Tokenizer) -> GgufTokenCounter:
        return cls(tokenizer)

    async def count(self, text: str) -> int:
        return self._tokenizer.count(text)

    async def aclose(self) -> None:
        self._tokenizer.close()


class ServerTokenCounter:
    """llama-cpp-python's `/extras/tokenize`, at the server root (base_url without /v1)."""

    def __init__(self, base_url: str, model: str, client: httpx.AsyncClient,
                 added_tokens: int) -> None:
        self._url = f"{server_root(base_url)}/extras/tokenize"
        self._model = model
        self._client = client
        self._added_tokens = added_tokens

    @classmethod
    async def probe(cls, base_url: str, model: str,
                    timeout_s: float = 10.0) -> ServerTokenCounter | None:
        """A counter when the server has the endpoint, else None."""
        client = httpx.AsyncClient(timeout=timeout_s)
        try:
            added = len(await _tokenize(client, f"{server_root(base_url)}/extras/tokenize",
                                        model, ""))
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            await client.aclose()
            return None
        return cls(base_url, model, client, added)

    async def count(self, text: str) -> int:
        return len(await _tokenize(self._client, self._url, self._model, text)) - \
            self._added_tokens

    async def aclose(self) -> None:
        await self._client.aclose()


async def _tokenize(client: httpx.AsyncClient, url: str, model: str, text: str) -> list[int]:
    response = await client.post(url, json={"model": model, "input": text})
    response.raise_for_status()
    tokens = response.json()["tokens"]
    if not isinstance(tokens, list):
        raise TypeError("tokens is not a list")
    return tokens


def server_root(base_url: str) -> str:
    """http://host:port/v1 -> http://host:port (the extras live outside /v1)."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")
