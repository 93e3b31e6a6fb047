"""What a hands-on trial is: generated cases, a chat that may take several turns, a checker.

A trial is the practical test the comparison articles do by hand (a logic puzzle, a program that
must run, a function call, a JSON answer, recall from a long document), made reproducible:

- `cases(seed, count)` writes the cases. A generated family computes each case's truth from a
  seeded template, so the same (seed, count) gives the same cases, byte for byte, on every
  machine, and a model cannot pass from memory.
- `opening(case, abilities)` is the first request; the engine (bakeoff.engine.chat) sends it,
  appends the model's answer to the transcript, and asks `reply(case, transcript)` for the next
  turns (a tool's result, a follow-up question) until it returns none or `case.max_turns` is
  reached. Every turn is a cached completion, so a re-run is answered from the store.
- `check(case, transcript)` reads the transcript in code and returns one `Check` per metric,
  each with the reason a person can read ("missing required argument 'city'").

A trial knows nothing of HTTP or of the store; the checks become scores with the same
statistics as a benchmark's (bakeoff.report.comparison).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bakeoff.types import (
    Abilities,
    Completion,
    GenerationConfig,
    GenerationRequest,
    JsonSchemaFormat,
    Message,
    Sample,
    Tool,
)

# A trial scored on one pass/fail check reports this metric.
PASS = "pass"


def case_rng(trial: str, seed: int, index: int) -> random.Random:
    """The random source of case `index`: seeded by a string, which Python hashes the same way
    on every machine and run, and per case, so asking for more cases keeps the first ones."""
    return random.Random(f"{trial}/{seed}/{index}")


@dataclass(frozen=True)
class TrialInfo:
    name: str
    # The report's hands-on categories: "Logic puzzles", "Programs", "Function calling",
    # "Structured output", "Long context", "Instruction following", "Languages", ...
    category: str
    # How an answer is checked, in one line (shown by `bakeoff tasks`).
    checker: str
    description: str
    metrics: tuple[str, ...] = (PASS,)
    languages: tuple[str, ...] = ("en",)
    # Cases in the full suite, and in the quick one (a few, chosen to separate the bundled
    # models in minutes).
    full_count: int = 20
    quick_count: int = 3
    # True when answers are rated by pairwise verdicts (bakeoff.judging), not by the check.
    judged: bool = False


@dataclass(frozen=True)
class Case:
    """One hands-on task. `expected` is canonical JSON of whatever the checker needs."""

    id: str
    messages: tuple[Message, ...]
    expected: str = "null"
    tools: tuple[Tool, ...] = ()
    tool_choice: str = "auto"
    response_format: JsonSchemaFormat | None = None
    config: GenerationConfig = field(
        default_factory=lambda: GenerationConfig(max_tokens=256, temperature=0.0))
    # Category-specific facts shown and grouped by in the report: ("language", "de"),
    # ("depth", "0.25"), ("length", "4096"), ("category", "parallel"), ...
    metadata: tuple[tuple[str, str], ...] = ()
    # Model answers at most this many times (tool call -> tool result -> answer is 2).
    max_turns: int = 1

    def truth(self) -> Any:
        return json.loads(self.expected)

    def meta(self, key: str, default: str = "") -> str:
        return dict(self.metadata).get(key, default)

    def request(self, messages: Sequence[Message] | None = None) -> GenerationRequest:
        """The request for this case, with `messages` in place of the opening turns."""
        return GenerationRequest(config=self.config,
                                 messages=tuple(messages or self.messages),
                                 tools=self.tools, tool_choice=self.tool_choice,
                                 response_format=self.response_format)

    def with_messages(self, messages: Sequence[Message]) -> Case:
        return replace(self, messages=tuple(messages))

    def as_sample(self) -> Sample:
        """The case as the store keeps items: its opening turns as text, its truth as target."""
        text = "\n\n".join(f"[{m.role}] {m.content}" for m in self.messages)
        return Sample(id=self.id, input=text, target=self.expected, metadata=self.metadata)


@dataclass(frozen=True)
class Transcript:
    """A case's chat as it happened: every turn, and the completion behind each answer."""

    messages: tuple[Message, ...]
    completions: tuple[Completion, ...]

    @property
    def answers(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.role == "assistant")

    @property
    def final(self) -> Message:
        """The model's last answer."""
        return self.answers[-1]


@dataclass(frozen=True)
class Check:
    """One metric of one case: `value` in [0, 1] and why."""

    metric: str
    value: float
    reason: str

    @classmethod
    def of(cls, passed: bool, reason: str, metric: str = PASS) -> Check:
        return cls(metric, 1.0 if passed else 0.0, reason if reason else
                   ("passed" if passed else "failed"))


class Trial(Protocol):
    info: TrialInfo

    def cases(self, seed: int, count: int) -> list[Case]:
        """`count` cases from `seed`; the same arguments give the same cases everywhere."""
        ...

    def mode_for(self, abilities: Abilities) -> str:
        """How this model takes the trial ("chat", "native tools", "prompted tools",
        "constrained", "free"): results of different modes are not ranked together."""
        ...

    def opening(self, case: Case, abilities: Abilities) -> Case:
        """The case as this model gets it (a prompted tool format for a model without native
        tools, say); the engine sends `opening(...).request()` first."""
        ...

    def reply(self, case: Case, transcript: Transcript) -> tuple[Message, ...]:
        """The turns that answer the model's last message (tool results, a follow-up), or ()
        when the chat is over."""
        ...

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        """One Check per metric in `info.metrics`, the main one first."""
        ...


class SingleTurnTrial:
    """Defaults for a trial whose case is one question and one answer, taken as it is."""

    info: TrialInfo

    def mode_for(self, abilities: Abilities) -> str:
        return "chat"

    def opening(self, case: Case, abilities: Abilities) -> Case:
        return case

    def reply(self, case: Case, transcript: Transcript) -> tuple[Message, ...]:
        return ()
