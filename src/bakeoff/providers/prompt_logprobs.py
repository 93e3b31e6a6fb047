"""Loglikelihood from vLLM and SGLang servers: an item's prompts in ONE /v1/completions request.

Both take a list `prompt` and answer with one choice per prompt, in order (vLLM:
`request_output_to_completion_response` in vllm/entrypoints/openai/completion/serving.py;
SGLang: `_build_completion_response` in sglang/srt/entrypoints/openai/serving_completions.py).
With `echo` and `logprobs` each choice carries the log-probability of every prompt token
(vLLM turns `echo` + `logprobs` into its `prompt_logprobs`; SGLang sets `logprob_start_len`
to 0), the first token's being null (it has no context), then that of the generated token.
`max_tokens` is 1, as lm-evaluation-harness sends it: SGLang refuses 0 ("max_tokens must be
positive"), and the one generated token, last in every choice, is dropped.

The request holds an item's context alone, then context + each continuation. The
continuation's tokens are those of the full prompt after its longest common prefix with the
context's own tokens, compared by their text: a token straddling the boundary (context "is ",
continuation "Paris": the server's token " Paris") belongs to the continuation, as in the
one-request-per-choice path (openai_compat.continuation_logprob). `text_offset` is not used
here: SGLang sends -1 for every token, and vLLM counts it over tokens decoded one by one,
starting with the BOS token's text ("<|begin_of_text|>"), which the echoed prompt lacks.

Requests with different contexts (Winogrande's partial scoring: one continuation after each
of two contexts) make one group per context; an item is then a request per context.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.types import LoglikelihoodRequest, ProviderError

# Prompts in one request at most (a context and its continuations); longer lists are split.
MAX_PROMPTS = 64

Token = tuple[str, float | None]


@dataclass(frozen=True)
class ScoringGroup:
    """Continuations of one context, scored in one request; `positions` in the caller's list."""

    context: str
    continuations: tuple[str, ...]
    positions: tuple[int, ...]

    @property
    def prompts(self) -> list[str]:
        return [self.context, *(self.context + c for c in self.continuations)]


def scoring_groups(requests: Sequence[LoglikelihoodRequest]) -> list[ScoringGroup]:
    """The requests grouped by context, in order, at most MAX_PROMPTS prompts a group."""
    by_context: dict[str, list[int]] = {}
    for position, request in enumerate(requests):
        if not request.context:
            raise ProviderError("bad_request", "the context is empty, so the first continuation "
                                "token has no log-probability")
        by_context.setdefault(request.context, []).append(position)
    groups = []
    for context, positions in by_context.items():
        for start in range(0, len(positions), MAX_PROMPTS - 1):
            chunk = tuple(positions[start:start + MAX_PROMPTS - 1])
            groups.append(ScoringGroup(context, tuple(requests[p].continuation for p in chunk),
                                       chunk))
    return groups


def request_fields(group: ScoringGroup) -> dict[str, Any]:
    """The /v1/completions fields that ask for the group's prompt logprobs."""
    return {"prompt": group.prompts, "echo": True, "logprobs": 1, "max_tokens": 1,
            "temperature": 0.0}


def group_logprobs(body: Any, group: ScoringGroup) -> list[float]:
    """The summed log-probability of each continuation of `group`, from the server's answer."""
    try:
        choices = sorted(body["choices"], key=lambda choice: int(choice["index"]))
        if len(choices) != len(group.prompts):
            raise ProviderError("bad_response", f"{len(group.prompts)} prompts got "
                                f"{len(choices)} choices", retryable=True)
        tokens = [_prompt_tokens(choice, prompt)
                  for choice, prompt in zip(choices, group.prompts, strict=True)]
    except (KeyError, TypeError, ValueError) as error:
        raise ProviderError("bad_response", f"unreadable answer ({type(error).__name__}: "
                            f"{str(error)[:300]})", retryable=True) from None
    return [continuation_sum(tokens[0], full) for full in tokens[1:]]


def continuation_sum(context: Sequence[Token], full: Sequence[Token]) -> float:
    """Sum of the logprobs of `full`'s tokens after its common prefix with `context`."""
    shared = 0
    while shared < min(len(context), len(full)) and context[shared][0] == full[shared][0]:
        shared += 1
    return summed([value for _, value in full[shared:]])


def summed(values: Sequence[float | None]) -> float:
    """The sum of a continuation's token logprobs (a bad_request when there are none, or when
    one is null: servers give none for the first prompt token, which has no context)."""
    if not values:
        raise ProviderError("bad_request", "the continuation is empty")
    if any(value is None for value in values):
        raise ProviderError("bad_request", "the context is empty, so the first continuation "
                            "token has no log-probability")
    return math.fsum(value for value in values if value is not None)


def _prompt_tokens(choice: dict[str, Any], prompt: str) -> list[Token]:
    """The echoed prompt's (token text, logprob) pairs, the generated token dropped."""
    logprobs = choice.get("logprobs") or {}
    texts = logprobs.get("tokens")
    values = logprobs.get("token_logprobs")
    if not texts or not isinstance(values, list) or len(values) != len(texts):
        raise no_prompt_logprobs()
    if not str(choice.get("text", "")).startswith(prompt):
        raise prompt_not_echoed()
    return [(str(text), None if value is None else float(value))
            for text, value in zip(texts[:-1], values[:-1], strict=True)]


def no_prompt_logprobs() -> ProviderError:
    """The answer to an echo request without the prompt tokens' log-probabilities."""
    return ProviderError("unsupported", "the server returned no prompt logprobs (echo with "
                         "logprobs); turn loglikelihood off for this model")


def prompt_not_echoed() -> ProviderError:
    """The answer to an echo request whose text does not start with the prompt."""
    return ProviderError("unsupported", "the server did not echo the prompt; turn "
                         "loglikelihood off for this model")
