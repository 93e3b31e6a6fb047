"""What a judge model is asked, and how its verdict is read.

The judge sees the user's prompt (with the system instructions the assistants had, if any) and
two answers labelled Answer A and Answer B, and is asked for a short reason and then a last
line `Verdict: A`, `Verdict: B` or `Verdict: tie`. `parse_verdict` reads the last such line,
forgiving markdown (`**Verdict:** **A**`, `Verdict: [[B]]`, `Final verdict: Answer A`); with no
verdict line it returns None, which the judge counts as unparsable, never as a tie.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bakeoff.types import GenerationConfig, GenerationRequest, Message

# Room for a short reason and the verdict line; a judge that runs past it is unparsable.
JUDGE_MAX_TOKENS = 192

JUDGE_SYSTEM = (
    "You are an impartial judge of AI assistants' answers. You are shown a user's request and "
    "two answers to it, Answer A and Answer B. Decide which answer serves the user better: "
    "judge correctness first, then helpfulness, clarity and following the request's "
    "instructions. Do not let the order of the answers, their length or the assistants' "
    "names sway you; a longer answer is better only when the extra content helps. If both "
    "are equally good or equally bad, call it a tie.\n\n"
    "Write at most three sentences of reasoning, then end with exactly one line in this "
    "form:\nVerdict: A\nor\nVerdict: B\nor\nVerdict: tie")

_VERDICT = re.compile(
    r"\bverdict\b\s*(?:is\s*)?[:=\-]?\s*(?:answer\s+)?(a\s+tie|tie|a|b)\b", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_#`\[\]\"'>]")


def format_request(turns: Sequence[Message]) -> str:
    """The conversation the answers reply to, as the judge reads it."""
    parts = []
    for message in turns:
        if message.role == "system":
            parts.append(f"(Instructions the assistants were given: {message.content})")
        elif message.role == "user":
            parts.append(message.content)
        else:
            parts.append(f"(Earlier {message.role} turn: {message.content})")
    return "\n\n".join(parts)


def judge_messages(request: str, answer_a: str, answer_b: str) -> tuple[Message, ...]:
    user = (f"[User's request]\n{request}\n\n"
            f"[Answer A]\n{answer_a.strip() or '(empty answer)'}\n[End of Answer A]\n\n"
            f"[Answer B]\n{answer_b.strip() or '(empty answer)'}\n[End of Answer B]\n\n"
            "Which answer is better? Give your short reasoning, then the verdict line.")
    return (Message("system", JUDGE_SYSTEM), Message("user", user))


def judge_request(request: str, answer_a: str, answer_b: str) -> GenerationRequest:
    """The judge's call, greedy, so the same answers always get the same cached verdict."""
    return GenerationRequest(
        config=GenerationConfig(max_tokens=JUDGE_MAX_TOKENS, temperature=0.0),
        messages=judge_messages(request, answer_a, answer_b))


def parse_verdict(text: str) -> str | None:
    """"a", "b" or "tie" from the last verdict line of a judge's answer; None without one."""
    found = None
    for line in text.splitlines():
        matches = _VERDICT.findall(_MARKDOWN.sub(" ", line))
        if matches:
            found = "tie" if matches[-1].lower().endswith("tie") else matches[-1].lower()
    return found
