"""The judge's prompt and the verdict parser on labelled judge outputs."""

from __future__ import annotations

import pytest

from bakeoff.judging.prompt import format_request, judge_request, parse_verdict
from bakeoff.types import Message

LABELLED = [
    ("A is accurate and B is vague.\nVerdict: A", "a"),
    ("Verdict: B", "b"),
    ("Both are fine.\nVerdict: tie", "tie"),
    ("verdict: TIE.", "tie"),
    ("**Verdict:** **A**", "a"),
    ("Reasoning...\n\n**Verdict: B**", "b"),
    ("### Verdict\nVerdict: [[A]]", "a"),
    ("Final verdict: Answer B", "b"),
    ("The verdict is a tie.", "tie"),
    ("Verdict - B", "b"),
    ("`Verdict: A`", "a"),
    # The last verdict line counts: a judge that changes its mind.
    ("Verdict: A\nOn second thought, B covers the refund.\nVerdict: B", "b"),
    # No verdict line: unparsable, never a tie.
    ("Answer A is better.", None),
    ("Before my verdict, a few notes: both answers are long.", None),
    ("Verdict: C", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), LABELLED)
def test_the_parser_reads_the_last_verdict_line(text: str, expected: str | None) -> None:
    assert parse_verdict(text) == expected


def test_the_judge_sees_the_request_with_its_instructions_and_both_answers() -> None:
    request = format_request([Message("system", "You are a support agent."),
                              Message("user", "I was charged twice.")])
    assert request == ("(Instructions the assistants were given: You are a support agent.)"
                       "\n\nI was charged twice.")
    call = judge_request(request, "Refund issued.", "  ")
    system, user = call.messages
    assert system.role == "system" and "impartial judge" in system.content
    assert "Verdict: tie" in system.content
    assert user.content.index("[Answer A]\nRefund issued.") < user.content.index(
        "[Answer B]\n(empty answer)")
    assert call.config.temperature == 0.0
