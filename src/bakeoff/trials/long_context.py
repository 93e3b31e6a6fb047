"""Long context: facts hidden in a long text of filler, in the manner of RULER's needle tests.

Four trials, each a depth x length grid:

- ctx_needle: one fact ("the storage code of the silver-heron archive is 4821937"), asked back.
- ctx_multikey: the asked fact among three distractor facts about other archives.
- ctx_multivalue: one archive with four codes; all four must be returned.
- ctx_variables: variable tracking ("VAR QLMTZ = 4821937." ... "VAR HRWEB = VAR QLMTZ."): which
  variables hold the value, following the chain of assignments, beside a distractor chain.

The filler is written here: sentences drawn by the case's seeded random source from a small
vocabulary, with no digits, hyphens or capitals after the first word, so the only numbers, keys
and variable names in the text are the ones the question is about.

Lengths are in tokens of the model, which a case cannot know when it is written, so a case is
sized by estimate: prose (filler, intro, question) at PROSE_CHARS_PER_TOKEN = 4.5 characters per
token, facts at 2 (codes) or 1.5 (variable assignments). With the bundled models' tokenizers
(SmolLM2, Gemma 3, Qwen2.5) a case of length N measures 0.83 N to 0.98 N tokens; tokenizers with
larger English vocabularies read fewer. `case_length` gives the engine that N, to leave out
cases longer than a model's context window (N plus the answer's max_tokens must fit).

Checked by string match, as RULER's `string_match_all`: every expected value must appear in the
answer as a whole word (a code inside a longer number does not count). Distractors named too
are not penalised, as in RULER, but the reason says so: an answer that lists every variable of
the text passes ctx_variables, and a reader of the transcript should see that it did.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bakeoff.trials.base import (
    Case,
    Check,
    SingleTurnTrial,
    Transcript,
    Trial,
    TrialInfo,
    case_rng,
)
from bakeoff.types import GenerationConfig, Message, canonical_json

CATEGORY = "Long context"
# Characters per token of the model, estimated low so a case rarely holds more than its length:
# prose measures 4.8 to 5.1 with the bundled tokenizers; facts, which hold codes and random
# capitals (a token per digit or letter for Qwen2.5), get their own rate in their Plan.
PROSE_CHARS_PER_TOKEN = 4.5
LENGTHS = (256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
DEPTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
# PROTOCOLS.md: effective length is the longest length whose mean stays at or above this.
THRESHOLD = 0.85

INTRO = ("Below is a long text with a few facts hidden in it. Read it, then answer the "
         "question that follows it.")

# The filler's vocabulary: plain words, no digits, no hyphens (keys are hyphenated).
_SUBJECTS = ("the old farmer", "a quiet child", "the tired baker", "our neighbour", "the teacher",
             "a young painter", "the ship captain", "my grandmother", "the gardener",
             "a travelling singer", "the librarian", "the shepherd", "a curious student",
             "the miller", "the night guard", "a small dog", "the fisherman", "the carpenter")
_VERBS = ("walked slowly through", "looked out over", "talked for hours about", "painted",
          "cleaned", "dreamed of", "wrote a letter about", "sang softly near", "returned to",
          "carried water across", "forgot about", "planted flowers beside", "watched",
          "sketched", "read a book in", "waited patiently by", "remembered")
_PLACES = ("the empty market", "the green valley", "the stone bridge", "the narrow street",
           "the old mill", "the harbour", "the orchard", "the village square", "the pine forest",
           "the river bank", "the quiet library", "the windy hill", "the bakery",
           "the garden wall", "the frozen lake", "the train station", "the meadow")
_TIMES = ("before sunrise", "after the rain", "on a cold morning", "late in the evening",
          "during the long summer", "while the bells rang", "as the snow fell",
          "in the early spring", "at noon", "when the wind calmed", "every autumn",
          "under a grey sky")
_ASIDES = ("Nobody seemed to mind.", "It was a calm day.", "The air smelled of bread.",
           "Birds circled overhead.", "Somewhere a door creaked.", "The clouds moved on.",
           "Life went on as usual.", "A bell rang in the distance.")

# Keys of the facts: an adjective and a noun, hyphenated so no filler word can match them.
_KEY_ADJECTIVES = ("silver", "amber", "crimson", "hollow", "northern", "velvet", "copper",
                   "misty", "golden", "silent", "frosty", "scarlet", "ivory", "rusty", "cobalt")
_KEY_NOUNS = ("heron", "lantern", "falcon", "orchard", "compass", "glacier", "harbor", "meadow",
              "anchor", "thistle", "beacon", "willow", "canyon", "marble", "otter")


def filler_sentence(rng: random.Random) -> str:
    """One sentence of filler."""
    if rng.random() < 0.15:
        return rng.choice(_ASIDES)
    parts = (rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_PLACES), rng.choice(_TIMES))
    text = " ".join(parts) + "."
    return text[0].upper() + text[1:]


def filler(rng: random.Random, chars: int) -> list[str]:
    """Filler sentences, about `chars` characters in all (joined by single spaces)."""
    sentences: list[str] = []
    total = 0
    while total < chars:
        sentence = filler_sentence(rng)
        sentences.append(sentence)
        total += len(sentence) + 1
    return sentences


def place(sentences: list[str], facts: Iterable[tuple[float, str]]) -> str:
    """The filler with each fact inserted at its depth (0 = first sentence, 1 = after the last),
    facts at the same place kept in the order given; a paragraph every six sentences."""
    slots: dict[int, list[str]] = defaultdict(list)
    for depth, fact in facts:
        slots[round(depth * len(sentences))].append(fact)
    out: list[str] = []
    for index in range(len(sentences) + 1):
        out.extend(slots.get(index, ()))
        if index < len(sentences):
            out.append(sentences[index])
    paragraphs = [" ".join(out[i:i + 6]) for i in range(0, len(out), 6)]
    return "\n\n".join(paragraphs)


def cell(index: int) -> tuple[int, float]:
    """The (length, depth) of case `index`. The first 45 cases cover every cell once; the first
    few are the three shortest lengths at different depths (the quick suite's)."""
    row = index % len(LENGTHS)
    column = (row + index // len(LENGTHS)) % len(DEPTHS)
    return LENGTHS[row], DEPTHS[column]


def case_length(case: Case) -> int:
    """The case's length in (estimated) tokens of the model, for skipping over-long cases."""
    return int(case.meta("length", "0"))


# Each variant writes its facts, its question and the values the answer must hold.


@dataclass(frozen=True)
class Plan:
    facts: list[tuple[float, str]]
    question: str
    expected: list[str]
    # Values of the distractor facts, named in the reason when an answer repeats them.
    distractors: list[str] = field(default_factory=list)
    fact_chars_per_token: float = 2.0


def _keys(rng: random.Random, count: int) -> list[str]:
    pairs = rng.sample([(a, n) for a in _KEY_ADJECTIVES for n in _KEY_NOUNS], count)
    return [f"{adjective}-{noun}" for adjective, noun in pairs]


def _codes(rng: random.Random, count: int) -> list[str]:
    return [str(code) for code in rng.sample(range(1_000_000, 10_000_000), count)]


def _code_fact(key: str, code: str) -> str:
    return f"The storage code of the {key} archive is {code}."


def _single(rng: random.Random, depth: float) -> Plan:
    [key], [code] = _keys(rng, 1), _codes(rng, 1)
    return Plan([(depth, _code_fact(key, code))],
                f"What is the storage code of the {key} archive? Answer with the number only.",
                [code])


def _multikey(rng: random.Random, depth: float) -> Plan:
    key, *others = _keys(rng, 4)
    code, *decoys = _codes(rng, 4)
    facts = [(rng.random(), _code_fact(k, c)) for k, c in zip(others, decoys, strict=True)]
    return Plan([(depth, _code_fact(key, code)), *facts],
                f"What is the storage code of the {key} archive? Answer with the number only.",
                [code], decoys)


def _multivalue(rng: random.Random, depth: float) -> Plan:
    [key], codes = _keys(rng, 1), _codes(rng, 4)
    # The first code at the cell's depth, the others anywhere.
    depths = [depth] + [rng.random() for _ in codes[1:]]
    facts = [(d, f"One storage code of the {key} archive is {c}.")
             for d, c in zip(depths, codes, strict=True)]
    return Plan(facts,
                f"The {key} archive has four storage codes. What are they? Answer with the four "
                "numbers only, separated by commas.", codes)


def _variable_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
        if name not in names:
            names.append(name)
    return names


def _variables(rng: random.Random, depth: float, hops: int = 4) -> Plan:
    """A chain of `hops` + 1 variables holding one value, starting at the cell's depth and spread
    from there to the end, beside a distractor chain of the same shape anywhere in the text."""
    names = _variable_names(rng, 2 * (hops + 1))
    value, decoy = _codes(rng, 2)
    facts: list[tuple[float, str]] = []
    for chain, start, number in ((names[:hops + 1], depth, value),
                                 (names[hops + 1:], rng.random(), decoy)):
        step = (1.0 - start) / hops
        facts.append((start, f"VAR {chain[0]} = {number}."))
        facts.extend((start + step * hop, f"VAR {chain[hop]} = VAR {chain[hop - 1]}.")
                     for hop in range(1, hops + 1))
    return Plan(facts,
                f"Which variables hold the value {value}, assigned directly or through other "
                "variables? Answer with the variable names only, separated by commas.",
                names[:hops + 1], names[hops + 1:], fact_chars_per_token=1.5)


def build_case(name: str, seed: int, index: int,
               plan_of: Callable[[random.Random, float], Plan]) -> Case:
    rng = case_rng(name, seed, index)
    length, depth = cell(index)
    plan = plan_of(rng, depth)
    facts = sum(len(fact) + 1 for _, fact in plan.facts)
    prose = len(INTRO) + len(plan.question) + 4
    filler_tokens = length - facts / plan.fact_chars_per_token - prose / PROSE_CHARS_PER_TOKEN
    document = place(filler(rng, int(filler_tokens * PROSE_CHARS_PER_TOKEN)), plan.facts)
    prompt = f"{INTRO}\n\n{document}\n\n{plan.question}"
    return Case(id=f"{name}/{index}", messages=(Message("user", prompt),),
                expected=canonical_json({"values": plan.expected,
                                         "distractors": plan.distractors}),
                config=GenerationConfig(max_tokens=64, temperature=0.0),
                metadata=(("length", str(length)), ("depth", str(depth))))


def _named(value: str, answer: str) -> bool:
    """The value appears as a whole word (not inside a longer number or name), case ignored."""
    pattern = rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])"
    return re.search(pattern, answer, re.IGNORECASE) is not None


def match_all(expected: Sequence[str], answer: str, distractors: Sequence[str] = ()) -> Check:
    """Pass when every expected value appears in the answer as a whole word."""
    if not answer.strip():
        return Check.of(False, "empty answer")
    missing = [value for value in expected if not _named(value, answer)]
    named = [value for value in distractors if _named(value, answer)]
    also = f"; also named {len(named)} distractor(s): {', '.join(named)}" if named else ""
    if not missing:
        return Check.of(True, f"found all {len(expected)} expected value(s){also}")
    shown = answer.strip().replace("\n", " ")
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return Check.of(False, f"missing {len(missing)} of {len(expected)}: {', '.join(missing)}"
                           f"{also} (answer: {shown!r})")


class NeedleTrial(SingleTurnTrial):
    def __init__(self, info: TrialInfo, plan_of: Callable[[random.Random, float], Plan]) -> None:
        self.info = info
        self._plan_of = plan_of

    def cases(self, seed: int, count: int) -> list[Case]:
        return [build_case(self.info.name, seed, index, self._plan_of) for index in range(count)]

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        answer = transcript.final.content if transcript.answers else ""
        truth = case.truth()
        return [match_all(truth["values"], answer, truth["distractors"])]


def _info(name: str, description: str, checker: str) -> TrialInfo:
    return TrialInfo(name=name, category=CATEGORY, checker=checker, description=description,
                     full_count=len(LENGTHS) * len(DEPTHS), quick_count=3)


TRIALS: tuple[Trial, ...] = (
    NeedleTrial(_info("ctx_needle", "one fact hidden in filler, asked back",
                      "the hidden code appears in the answer"), _single),
    NeedleTrial(_info("ctx_multikey", "the asked fact among three distractor facts",
                      "the asked key's code appears in the answer"), _multikey),
    NeedleTrial(_info("ctx_multivalue", "one key with four codes spread through the text",
                      "all four codes appear in the answer"), _multivalue),
    NeedleTrial(_info("ctx_variables", "variable tracking: a chain of assignments of one value",
                      "every variable of the chain appears in the answer"), _variables),
)


# Figures for the report's heat map and effective length.


Metadata = Mapping[str, str] | Iterable[tuple[str, str]]


def grid(checks: Iterable[tuple[Metadata, float]]) -> dict[tuple[int, float], float]:
    """(length, depth) -> mean value, from (case metadata, value of the "pass" check) pairs;
    pairs without a length or depth are left out. Several trials' checks may be pooled."""
    values: dict[tuple[int, float], list[float]] = defaultdict(list)
    for metadata, value in checks:
        meta = dict(metadata)
        if "length" in meta and "depth" in meta:
            values[(int(meta["length"]), float(meta["depth"]))].append(value)
    return {key: sum(v) / len(v) for key, v in sorted(values.items())}


def length_means(cells: Mapping[tuple[int, float], float]) -> dict[int, float]:
    """Length -> mean over its depths (each depth weighs the same)."""
    by_length: dict[int, list[float]] = defaultdict(list)
    for (length, _depth), mean in cells.items():
        by_length[length].append(mean)
    return {length: sum(v) / len(v) for length, v in sorted(by_length.items())}


def effective_length(cell_means: Mapping[int, float], threshold: float = THRESHOLD) -> int | None:
    """The longest tested length up to which the mean over depths stays >= threshold: walking
    up from the shortest length, the last one before the first that falls below; None when the
    shortest already does.

    PROTOCOLS.md says "the longest tested length at which the mean over depths is >= 0.85";
    RULER calls it the longest length that exceeds the threshold, and its published scores
    fall with length, where both readings agree. We read it as "stays" (the issue's word), so
    one lucky cell after a failure does not lengthen the claim.
    """
    effective: int | None = None
    for length in sorted(cell_means):
        if cell_means[length] < threshold:
            break
        effective = length
    return effective

