"""The chat of one trial case with one model: opening turns, the model's answer, the trial's
reply (a tool's result, a follow-up), again, until the trial has nothing more to say or the
case's turn limit is reached.

Each turn is one request through `complete`, the runner's cached and budgeted call: a re-run
sends the same requests, so every turn is answered from the store. A failed call raises
ProviderError and the whole case becomes one error record, never a failed check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bakeoff.trials.base import Case, Check, Transcript, Trial
from bakeoff.types import Abilities, Completion, Message, Request

Complete = Callable[[Sequence[Request]], Awaitable[tuple[list[Completion], list[str]]]]


@dataclass(frozen=True)
class ChatResult:
    case: Case  # as this model got it (trial.opening)
    transcript: Transcript
    checks: list[Check]
    # The cache keys of every turn's completion, in order.
    keys: list[str]


async def run_chat(trial: Trial, case: Case, abilities: Abilities,
                   complete: Complete) -> ChatResult:
    """Talk the case through with the model, then check the transcript."""
    opened = trial.opening(case, abilities)
    messages = list(opened.messages)
    completions: list[Completion] = []
    keys: list[str] = []
    for turn in range(max(opened.max_turns, 1)):
        [completion], [key] = await complete([opened.request(messages)])
        completions.append(completion)
        keys.append(key)
        messages.append(Message("assistant", completion.text,
                                tool_calls=completion.tool_calls))
        transcript = Transcript(tuple(messages), tuple(completions))
        following = trial.reply(opened, transcript) if turn + 1 < opened.max_turns else ()
        if not following:
            break
        messages.extend(following)
    transcript = Transcript(tuple(messages), tuple(completions))
    return ChatResult(opened, transcript, trial.check(opened, transcript), keys)
