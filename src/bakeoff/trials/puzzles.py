"""Logic puzzles: knights and knaves, guards at doors, seating orders and river crossings.

Each case is generated from a seed: names, objects and clues vary, and the truth comes from a
solver in bakeoff.trials.puzzles_solvers (brute force or breadth-first search), so a model
cannot pass from memory. The prompt states the answer format, a final line "ANSWER: ...", and
the checker reads the last such line strictly: every name must be known, each once, nothing
missing. The river checker simulates the crossings and accepts any valid solution.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from bakeoff.trials.base import (
    Case,
    Check,
    SingleTurnTrial,
    Transcript,
    Trial,
    TrialInfo,
    case_rng,
)
from bakeoff.trials.puzzles_solvers import (
    Claim,
    Clue,
    DoorWorld,
    FarmerRiver,
    GroupsRiver,
    Question,
    arrangements,
    consistent_worlds,
    first_problem,
    fitting,
    reply,
    safe_doors,
    shortest_crossings,
    works,
)
from bakeoff.types import GenerationConfig, Message

CATEGORY = "Logic puzzles"

# One-word names with distinct initials, so no name is a prefix of another.
NAMES = ("Ada", "Bram", "Cleo", "Dov", "Elin", "Fay", "Gus", "Hana", "Ivo", "Juno", "Kai",
         "Lena", "Milo", "Nia", "Omar", "Pia", "Quin", "Rosa", "Sami", "Tove", "Uma", "Vik",
         "Wren", "Yuri", "Zoe")
COLOURS = ("red", "blue", "green", "gold", "grey", "white", "black", "silver", "amber",
           "violet", "copper", "ivory")
ITEMS = ("wolf", "goat", "cabbage", "fox", "hen", "corn", "cat", "mouse", "cheese", "dog",
         "rabbit", "carrot", "hawk", "snake", "frog", "lion", "sheep", "owl", "beetle", "parrot",
         "melon", "pumpkin")
FERRYMEN = ("farmer", "ferryman", "shepherd", "miller", "trader", "boatman")
# (guard, plural, threat, plural): the threats must not outnumber the guards on a bank.
GROUPS = (("knight", "knights", "troll", "trolls"), ("monk", "monks", "bandit", "bandits"),
          ("hiker", "hikers", "bear", "bears"), ("sailor", "sailors", "pirate", "pirates"),
          ("elf", "elves", "goblin", "goblins"), ("guard", "guards", "thief", "thieves"))

# Room for brief reasoning and the answer line; the demo runs tiny models that may ramble to the
# limit on two CPU cores, so no more.
MAX_TOKENS = 256
_ANSWER = re.compile(r"^[\s*_`#>-]*answer[\s*_`]*:(.*)$", re.IGNORECASE)
_FINISH = "Think briefly, then end with one line in exactly this form:\n"


def answer_line(text: str) -> str | None:
    """The content of the last line starting "ANSWER:" (markdown emphasis around the word and a
    final full stop tolerated), or None when there is no such line."""
    for line in reversed(text.splitlines()):
        match = _ANSWER.match(line)
        if match:
            return match.group(1).strip().strip("*_`").strip().rstrip(".").strip()
    return None


def _no_answer(text: str) -> Check:
    tail = " ".join(text.split())[-80:]
    return Check.of(False, f"no line starting 'ANSWER:' (answer ends {tail!r})"
                    if tail else "empty answer")


def _make_case(name: str, index: int, prompt: str, truth: Any,
               metadata: Sequence[tuple[str, str]]) -> Case:
    return Case(id=f"{name}/{index}", messages=(Message("user", prompt),),
                expected=json.dumps(truth, sort_keys=True), metadata=tuple(metadata),
                config=GenerationConfig(max_tokens=MAX_TOKENS, temperature=0.0))


def _pick_answer(transcript: Transcript) -> tuple[str, str | None]:
    text = transcript.final.content if transcript.answers else ""
    return text, answer_line(text)


def _and_list(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _names(text: str, known: Sequence[str], what: str) -> list[str] | str:
    """The comma-separated names in `text`, each checked against `known` (case-insensitive);
    a reason when one is unknown, repeated or missing."""
    lookup = {name.lower(): name for name in known}
    found: list[str] = []
    for raw in text.split(","):
        name = lookup.get(raw.strip().lower())
        if name is None:
            return f"{raw.strip()!r} is not one of the {what} ({', '.join(known)})"
        if name in found:
            return f"{name} is named twice"
        found.append(name)
    missing = [name for name in known if name not in found]
    return f"missing {', '.join(missing)}" if missing else found


# Knights and knaves


class KnightsTrial(SingleTurnTrial):
    info = TrialInfo(
        name="puzzle_knights", category=CATEGORY,
        checker="the final ANSWER line must give every islander's kind; truth by brute force",
        description="Knights always tell the truth, knaves always lie: 2-4 islanders make "
                    "statements with exactly one consistent assignment; name each one's kind.",
        full_count=24, quick_count=2)

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        rng = case_rng(self.info.name, seed, index)
        size = 2 + index % 3  # the quick suite's first cases get 2, 3 and 4 islanders
        names = rng.sample(NAMES, size)
        claims, world = _unique_claims(rng, size)
        lines = [f'{names[i]} says: "{_say(claim, i, names)}"' for i, claim in enumerate(claims)]
        example = ", ".join(f"{name}=knight|knave" for name in names)
        prompt = (f"On an island, knights always tell the truth and knaves always lie. You meet "
                  f"{_and_list(names)}.\n" + "\n".join(lines) + "\nWho is a knight and who is a "
                  f"knave? {_FINISH}ANSWER: {example}")
        truth = {name: "knight" if knight else "knave" for name, knight in zip(names, world,
                                                                              strict=True)}
        return _make_case(self.info.name, index, prompt, {"kinds": truth, "names": names},
                          [("islanders", str(size))])

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        truth = case.truth()
        text, line = _pick_answer(transcript)
        if line is None:
            return [_no_answer(text)]
        pairs = []
        for item in line.split(","):
            name, equals, kind = item.partition("=")
            if not equals or kind.strip().lower() not in ("knight", "knave"):
                return [Check.of(False, f"{item.strip()!r} is not of the form Name=knight or "
                                        "Name=knave")]
            pairs.append((name.strip(), kind.strip().lower()))
        names = _names(",".join(name for name, _ in pairs), truth["names"], "islanders")
        if isinstance(names, str):
            return [Check.of(False, names)]
        kinds = {name: kind for name, (_, kind) in zip(names, pairs, strict=True)}
        wrong = [f"{name} is a {truth['kinds'][name]}, not a {kinds[name]}"
                 for name in truth["names"] if kinds[name] != truth["kinds"][name]]
        return [Check.of(not wrong, "; ".join(wrong) or "every islander's kind is right")]


def _unique_claims(rng: random.Random, size: int) -> tuple[list[Claim], tuple[bool, ...]]:
    """Random claims, one per islander, drawn until exactly one assignment is consistent."""
    while True:
        claims = [_random_claim(rng, speaker, size) for speaker in range(size)]
        worlds = consistent_worlds(claims)
        if len(worlds) == 1:
            return claims, worlds[0]


def _random_claim(rng: random.Random, speaker: int, size: int) -> Claim:
    kind = rng.choice(("is", "is", "same", "differ", "both", "some", "count"))
    others = [person for person in range(size) if person != speaker]
    knight = rng.random() < 0.5
    if kind == "is":
        return Claim("is", (rng.choice(others),), knight)
    if kind == "count":
        return Claim("count", count=rng.randint(0, size))
    return Claim(kind, tuple(sorted(rng.sample(range(size), 2))), knight)


def _say(claim: Claim, speaker: int, names: Sequence[str]) -> str:
    """The claim in words, as islander `speaker` says it ("I" for the speaker)."""
    kind = "knight" if claim.knight else "knave"
    if claim.kind == "count":
        if claim.count == 0:
            return "We are all knaves."
        if claim.count == len(names):
            return "We are all knights."
        verb = "is a knight" if claim.count == 1 else "are knights"
        return f"Exactly {claim.count} of us {verb}."
    if claim.kind == "is":
        return f"{names[claim.people[0]]} is a {kind}."
    pair = [names[p] for p in claim.people if p != speaker]
    subject = f"{pair[0]} and I" if len(pair) == 1 else f"{pair[0]} and {pair[1]}"
    match claim.kind:
        case "same":
            return f"{subject} are the same kind."
        case "differ":
            return f"{subject} are different kinds."
        case "both":
            return f"{subject} are both {kind}s."
    listed = f"{pair[0]} and me" if len(pair) == 1 else subject
    return f"At least one of {listed} is a {kind}."


# Doors and guards

# Question templates over a door `d` and another door `e`. Which of them name the way out
# whichever guard lies is computed by the solver (`works`), never assumed here.
_SAFE = "safe"
_TEMPLATES: tuple[Callable[[str, str], Question], ...] = (
    lambda d, e: Question("other_says", parts=(Question(_SAFE, d),)),
    lambda d, e: Question("you_say", parts=(Question(_SAFE, d),)),
    lambda d, e: Question("iff", parts=(Question(_SAFE, d), Question("truthful"))),
    lambda d, e: Question("iff", parts=(Question(_SAFE, d), Question("not", parts=(
        Question("truthful"),)))),
    lambda d, e: Question("other_says", parts=(Question("not", parts=(Question(_SAFE, d),)),)),
    lambda d, e: Question(_SAFE, d),
    lambda d, e: Question("truthful"),
    lambda d, e: Question("and", parts=(Question(_SAFE, d), Question("truthful"))),
    lambda d, e: Question("or", parts=(Question(_SAFE, d), Question("truthful"))),
    lambda d, e: Question("iff", parts=(Question(_SAFE, d), Question(_SAFE, e))),
    lambda d, e: Question("other_says", parts=(Question("truthful"),)),
    lambda d, e: Question("you_say", parts=(Question("truthful"),)),
)


def clause(question: Question, you: str = "you") -> str:
    """The question as a statement, "you" meaning the guard it is put to (`you` = "they" when
    it is quoted to the other guard)."""
    match question.op:
        case "safe":
            return f"the {question.door} door leads out"
        case "truthful":
            return f"{you} are the truthful guard"
        case "not" if question.parts[0].op == "truthful":
            return f"{you} are the lying guard"
        case "not":
            return f"the {question.parts[0].door} door does not lead out"
        case "and" | "or" | "iff":
            link = "if and only if" if question.op == "iff" else question.op
            return f"{clause(question.parts[0], you)} {link} {clause(question.parts[1], you)}"
        case "you_say":
            return (f"{you} would answer yes if I asked {'you' if you == 'you' else 'them'} "
                    f"whether {clause(question.parts[0], you)}")
        case "other_says":
            return ("the other guard would answer yes if I asked them whether "
                    f"{clause(question.parts[0], 'they')}")
    raise ValueError(f"unknown question op {question.op!r}")


def ask(question: Question) -> str:
    return f'"Is it true that {clause(question)}?"'


class DoorsTrial(SingleTurnTrial):
    info = TrialInfo(
        name="puzzle_doors", category=CATEGORY,
        checker="the final ANSWER line's door (and question letter) must match the solver's",
        description="Two guards, one always truthful and one always lying, by doors of which "
                    "one leads out: pick the one question that works whoever lies, and read "
                    "the guard's answer to find the door.",
        full_count=24, quick_count=2)

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        rng = case_rng(self.info.name, seed, index)
        variant, size = (("deduce", 2), ("choose", 2), ("deduce", 3))[index % 3]
        doors = rng.sample(COLOURS, size)
        guards = rng.sample(NAMES, 2)
        world = DoorWorld(rng.choice(doors), rng.randint(0, 1))
        setting = (f"You stand before {size} doors: {_and_list(doors)}. Exactly one leads out; "
                   f"{'the other leads' if size == 2 else 'the others lead'} to a trap. Two "
                   f"guards, {guards[0]} and {guards[1]}, know which door leads out; one always "
                   f"tells the truth and the other always lies, and you do not know which is "
                   f"which.\n")
        make = _choose if variant == "choose" else _deduce
        body, truth = make(rng, doors, guards, world)
        return _make_case(self.info.name, index, setting + body, truth,
                          [("variant", variant), ("doors", str(size))])

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        truth = case.truth()
        text, line = _pick_answer(transcript)
        if line is None:
            return [_no_answer(text)]
        letter = ""
        if "letter" in truth:
            match = re.fullmatch(r"([A-Da-d])\s*(?:[,;:.)]\s*|\s+)(.+)", line)
            if match is None:
                return [Check.of(False, f"{line!r} is not '<letter>, <door>'")]
            letter, line = match.group(1).upper(), match.group(2)
        door = re.sub(r"^the\s+|\s+door$", "", line.strip().lower())
        if door not in truth["doors"]:
            return [Check.of(False, f"{line!r} is not one of the doors "
                                    f"({', '.join(truth['doors'])})")]
        wrong = []
        if letter and letter != truth["letter"]:
            wrong.append(f"question {letter} does not tell the door whichever guard lies; "
                         f"{truth['letter']} does")
        if door != truth["door"]:
            wrong.append(f"the {truth['door']} door leads out, not the {door}")
        return [Check.of(not wrong, "; ".join(wrong) or f"the {door} door, rightly")]


def _working(rng: random.Random, doors: Sequence[str], about: str) -> Question:
    """A random question about door `about` that names the way out whoever lies."""
    others = [door for door in doors if door != about]
    while True:
        question = rng.choice(_TEMPLATES)(about, rng.choice(others))
        if works(question, doors):
            return question


def _deduce(rng: random.Random, doors: Sequence[str], guards: Sequence[str],
            world: DoorWorld) -> tuple[str, dict[str, Any]]:
    """One working question per door but the last, each to a random guard, with the answer
    the guard gives in `world`; the solver checks the answers leave exactly one door."""
    asked = []
    for door in rng.sample(doors, len(doors) - 1):
        asked.append((_working(rng, doors, door), rng.randint(0, 1)))
    heard = [(question, guard, reply(question, world, guard)) for question, guard in asked]
    left = safe_doors(doors, heard)
    assert left == [world.safe], "working questions must leave one door"
    lines = [f"You ask {guards[guard]}: {ask(question)} {guards[guard]} answers "
             f"\"{'yes' if answer else 'no'}\"." for question, guard, answer in heard]
    body = ("\n".join(lines) + f"\nWhich door leads out? {_FINISH}ANSWER: <door colour>")
    return body, {"door": world.safe, "doors": list(doors)}


def _choose(rng: random.Random, doors: Sequence[str], guards: Sequence[str],
            world: DoorWorld) -> tuple[str, dict[str, Any]]:
    """Four candidate questions of which exactly one works (computed); the guard's answer to
    that one, given in `world`, names the door."""
    good = _working(rng, doors, rng.choice(doors))
    bad: list[Question] = []
    while len(bad) < 3:
        door = rng.choice(doors)
        question = rng.choice(_TEMPLATES)(door, next(d for d in doors if d != door))
        if not works(question, doors) and question not in bad:
            bad.append(question)
    options = [good, *bad]
    rng.shuffle(options)
    letter = "ABCD"[options.index(good)]
    guard = rng.randint(0, 1)
    answer = reply(good, world, guard)
    assert safe_doors(doors, [(good, guard, answer)]) == [world.safe]
    listed = "\n".join(f"{'ABCD'[i]}. {ask(question)}" for i, question in enumerate(options))
    body = (f"You may ask one guard one of these questions:\n{listed}\nExactly one of them "
            f"tells you the door out whichever guard you ask. You ask it to {guards[guard]}, "
            f"who answers \"{'yes' if answer else 'no'}\". Which question is it, and which "
            f"door leads out? {_FINISH}ANSWER: <letter>, <door colour>")
    return body, {"door": world.safe, "doors": list(doors), "letter": letter}


# Ordering


class OrderingTrial(SingleTurnTrial):
    info = TrialInfo(
        name="puzzle_ordering", category=CATEGORY,
        checker="the final ANSWER line's left-to-right order must be the only one that fits; "
                "a wrong order is reported by the first clue it breaks",
        description="4-6 people in a row of seats with clues (left of, next to, not at an "
                    "end, directly between) that exactly one arrangement fits.",
        full_count=24, quick_count=2)

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        rng = case_rng(self.info.name, seed, index)
        size = 4 + index % 3
        names = rng.sample(NAMES, size)
        secret = tuple(rng.sample(range(size), size))  # secret[person] = seat
        clues = _clues_for(rng, secret)
        order = sorted(range(size), key=lambda person: secret[person])
        prompt = (f"{_and_list(names)} sit in a row of {size} seats, numbered 1 to {size} "
                  f"from left to right, one per seat.\n"
                  + "\n".join(f"- {_clue_text(clue, names)}" for clue in clues)
                  + f"\nWho sits where? {_FINISH}ANSWER: <names from left to right, separated "
                  "by commas>")
        truth = {"order": [names[person] for person in order], "names": names,
                 "clues": [[clue.kind, list(clue.people), clue.seat] for clue in clues]}
        return _make_case(self.info.name, index, prompt, truth,
                          [("people", str(size))])

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        truth = case.truth()
        text, line = _pick_answer(transcript)
        if line is None:
            return [_no_answer(text)]
        order = _names(line, truth["names"], "people")
        if isinstance(order, str):
            return [Check.of(False, order)]
        if order == truth["order"]:
            return [Check.of(True, "the only order that fits every clue")]
        names = truth["names"]
        positions = tuple(order.index(name) for name in names)
        clues = [Clue(kind, tuple(people), seat) for kind, people, seat in truth["clues"]]
        broken = next((clue for clue in clues if not clue.holds(positions)), None)
        why = f"breaks the clue '{_clue_text(broken, names)}'" if broken else "fits no clue"
        return [Check.of(False, f"{', '.join(order)} {why}; expected "
                                f"{', '.join(truth['order'])}")]


_CLUE_KINDS = ("left", "left", "just_left", "next", "next", "apart", "inner", "end", "between",
               "seat")


def _clues_for(rng: random.Random, secret: tuple[int, ...]) -> list[Clue]:
    """True clues added until `secret` is the only arrangement that fits, then each clue
    dropped that the others make redundant, in a shuffled order."""
    size = len(secret)
    candidates = list(arrangements(size))
    clues: list[Clue] = []
    while len(candidates) > 1:
        clue = _true_clue(rng, secret)
        if clue not in clues:
            clues.append(clue)
            candidates = fitting([clue], candidates)
    every = list(arrangements(size))
    for clue in list(clues):
        rest = [other for other in clues if other != clue]
        if len(fitting(rest, every)) == 1:
            clues = rest
    rng.shuffle(clues)
    return clues


def _true_clue(rng: random.Random, secret: tuple[int, ...]) -> Clue:
    """A random clue that holds in the secret arrangement."""
    size = len(secret)
    while True:
        kind = rng.choice(_CLUE_KINDS)
        about = {"between": 3, "inner": 1, "end": 1, "seat": 1}.get(kind, 2)
        people = tuple(rng.sample(range(size), about))
        clue = Clue(kind, people, secret[people[0]] if kind == "seat" else 0)
        if clue.holds(secret):
            return clue


def _clue_text(clue: Clue, names: Sequence[str]) -> str:
    a, *rest = (names[person] for person in clue.people)
    match clue.kind:
        case "left":
            return f"{a} sits somewhere to the left of {rest[0]}."
        case "just_left":
            return f"{a} sits immediately to the left of {rest[0]}."
        case "next":
            return f"{a} sits next to {rest[0]}."
        case "apart":
            return f"{a} does not sit next to {rest[0]}."
        case "inner":
            return f"{a} does not sit at either end."
        case "end":
            return f"{a} sits at one of the two ends."
        case "between":
            return f"{rest[0]} sits directly between {a} and {rest[1]}."
        case "seat":
            return f"{a} sits in seat {clue.seat + 1}."
    raise ValueError(f"unknown clue kind {clue.kind!r}")


# River crossings

_CROSSINGS = ("List the crossings in order: the first goes from the near bank to the far one, "
              "the next back, and so on.")
_FARMER_SHAPES = ((3, 1), (4, 1), (4, 2))  # (items, boat capacity beside the farmer)
_GROUP_SHAPES = ((2, 2), (3, 2), (4, 3), (5, 3))  # (people per group, boat capacity)


class RiverTrial(SingleTurnTrial):
    info = TrialInfo(
        name="puzzle_river", category=CATEGORY,
        checker="the crossings in the final ANSWER line are simulated: any legal sequence "
                "that brings everyone across passes; the first illegal move is the reason",
        description="River crossings: a ferryman with things that must not be left together, "
                    "or two groups where one must never outnumber the other.",
        full_count=20, quick_count=2)

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        rng = case_rng(self.info.name, seed, index)
        if index % 2 == 0:
            prompt, truth = _farmer_puzzle(rng, _FARMER_SHAPES[index // 2 % 3])
        else:
            prompt, truth = _groups_puzzle(rng, _GROUP_SHAPES[index // 2 % 4])
        return _make_case(self.info.name, index, prompt, truth,
                          [("variant", truth["variant"]), ("shortest", str(truth["shortest"]))])

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        truth = case.truth()
        text, line = _pick_answer(transcript)
        if line is None:
            return [_no_answer(text)]
        crossings = [_boat(part, truth) for part in line.split(",")] if line else []
        if not crossings:
            return [Check.of(False, "the ANSWER line lists no crossings")]
        problem = _first_problem(truth, crossings)
        return [Check.of(problem is None, problem or
                         f"all across in {len(crossings)} crossings "
                         f"(shortest {truth['shortest']})")]


def _first_problem(truth: dict[str, Any], crossings: Sequence[tuple[str, ...]]) -> str | None:
    """The simulator's verdict on the crossings, for the puzzle `truth` describes."""
    if truth["variant"] == "farmer":
        return first_problem(FarmerRiver(truth["farmer"], tuple(truth["items"]),
                                         tuple((a, b) for a, b in truth["conflicts"]),
                                         truth["capacity"]), crossings)
    return first_problem(GroupsRiver(truth["guard"], truth["threat"], truth["count"],
                                     truth["capacity"]), crossings)


def _boat(part: str, truth: dict[str, Any]) -> tuple[str, ...]:
    """One crossing's load: names joined by "+", "alone" for none, plurals and a leading
    article read as the name (an unknown word is kept, for the simulator to reject)."""
    words = [re.sub(r"^(the|a|an)\s+", "", word.strip().lower()) for word in part.split("+")]
    if words == ["alone"]:
        return ()
    singular = dict(truth.get("plurals", []))
    return tuple(singular.get(word, word) for word in words)


def _farmer_puzzle(rng: random.Random, shape: tuple[int, int]) -> tuple[str, dict[str, Any]]:
    """Items with conflicts drawn until the puzzle is solvable and its conflicts force more
    crossings than plain ferrying needs."""
    size, capacity = shape
    farmer = rng.choice(FERRYMEN)
    items = tuple(rng.sample(ITEMS, size))
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    plain = 2 * -(-size // capacity) - 1
    while True:
        conflicts = tuple(sorted(rng.sample(pairs, rng.randint(1, len(pairs)))))
        solution = shortest_crossings(FarmerRiver(farmer, items, conflicts, capacity))
        if solution is not None and len(solution) > plain:
            break
    rules = "; ".join(f"the {items[a]} with the {items[b]}" for a, b in conflicts)
    load = "at most one of them" if capacity == 1 else f"up to {capacity} of them"
    listed = _and_list([f"{'an' if item[0] in 'aeiou' else 'a'} {item}" for item in items])
    prompt = (f"A {farmer} must take {listed} across a river. The boat holds the "
              f"{farmer} and {load}; only the {farmer} rows. Never leave these together on a "
              f"bank without the {farmer}: {rules}.\n{_CROSSINGS} Name what the {farmer} "
              f"takes on each crossing, 'alone' if nothing"
              + (", joining several with '+'" if capacity > 1 else "")
              + f". {_FINISH}ANSWER: <crossing>, <crossing>, ...")
    truth = {"variant": "farmer", "farmer": farmer, "items": list(items),
             "conflicts": [list(pair) for pair in conflicts], "capacity": capacity,
             "shortest": len(solution)}
    return prompt, truth


def _groups_puzzle(rng: random.Random, shape: tuple[int, int]) -> tuple[str, dict[str, Any]]:
    count, capacity = shape
    guard, guards, threat, threats = rng.choice(GROUPS)
    solution = shortest_crossings(GroupsRiver(guard, threat, count, capacity))
    assert solution is not None, f"{shape} must be solvable"
    prompt = (f"{count} {guards} and {count} {threats} must cross a river in a boat that holds "
              f"1 to {capacity} people; any of them can row. On either bank, counting those "
              f"who just landed, the {threats} must never outnumber the {guards} while any "
              f"{guard} is there.\n{_CROSSINGS} Name who is in the boat on each crossing, "
              f"one word per person joined by '+' (e.g. {guard}+{threat}). "
              f"{_FINISH}ANSWER: <crossing>, <crossing>, ...")
    truth = {"variant": "groups", "guard": guard, "threat": threat, "count": count,
             "capacity": capacity, "shortest": len(solution),
             "plurals": [[guards, guard], [threats, threat]]}
    return prompt, truth


TRIALS: tuple[Trial, ...] = (KnightsTrial(), DoorsTrial(), OrderingTrial(), RiverTrial())
