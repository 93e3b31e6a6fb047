"""Instruction following: a short writing task with one to three instructions a program can
check ("answer in fewer than 60 words", "include the words 'river' and 'candle'", "wrap your
whole answer in JSON"), in the manner of IFEval, with instructions and tasks written here.

Scored as IFEval does:
- strict: each instruction checked on the raw answer;
- loose: an instruction counts as followed when any variant of the answer follows it: the
  answer with its first line removed, its last line removed, both, and each of these three and
  the raw answer with markdown `*` stripped (so a "Sure, here it is:" line or bold markers do
  not decide the score);
- prompt level: 1 when every instruction of the case is followed; instruction level: the share
  of the case's instructions followed. (The report's mean of instruction-level values weighs each
  prompt the same; IFEval pools all instructions of all prompts, which weighs three-instruction
  prompts more.)
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bakeoff.trials.base import Case, Check, SingleTurnTrial, Transcript, Trial, TrialInfo, case_rng
from bakeoff.types import GenerationConfig, Message, canonical_json

METRICS = ("prompt_strict", "prompt_loose", "instruction_strict", "instruction_loose")

_TASKS = ("Write a short blog post about {topic}.",
          "Write a short letter to a friend about {topic}.",
          "Explain {topic} to a curious ten-year-old.",
          "Write a short note for a school newsletter about {topic}.",
          "Give a beginner some advice about {topic}.",
          "Write a short diary entry about {topic}.")
_TOPICS = ("keeping bees", "learning to swim", "a trip to the mountains", "growing tomatoes",
           "cleaning a bicycle", "the first day at a new job", "baking bread at home",
           "a rainy weekend", "visiting a museum", "saving money", "walking a dog",
           "planning a picnic", "learning a new language", "repairing a wooden chair",
           "watching the stars", "the local library", "a winter morning", "making soup",
           "sorting rubbish for recycling", "a long trip by train")
_KEYWORDS = ("river", "lantern", "window", "journey", "orange", "planet", "silence", "ladder",
             "pocket", "thunder", "violin", "blanket", "compass", "candle", "mirror", "pebble")
# Words an answer tends to use unasked, so forbidding them is a real constraint.
_FORBIDDEN = ("very", "really", "good", "great", "important", "also", "many", "thing", "just",
              "nice", "because", "always")
_LETTERS = "bcdfghklmpstwy"
_START_PHRASES = ("Here is my answer", "Let me explain", "In short", "To begin with",
                  "Good question")
_END_PHRASES = ("That is all for today.", "Thank you for reading.", "Have a nice day.",
                "Any other questions?")


# Counting helpers shared by the checks.


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text)


def sentences(text: str) -> list[str]:
    """Pieces ended by . ! ? or a line break that hold a letter or digit."""
    return [part for part in re.split(r"(?<=[.!?])\s+|\n+", text) if re.search(r"[^\W_]", part)]


def paragraphs(text: str) -> list[str]:
    return [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]


def bullets(text: str) -> list[str]:
    return re.findall(r"^[ \t]*[*-][ \t]+\S.*$", text, re.MULTILINE)


def has_word(word: str, text: str) -> bool:
    """The word, or its plural, as a whole word; case ignored."""
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?:s|es)?(?![^\W_])", text,
                     re.IGNORECASE) is not None


def strip_fences(text: str) -> str:
    match = re.fullmatch(r"\s*```[a-zA-Z]*\s*\n(.*?)\n?\s*```\s*", text, re.DOTALL)
    return match.group(1) if match else text


# Each instruction kind: a prompt sentence from its arguments, and a check that returns None when
# the answer follows it, or what is wrong.

Checker = Callable[[str, dict[str, Any]], str | None]


def _word_count(text: str, args: dict[str, Any]) -> str | None:
    count, limit = len(words(text)), args["n"]
    if args["relation"] == "less" and count >= limit:
        return f"{count} words, expected fewer than {limit}"
    if args["relation"] == "at_least" and count < limit:
        return f"{count} words, expected at least {limit}"
    return None


def _sentence_count(text: str, args: dict[str, Any]) -> str | None:
    count, limit = len(sentences(text)), args["n"]
    if args["relation"] == "at_most" and count > limit:
        return f"{count} sentences, expected at most {limit}"
    if args["relation"] == "at_least" and count < limit:
        return f"{count} sentences, expected at least {limit}"
    return None


def _paragraph_count(text: str, args: dict[str, Any]) -> str | None:
    count = len(paragraphs(text))
    return None if count == args["n"] else f"{count} paragraphs, expected {args['n']}"


def _keywords(text: str, args: dict[str, Any]) -> str | None:
    missing = [word for word in args["words"] if not has_word(word, text)]
    return f"missing word(s): {', '.join(missing)}" if missing else None


def _forbidden(text: str, args: dict[str, Any]) -> str | None:
    used = [word for word in args["words"] if has_word(word, text)]
    return f"used forbidden word(s): {', '.join(used)}" if used else None


def _letter(text: str, args: dict[str, Any]) -> str | None:
    count = text.lower().count(args["letter"])
    return (None if count >= args["n"] else
            f"letter {args['letter']!r} {count} times, expected at least {args['n']}")


def _lowercase(text: str, args: dict[str, Any]) -> str | None:
    capitals = sorted({c for c in text if c != c.lower()})
    return f"capital letters used: {''.join(capitals[:10])}" if capitals else None


def _uppercase(text: str, args: dict[str, Any]) -> str | None:
    small = sorted({c for c in text if c != c.upper()})
    return f"lowercase letters used: {''.join(small[:10])}" if small else None


def _bullets(text: str, args: dict[str, Any]) -> str | None:
    count = len(bullets(text))
    return None if count == args["n"] else f"{count} bullet points, expected {args['n']}"


def _sections(text: str, args: dict[str, Any]) -> str | None:
    count = len(re.findall(rf"\b{args['marker']}\s+\d+", text))
    return (None if count == args["n"] else
            f"{count} '{args['marker']} X' markers, expected {args['n']}")


def _json(text: str, args: dict[str, Any]) -> str | None:
    try:
        json.loads(strip_fences(text))
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
    except RecursionError:
        return "not valid JSON (nested too deeply to read)"
    return None


def _starts(text: str, args: dict[str, Any]) -> str | None:
    head = text.strip()[:len(args["phrase"]) + 10]
    return (None if text.strip().lower().startswith(args["phrase"].lower()) else
            f"starts with {head!r}, expected {args['phrase']!r}")


def _ends(text: str, args: dict[str, Any]) -> str | None:
    tail = text.strip()[-len(args["phrase"]) - 10:]
    return (None if text.strip().lower().endswith(args["phrase"].lower()) else
            f"ends with {tail!r}, expected {args['phrase']!r}")


def _title(text: str, args: dict[str, Any]) -> str | None:
    return None if re.search(r"<<[^<>\n]*[^\W_][^<>\n]*>>", text) else "no <<title>>"


def _no_commas(text: str, args: dict[str, Any]) -> str | None:
    count = text.count(",") + text.count("，")
    return f"{count} comma(s)" if count else None


def _placeholders(text: str, args: dict[str, Any]) -> str | None:
    count = len(re.findall(r"\[[^\[\]\n]+\]", text))
    return (None if count >= args["n"] else
            f"{count} [placeholder](s), expected at least {args['n']}")


def _postscript(text: str, args: dict[str, Any]) -> str | None:
    return None if re.search(r"^\s*p\.\s?s\.", text, re.IGNORECASE | re.MULTILINE) else (
        "no line starting with P.S.")


def _quoted(text: str, args: dict[str, Any]) -> str | None:
    stripped = text.strip()
    quoted = (len(stripped) > 1 and stripped[0] in "\"“" and stripped[-1] in "\"”")
    return None if quoted else "not wrapped in double quotation marks"


# How each kind's arguments are drawn, and the sentence that asks for it.

Maker = Callable[[random.Random], tuple[dict[str, Any], str]]


def _make_word_count(rng: random.Random) -> tuple[dict[str, Any], str]:
    if rng.random() < 0.5:
        n = rng.choice((40, 60, 80, 100))
        return {"relation": "less", "n": n}, f"Answer in fewer than {n} words."
    n = rng.choice((30, 50, 70))
    return {"relation": "at_least", "n": n}, f"Answer in at least {n} words."


def _make_sentence_count(rng: random.Random) -> tuple[dict[str, Any], str]:
    if rng.random() < 0.5:
        n = rng.choice((2, 3, 4))
        return {"relation": "at_most", "n": n}, f"Use at most {n} sentences."
    n = rng.choice((4, 5, 6))
    return {"relation": "at_least", "n": n}, f"Use at least {n} sentences."


def _make_paragraph_count(rng: random.Random) -> tuple[dict[str, Any], str]:
    n = rng.choice((2, 3, 4))
    return {"n": n}, f"Write exactly {n} paragraphs, separated from each other by a blank line."


def _make_keywords(rng: random.Random) -> tuple[dict[str, Any], str]:
    chosen = rng.sample(_KEYWORDS, 2)
    return {"words": chosen}, f'Include the words "{chosen[0]}" and "{chosen[1]}".'


def _make_forbidden(rng: random.Random) -> tuple[dict[str, Any], str]:
    chosen = rng.sample(_FORBIDDEN, 2)
    return {"words": chosen}, f'Do not use the words "{chosen[0]}" or "{chosen[1]}".'


def _make_letter(rng: random.Random) -> tuple[dict[str, Any], str]:
    letter, n = rng.choice(_LETTERS), rng.choice((5, 8, 10))
    return {"letter": letter, "n": n}, f'Use the letter "{letter}" at least {n} times.'


def _make_bullets(rng: random.Random) -> tuple[dict[str, Any], str]:
    n = rng.choice((2, 3, 4, 5))
    return {"n": n}, (f"Give exactly {n} bullet points, each on its own line starting with "
                      '"* ".')


def _make_sections(rng: random.Random) -> tuple[dict[str, Any], str]:
    marker, n = rng.choice(("SECTION", "PART")), rng.choice((2, 3))
    return {"marker": marker, "n": n}, (
        f'Divide your answer into {n} sections, each starting with "{marker} X", where X is '
        "the section's number.")


def _make_start(rng: random.Random) -> tuple[dict[str, Any], str]:
    phrase = rng.choice(_START_PHRASES)
    return {"phrase": phrase}, f'Begin your answer with the exact words "{phrase}".'


def _make_end(rng: random.Random) -> tuple[dict[str, Any], str]:
    phrase = rng.choice(_END_PHRASES)
    return {"phrase": phrase}, (f'End your answer with the exact phrase "{phrase}", with nothing '
                                "after it.")


def _make_placeholders(rng: random.Random) -> tuple[dict[str, Any], str]:
    n = rng.choice((1, 2, 3))
    what = "one placeholder" if n == 1 else f"{n} placeholders"
    return {"n": n}, f"Include at least {what} in square brackets, such as [name]."


def _fixed(text: str) -> Maker:
    return lambda rng: ({}, text)


@dataclass(frozen=True)
class Kind:
    name: str
    # At most one instruction of a group per prompt (two length limits, two layouts...).
    group: str
    make: Maker
    check: Checker


KINDS: tuple[Kind, ...] = (
    Kind("word_count", "length", _make_word_count, _word_count),
    Kind("sentence_count", "length", _make_sentence_count, _sentence_count),
    Kind("paragraph_count", "layout", _make_paragraph_count, _paragraph_count),
    Kind("bullets", "layout", _make_bullets, _bullets),
    Kind("sections", "layout", _make_sections, _sections),
    Kind("json", "layout", _fixed("Give your whole answer as valid JSON; a markdown code fence "
                                  "around it is allowed."), _json),
    Kind("keywords", "keywords", _make_keywords, _keywords),
    Kind("forbidden_words", "forbidden", _make_forbidden, _forbidden),
    Kind("letter_frequency", "letter", _make_letter, _letter),
    Kind("lowercase", "case", _fixed("Write your entire answer in lowercase letters, with no "
                                     "capital letters at all."), _lowercase),
    Kind("uppercase", "case", _fixed("Write your entire answer in capital letters."),
         _uppercase),
    Kind("start_phrase", "start", _make_start, _starts),
    Kind("end_phrase", "end", _make_end, _ends),
    Kind("postscript", "end", _fixed('End with a postscript on its own line, starting with '
                                     '"P.S."'), _postscript),
    Kind("title", "title", _fixed("Give your answer a title wrapped in double angular "
                                  "brackets, such as <<a day at sea>>."), _title),
    Kind("no_commas", "commas", _fixed("Do not use any commas."), _no_commas),
    Kind("placeholders", "placeholders", _make_placeholders, _placeholders),
    Kind("quotation", "quotation", _fixed("Wrap your entire answer in double quotation marks."),
         _quoted),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}

# Pairs that contradict each other ("at most 2 sentences" and 4 bullet lines), or where one
# decides the other's strict check (a title line counted as a paragraph, a quote mark before
# the first bullet, a title before the required first words).
CONFLICTS = {frozenset(pair) for pair in (
    ("json", "title"), ("json", "start_phrase"), ("json", "end_phrase"), ("json", "postscript"),
    ("json", "quotation"), ("json", "no_commas"), ("json", "lowercase"), ("json", "uppercase"),
    ("json", "sentence_count"), ("sentence_count", "paragraph_count"),
    ("sentence_count", "bullets"), ("sentence_count", "sections"), ("sentence_count", "title"),
    ("sentence_count", "postscript"), ("quotation", "start_phrase"),
    ("quotation", "end_phrase"), ("quotation", "postscript"), ("quotation", "bullets"),
    ("lowercase", "sections"), ("title", "start_phrase"), ("paragraph_count", "title"),
    ("paragraph_count", "postscript"),
)}


def compatible(kind: Kind, chosen: list[Kind]) -> bool:
    return all(kind.group != other.group and frozenset((kind.name, other.name)) not in CONFLICTS
               for other in chosen)


def choose_kinds(rng: random.Random, count: int) -> list[Kind]:
    """`count` instruction kinds that can all be followed at once, drawn in a seeded order."""
    chosen: list[Kind] = []
    for kind in rng.sample(KINDS, len(KINDS)):
        if len(chosen) < count and compatible(kind, chosen):
            chosen.append(kind)
    return chosen


def variants(answer: str) -> list[str]:
    """The answers loose scoring tries: raw, first line removed, last line removed, both; and
    each of these with markdown `*` stripped."""
    lines = answer.split("\n")
    cut = [answer, "\n".join(lines[1:]), "\n".join(lines[:-1]), "\n".join(lines[1:-1])]
    return cut + [text.replace("*", "") for text in cut]


def follows(instruction: dict[str, Any], text: str) -> str | None:
    """None when `text` follows the instruction; else what is wrong."""
    if not text.strip():
        return "empty answer"
    return KIND_BY_NAME[instruction["kind"]].check(text, instruction["args"])


def _level_checks(metric_prompt: str, metric_instruction: str, failures: list[str],
                  total: int) -> list[Check]:
    followed = total - len(failures)
    summary = f"{followed} of {total} instruction(s) followed"
    reason = summary + (f"; failed: {'; '.join(failures)}" if failures else "")
    return [Check(metric_prompt, 1.0 if not failures else 0.0, reason),
            Check(metric_instruction, followed / total, reason)]


class InstructionTrial(SingleTurnTrial):
    info = TrialInfo(
        name="instructions", category="Instruction following",
        checker="each instruction checked by code, strictly and loosely (IFEval's rules)",
        description="a short writing task with one to three verifiable instructions",
        metrics=METRICS, full_count=100, quick_count=3)

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        rng = case_rng(self.info.name, seed, index)
        task = rng.choice(_TASKS).format(topic=rng.choice(_TOPICS))
        # One, two and three instructions in turn, so even the quick suite has each.
        instructions: list[dict[str, Any]] = []
        asks: list[str] = []
        for kind in choose_kinds(rng, 1 + index % 3):
            args, sentence = kind.make(rng)
            instructions.append({"kind": kind.name, "args": args})
            asks.append(sentence)
        prompt = " ".join([task, *asks])
        return Case(id=f"{self.info.name}/{index}", messages=(Message("user", prompt),),
                    expected=canonical_json(instructions),
                    config=GenerationConfig(max_tokens=256, temperature=0.0),
                    metadata=(("instructions", ",".join(i["kind"] for i in instructions)),
                              ("count", str(len(instructions)))))

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        answer = transcript.final.content if transcript.answers else ""
        instructions: list[dict[str, Any]] = case.truth()
        strict, loose = [], []
        for instruction in instructions:
            kind = instruction["kind"]
            problem = follows(instruction, answer)
            if problem is not None:
                strict.append(f"{kind} ({problem})")
                if all(follows(instruction, text) is not None for text in variants(answer)):
                    loose.append(f"{kind} ({problem})")
        total = len(instructions)
        prompt_strict, instruction_strict = _level_checks(
            "prompt_strict", "instruction_strict", strict, total)
        prompt_loose, instruction_loose = _level_checks(
            "prompt_loose", "instruction_loose", loose, total)
        return [prompt_strict, prompt_loose, instruction_strict, instruction_loose]


TRIALS: tuple[Trial, ...] = (InstructionTrial(),)
