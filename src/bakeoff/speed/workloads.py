"""Speed workloads: deterministic prompts of a set input length and a fixed output target.

A prompt is a fixed passage repeated word by word to the workload's length, then an
instruction that invites a long answer; generation stops at `max_tokens` (or earlier, if the
model ends its answer: the actual output tokens are recorded per request). Lengths are
measured with the model's tokenizer where there is one, else estimated as characters ÷ 4
(labelled).

The long workload is clipped to fit: the prompt may use at most
context − max_tokens − TEMPLATE_RESERVE tokens, and the clipping is recorded. Each request
starts with its own tag ("Request 7.") so that no server serves it from a cached prompt of an
earlier request; only the chat template's fixed lead-in can be reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bakeoff.speed.tokens import TokenCounter
from bakeoff.types import GenerationConfig, GenerationRequest, Message

WORKLOAD_TOKENS: dict[str, int] = {"short": 100, "medium": 1_000, "long": 10_000}
# Room for the chat template's tokens and the request tag, which the count does not see.
TEMPLATE_RESERVE = 64

_PASSAGE = (
    "The ferry left the north quay at seven each morning, carrying bakers, two schoolteachers "
    "and a crate of letters for the island. The pilot kept a notebook of the weather, the tide "
    "and the names of the gulls that followed the boat, and every evening he copied the day's "
    "page into a second book that he kept at home. On calm days the crossing took forty "
    "minutes; in a westerly gale it could take two hours, and the bakers arrived with their "
    "bread already cold. The island had one road, one shop, a lighthouse that no longer "
    "turned, and a library of three hundred books that the children had read twice over."
)
_INSTRUCTION = ("\n\nRetell the notes above as one long, detailed story of at least 500 "
                "words, describing every person, place and event.")

TokenSource = Literal["tokenizer", "estimate"]


class SpeedSettingsError(ValueError):
    """Speed settings a user can fix (a workload, a level, max_tokens too big to fit)."""


@dataclass(frozen=True)
class SpeedPrompt:
    workload: str
    target_tokens: int  # the workload's nominal input length
    text: str
    tokens: int  # the text's length (without template or request tag)
    token_source: TokenSource
    # The nominal length when the prompt was shortened to fit the context, else None.
    clipped_from: int | None


def workload_names() -> list[str]:
    return list(WORKLOAD_TOKENS)


def prompt_limit(context: int | None, max_tokens: int) -> int | None:
    """The most tokens a prompt may have so that it and the answer fit the context."""
    if context is None:
        return None
    limit = context - max_tokens - TEMPLATE_RESERVE
    if limit < 1:
        raise SpeedSettingsError(f"max_tokens {max_tokens} leaves no room for a prompt in a "
                                 f"context of {context} tokens")
    return limit


async def build_prompt(workload: str, counter: TokenCounter | None, *, context: int | None,
                       max_tokens: int) -> SpeedPrompt:
    """The workload's prompt: the longest passage prefix whose text fits the target length."""
    if workload not in WORKLOAD_TOKENS:
        known = ", ".join(WORKLOAD_TOKENS)
        raise SpeedSettingsError(f"unknown workload {workload!r} (known: {known})")
    nominal = WORKLOAD_TOKENS[workload]
    limit = prompt_limit(context, max_tokens)
    target = nominal if limit is None else min(nominal, limit)
    length = _Measure(counter)
    words = await _longest_fitting(length, target)
    text = _prompt_text(words)
    return SpeedPrompt(workload=workload, target_tokens=nominal, text=text,
                       tokens=await length(text), token_source=length.source,
                       clipped_from=nominal if target < nominal else None)


def speed_request(prompt: SpeedPrompt, index: int, max_tokens: int,
                  endpoint: str) -> GenerationRequest:
    """Request `index` of a workload: a chat message, or a raw prompt for completions."""
    text = f"Request {index}. {prompt.text}"
    config = GenerationConfig(max_tokens=max_tokens, temperature=0.0)
    if endpoint == "chat":
        return GenerationRequest(config=config, messages=(Message("user", text),))
    return GenerationRequest(config=config, prompt=text)


class _Measure:
    """Token length by the tokenizer, or characters ÷ 4 without one."""

    def __init__(self, counter: TokenCounter | None) -> None:
        self._counter = counter
        self.source: TokenSource = "tokenizer" if counter else "estimate"

    async def __call__(self, text: str) -> int:
        if self._counter is None:
            return len(text) // 4
        return await self._counter.count(text)


async def _longest_fitting(length: _Measure, target: int) -> int:
    """The most passage words whose prompt is at most `target` tokens (binary search)."""
    low, high = 1, max(2 * target, 2)
    while low < high:
        middle = (low + high + 1) // 2
        if await length(_prompt_text(middle)) <= target:
            low = middle
        else:
            high = middle - 1
    return low


def _prompt_text(words: int) -> str:
    passage = _PASSAGE.split()
    body = " ".join(passage[i % len(passage)] for i in range(words))
    return body + _INSTRUCTION
