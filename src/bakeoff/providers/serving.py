"""Presets for self-hosted OpenAI-compatible servers: `server = "vllm" | "sglang" | "llama.cpp"`
on an `openai` model turns on what such a server supports beyond OpenAI's own API.

- Loglikelihood scoring (prompt log-probabilities): on by default for vLLM and SGLang, which
  score echoed prompts, and with all of an item's choices in ONE /v1/completions request,
  since both take a list `prompt` (see providers/prompt_logprobs.py). llama-cpp-python's
  server takes a list of at most one prompt, and its prompt logprobs are wrong for GGUFs
  whose tokenizer adds no BOS (see openai_compat.py), so there it stays off unless asked for,
  and is scored one request per choice.
- Sampling fields OpenAI lacks: `top_k`, `min_p`, `repetition_penalty` (llama-cpp-python
  calls the last `repeat_penalty`), sent with generation requests only.
- `chat_template_kwargs` (vLLM, SGLang: e.g. `{ enable_thinking = false }` for Qwen3), sent
  with chat requests only.
- `extra_body`: any other fields, sent as they are with every request (vLLM's
  `structured_outputs`, `priority`, SGLang's `regex`, ...). Fields bakeoff sets per request
  are refused there, so a benchmark's greedy decoding cannot be overridden by accident.

Sources: vLLM's CompletionRequest and ChatCompletionRequest take `top_k`, `min_p`,
`repetition_penalty`, `prompt_logprobs`, and chat `chat_template_kwargs`
(vllm/entrypoints/openai/completion/protocol.py); SGLang's take `top_k`, `min_p`,
`repetition_penalty`, `regex`, `json_schema`, `ebnf`
(python/sglang/srt/entrypoints/openai/protocol.py); llama-cpp-python's `top_k`, `min_p`,
`repeat_penalty` (llama_cpp/server/types.py, 0.3.16).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ServerKind = Literal["generic", "vllm", "sglang", "llama.cpp"]


@dataclass(frozen=True)
class ServerPreset:
    """What one kind of server accepts beyond OpenAI's API."""

    # Prompt logprobs are scored unless the model sets `loglikelihood = false`.
    loglikelihood: bool = False
    # An item's prompts go to /v1/completions as one list `prompt`.
    batched_scoring: bool = False
    # bakeoff's sampling key -> the server's field name.
    sampling_fields: Mapping[str, str] = field(default_factory=dict)
    chat_template_kwargs: bool = False


_SAMPLING = {"top_k": "top_k", "min_p": "min_p", "repetition_penalty": "repetition_penalty"}
PRESETS: dict[str, ServerPreset] = {
    "generic": ServerPreset(),
    "vllm": ServerPreset(loglikelihood=True, batched_scoring=True, sampling_fields=_SAMPLING,
                         chat_template_kwargs=True),
    "sglang": ServerPreset(loglikelihood=True, batched_scoring=True, sampling_fields=_SAMPLING,
                           chat_template_kwargs=True),
    "llama.cpp": ServerPreset(sampling_fields={**_SAMPLING,
                                               "repetition_penalty": "repeat_penalty"}),
}

# Fields bakeoff sets on each request itself: an `extra_body` entry would override them.
_SET_PER_REQUEST = frozenset({
    "model", "prompt", "messages", "stream", "stream_options", "max_tokens",
    "max_completion_tokens", "temperature", "top_p", "seed", "stop", "tools", "tool_choice",
    "response_format", "echo", "logprobs", "n"})


def check_extra_body(body: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first field of `body` bakeoff cannot pass through."""
    for key in body:
        if key in _SET_PER_REQUEST:
            raise ValueError(f"{key!r} is set by bakeoff on each request; it cannot be "
                             "overridden here")
    check_json(body)


def check_set_once(body: Mapping[str, Any], sent: Mapping[str, Any]) -> None:
    """Raise ValueError when `body` (extra_body) repeats a field the model's own keys send."""
    twice = sorted(set(body) & set(sent))
    if twice:
        raise ValueError(f"extra_body sets {twice[0]!r}, which a key of the model sets "
                         "already; keep one of them")


def check_json(table: Mapping[str, Any]) -> None:
    """Raise ValueError when a value of `table` (read from TOML) cannot be sent as JSON."""
    for key, value in table.items():
        problem = _json_problem(value)
        if problem:
            raise ValueError(f"{key!r}: {problem}")


def _json_problem(value: object) -> str | None:
    """Why `value` (read from TOML) cannot be sent as JSON; None when it can."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "inf and nan are not JSON"
    if isinstance(value, list):
        return next((p for p in map(_json_problem, value) if p), None)
    if isinstance(value, dict):
        return next((p for p in map(_json_problem, value.values()) if p), None)
    return f"a TOML {type(value).__name__} has no JSON form; write it as a string"


def check_sampling(server: ServerKind, fields: Mapping[str, object]) -> None:
    """Raise ValueError when a sampling or template key is set for a server that lacks it."""
    preset = PRESETS[server]
    for key, value in fields.items():
        if value is None:
            continue
        supported = (preset.chat_template_kwargs if key == "chat_template_kwargs"
                     else key in preset.sampling_fields)
        if not supported:
            servers = [name for name, p in PRESETS.items()
                       if (p.chat_template_kwargs if key == "chat_template_kwargs"
                           else key in p.sampling_fields)]
            quoted = [f'"{name}"' for name in servers]
            raise ValueError(f"{key} needs server = {', '.join(quoted[:-1])} or {quoted[-1]} "
                             f"(a {server} endpoint may refuse it); put it in extra_body to "
                             "send it anyway")


def sampling_body(server: ServerKind, fields: Mapping[str, object]) -> dict[str, Any]:
    """The set sampling keys under the server's own field names."""
    names = PRESETS[server].sampling_fields
    return {names[key]: value for key, value in fields.items()
            if value is not None and key in names}


def identity_suffix(asked: Mapping[str, object]) -> str:
    """What the set extras add to a model's cache identity: "" when none is set, so models
    without extras keep the identity (and the cached answers) they had."""
    present = {key: value for key, value in asked.items() if value not in (None, {})}
    if not present:
        return ""
    return "|" + json.dumps(present, sort_keys=True, separators=(",", ":"))
