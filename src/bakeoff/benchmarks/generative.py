"""Pieces the generative benchmarks share: lm-eval's few-shot sampler and the request shape.

lm-eval 0.4.x draws the shots of a task whose few-shot split differs from its evaluated split
with one `random.Random(1234)` per task, calling `sample(pool, n)` once per evaluated item in
order; `random_shots` repeats that, so item i gets the same shots as under lm-eval.

A completions endpoint gets the raw few-shot prompt; a chat endpoint gets the same text as one
user message. Both use the benchmark's own generation settings.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from bakeoff.types import GenerationConfig, GenerationRequest, Message, Request

LM_EVAL_FEWSHOT_SEED = 1234
Shot = TypeVar("Shot")


def random_shots(pool: Sequence[Shot], shots: int, items: int,
                 seed: int = LM_EVAL_FEWSHOT_SEED) -> list[list[Shot]]:
    """The shots of each of the first `items` evaluated items, as lm-eval's sampler draws them."""
    generator = random.Random(seed)
    return [generator.sample(list(pool), shots) for _ in range(items)]


def generation_request(prompt: str, config: GenerationConfig, endpoint: str) -> Request:
    """The prompt as a raw completion ("completions") or as one user message ("chat")."""
    if endpoint == "completions":
        return GenerationRequest(prompt=prompt, config=config)
    return GenerationRequest(messages=(Message(role="user", content=prompt),), config=config)
