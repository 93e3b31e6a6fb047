"""Logic puzzles: determinism, every checker rule on hand-written answers, and each generated
truth re-derived from the prompt's own words by an independent brute force."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.cache import FetchError
from bakeoff.trials.base import Case, Transcript
from bakeoff.trials.puzzles import (
    TRIALS,
    DoorsTrial,
    KnightsTrial,
    OrderingTrial,
    RiverTrial,
    answer_line,
)
from bakeoff.trials.puzzles_solvers import (
    DoorWorld,
    FarmerRiver,
    GroupsRiver,
    Question,
    first_problem,
    reply,
    shortest_crossings,
    works,
)
from bakeoff.trials.registry import get_trial
from bakeoff.types import GenerationConfig, Message, ToolCall

QWEN = "qwen2.5-coder-0.5b-instruct"
KNIGHTS, DOORS, ORDERING, RIVER = KnightsTrial(), DoorsTrial(), OrderingTrial(), RiverTrial()


def answered(case: Case, text: str) -> Transcript:
    return Transcript((*case.messages, Message("assistant", text)), ())


def verdict(trial: KnightsTrial | DoorsTrial | OrderingTrial | RiverTrial, case: Case,
            text: str) -> tuple[bool, str]:
    [check] = trial.check(case, answered(case, text))
    assert check.metric == "pass" and check.reason
    return check.value == 1.0, check.reason


def hand_case(name: str, truth: object) -> Case:
    return Case(id=f"{name}/x", messages=(Message("user", "a puzzle"),),
                expected=json.dumps(truth, sort_keys=True))


# The family as a whole


@pytest.mark.parametrize("trial", TRIALS, ids=lambda trial: trial.info.name)
def test_cases_are_deterministic_and_extendable(trial: KnightsTrial) -> None:
    first = trial.cases(7, 6)
    assert first == trial.cases(7, 6)
    assert trial.cases(7, 3) == first[:3]
    assert [case.messages for case in trial.cases(8, 6)] != [case.messages for case in first]
    assert [case.id for case in first] == [f"{trial.info.name}/{i}" for i in range(6)]
    for case in first:
        assert case.expected == json.dumps(json.loads(case.expected), sort_keys=True)
        assert "ANSWER:" in case.messages[-1].content and case.config.max_tokens <= 256


@pytest.mark.parametrize("trial", TRIALS, ids=lambda trial: trial.info.name)
def test_registered_and_described(trial: KnightsTrial) -> None:
    assert get_trial(trial.info.name) is trial
    assert trial.info.category == "Logic puzzles" and trial.info.metrics == ("pass",)
    assert 2 <= trial.info.quick_count <= 5 < trial.info.full_count


@pytest.mark.parametrize("trial", TRIALS, ids=lambda trial: trial.info.name)
def test_garbage_and_empty_answers_fail_with_a_reason(trial: KnightsTrial) -> None:
    case = trial.cases(1, 1)[0]
    for text in ("", "I don't know.", "ANSWER:", "ANSWER: ???", "ANSWER: ,,,"):
        assert not verdict(trial, case, text)[0], text
    calls_only = Transcript((*case.messages, Message("assistant", "", (
        ToolCall("c1", "solve", "{}"),))), ())
    [check] = trial.check(case, calls_only)
    assert check.value == 0.0 and check.reason == "empty answer"
    no_answer = Transcript(case.messages, ())
    assert trial.check(case, no_answer)[0].value == 0.0


def test_the_answer_line_is_the_last_one_starting_answer() -> None:
    assert answer_line("ANSWER: a\nthinking\nANSWER: b") == "b"
    assert answer_line("**ANSWER:** red door.") == "red door"
    assert answer_line("Answer: x") == "x"
    assert answer_line("The answer: red") is None
    assert answer_line("no line here") is None


# Knights and knaves


def knights_case() -> Case:
    return hand_case("puzzle_knights", {"names": ["Ada", "Bram", "Cleo"],
                                        "kinds": {"Ada": "knight", "Bram": "knave",
                                                  "Cleo": "knave"}})


@pytest.mark.parametrize(("text", "reason"), [
    ("ANSWER: Ada=knave, Bram=knave, Cleo=knave", "Ada is a knight, not a knave"),
    ("ANSWER: Ada=knight, Bram=knight, Cleo=knight",
     "Bram is a knave, not a knight; Cleo is a knave, not a knight"),
    ("ANSWER: Ada=knight, Bram=knave", "missing Cleo"),
    ("ANSWER: Ada=knight, Ada=knave, Cleo=knave", "Ada is named twice"),
    ("ANSWER: Ada=knight, Bob=knave, Cleo=knave", "'Bob' is not one of the islanders"),
    ("ANSWER: Ada is a knight, Bram=knave, Cleo=knave", "not of the form Name=knight"),
    ("ANSWER: Ada=liar, Bram=knave, Cleo=knave", "not of the form Name=knight"),
    ("Ada is a knight and the others are knaves.", "no line starting 'ANSWER:'"),
])
def test_knights_checker_rules(text: str, reason: str) -> None:
    passed, why = verdict(KNIGHTS, knights_case(), text)
    assert not passed and reason in why


def test_knights_checker_accepts_any_order_and_case() -> None:
    text = "Ada tells the truth.\n**ANSWER:** cleo=Knave, Ada=knight, BRAM = knave"
    assert verdict(KNIGHTS, knights_case(), text) == (True, "every islander's kind is right")


# An independent reading of the prompt: each statement's words → a test on a world.
KNIGHT_SAYINGS: list[tuple[str, Callable[..., Callable[[dict[str, bool]], bool]]]] = [
    (r"(\w+) is a (knight|knave)\.", lambda a, k: lambda w: w[a] == (k == "knight")),
    (r"We are all (knight|knave)s\.", lambda k: lambda w: all(v == (k == "knight")
                                                               for v in w.values())),
    (r"Exactly (\d) of us (?:is a knight|are knights)\.",
     lambda n: lambda w: sum(w.values()) == int(n)),
    (r"(\w+) and (\w+) are the same kind\.", lambda a, b: lambda w: w[a] == w[b]),
    (r"(\w+) and (\w+) are different kinds\.", lambda a, b: lambda w: w[a] != w[b]),
    (r"(\w+) and (\w+) are both (knight|knave)s\.",
     lambda a, b, k: lambda w: w[a] == w[b] == (k == "knight")),
    (r"At least one of (\w+) and (\w+) is a (knight|knave)\.",
     lambda a, b, k: lambda w: (k == "knight") in (w[a], w[b])),
]


def read_statement(speaker: str, words: str) -> Callable[[dict[str, bool]], bool]:
    for pattern, meaning in KNIGHT_SAYINGS:
        match = re.fullmatch(pattern, words)
        if match:
            return meaning(*(speaker if g in ("I", "me") else g for g in match.groups()))
    raise AssertionError(f"unreadable statement {words!r}")


def test_knights_truth_is_the_only_consistent_reading_of_the_prompt() -> None:
    for case in KNIGHTS.cases(3, 30):
        said = re.findall(r'^(\w+) says: "(.*)"$', case.messages[0].content, re.MULTILINE)
        tests = {speaker: read_statement(speaker, words) for speaker, words in said}
        names = case.truth()["names"]
        assert sorted(tests) == sorted(names)
        fits = [world for kinds in itertools.product((True, False), repeat=len(names))
                if all(tests[n](world := dict(zip(names, kinds, strict=True))) == world[n]
                       for n in names)]
        assert len(fits) == 1
        truth = {n: "knight" if fits[0][n] else "knave" for n in names}
        assert truth == case.truth()["kinds"]
        good = "ANSWER: " + ", ".join(f"{n}={k}" for n, k in truth.items())
        assert verdict(KNIGHTS, case, good)[0]
    sizes = [case.meta("islanders") for case in KNIGHTS.cases(3, 3)]
    assert sizes == ["2", "3", "4"]


# Doors and guards

# An independent reading of each question the prompt can ask: (pattern, its truth given the
# safe door, whether the asked guard lies, and the door names the pattern captured).
SAFE = r"the (\w+) door leads out"
DOOR_QUESTIONS: list[tuple[str, Callable[..., bool]]] = [
    (rf"the other guard would answer yes if I asked them whether {SAFE}",
     lambda safe, lies, d: (safe == d) != (not lies)),
    (r"the other guard would answer yes if I asked them whether the (\w+) door does not lead "
     r"out", lambda safe, lies, d: (safe != d) != (not lies)),
    (r"the other guard would answer yes if I asked them whether they are the truthful guard",
     lambda safe, lies: True),
    (rf"you would answer yes if I asked you whether {SAFE}",
     lambda safe, lies, d: (safe == d) != lies),
    (r"you would answer yes if I asked you whether you are the truthful guard",
     lambda safe, lies: True),
    (rf"{SAFE} if and only if you are the truthful guard",
     lambda safe, lies, d: (safe == d) == (not lies)),
    (rf"{SAFE} if and only if you are the lying guard", lambda safe, lies, d: (safe == d) == lies),
    (rf"{SAFE} if and only if {SAFE}", lambda safe, lies, d, e: (safe == d) == (safe == e)),
    (rf"{SAFE} and you are the truthful guard", lambda safe, lies, d: safe == d and not lies),
    (rf"{SAFE} or you are the truthful guard", lambda safe, lies, d: safe == d or not lies),
    (SAFE, lambda safe, lies, d: safe == d),
    (r"you are the truthful guard", lambda safe, lies: not lies),
]


def guard_says(question: str, safe: str, lies: bool) -> bool:
    for pattern, truth in DOOR_QUESTIONS:
        match = re.fullmatch(pattern, question)
        if match:
            return truth(safe, lies, *match.groups()) != lies
    raise AssertionError(f"unreadable question {question!r}")


def names_door(question: str, doors: list[str]) -> bool:
    """Whether the answer depends on the door alone (not on who lies), and on the door."""
    per_door = [{guard_says(question, safe, lies) for lies in (True, False)} for safe in doors]
    return all(len(answers) == 1 for answers in per_door) and len(set().union(*per_door)) == 2


def test_the_solver_agrees_with_the_classic_puzzle() -> None:
    doors = ("red", "blue")
    classic = Question("other_says", parts=(Question("safe", "red"),))
    for world in (DoorWorld(safe, liar) for safe in doors for liar in (0, 1)):
        for guard in (0, 1):
            # Whoever is asked, "yes" means the red door is the trap.
            assert reply(classic, world, guard) == (world.safe == "blue")
    assert works(classic, doors)
    assert not works(Question("safe", "red"), doors)
    assert not works(Question("truthful"), doors)


def test_doors_truth_is_the_only_reading_of_the_prompt() -> None:
    for case in DOORS.cases(5, 30):
        prompt, truth = case.messages[0].content, case.truth()
        doors = truth["doors"]
        heard = re.findall(r'You ask (\w+): "Is it true that (.*)\?" \1 answers "(yes|no)"',
                           prompt)
        options = re.findall(r'^([A-D])\. "Is it true that (.*)\?"$', prompt, re.MULTILINE)
        if options:
            working = [letter for letter, question in options if names_door(question, doors)]
            assert working == [truth["letter"]]
            question = dict(options)[truth["letter"]]
            said = re.search(r'who answers "(yes|no)"', prompt)
            assert said is not None
            heard = [("", question, said.group(1))]
        assert heard
        out = {safe for safe in doors for lies in (True, False)
               if all(guard_says(question, safe, lies) == (answer == "yes")
                      for _, question, answer in heard)}
        assert out == {truth["door"]}
    assert [case.meta("variant") for case in DOORS.cases(5, 3)] == ["deduce", "choose", "deduce"]


def test_doors_checker_rules() -> None:
    case = hand_case("puzzle_doors", {"door": "red", "doors": ["red", "blue"]})
    assert verdict(DOORS, case, "ANSWER: the red door")[0]
    assert verdict(DOORS, case, "answer: Red.")[0]
    assert verdict(DOORS, case, "ANSWER: blue") == (False, "the red door leads out, not the blue")
    assert "not one of the doors (red, blue)" in verdict(DOORS, case, "ANSWER: green")[1]
    assert "not one of the doors" in verdict(DOORS, case, "ANSWER: red or blue")[1]
    choose = hand_case("puzzle_doors", {"door": "red", "doors": ["red", "blue"], "letter": "B"})
    assert verdict(DOORS, choose, "ANSWER: B, red")[0]
    assert verdict(DOORS, choose, "ANSWER: b) the red door")[0]
    assert "question A does not tell the door" in verdict(DOORS, choose, "ANSWER: A, red")[1]
    both = verdict(DOORS, choose, "ANSWER: C, blue")[1]
    assert "question C" in both and "not the blue" in both
    assert "is not '<letter>, <door>'" in verdict(DOORS, choose, "ANSWER: red")[1]


# Ordering

SEATING: list[tuple[str, Callable[..., bool]]] = [
    (r"(\w+) sits somewhere to the left of (\w+)\.", lambda p, a, b: p[a] < p[b]),
    (r"(\w+) sits immediately to the left of (\w+)\.", lambda p, a, b: p[a] + 1 == p[b]),
    (r"(\w+) sits next to (\w+)\.", lambda p, a, b: abs(p[a] - p[b]) == 1),
    (r"(\w+) does not sit next to (\w+)\.", lambda p, a, b: abs(p[a] - p[b]) != 1),
    (r"(\w+) does not sit at either end\.", lambda p, a: 0 < p[a] < len(p) - 1),
    (r"(\w+) sits at one of the two ends\.", lambda p, a: p[a] in (0, len(p) - 1)),
    (r"(\w+) sits directly between (\w+) and (\w+)\.",
     lambda p, b, a, c: abs(p[a] - p[b]) == 1 == abs(p[c] - p[b])),
    (r"(\w+) sits in seat (\d)\.", lambda p, a, n: p[a] == int(n) - 1),
]


def seating_rule(text: str) -> tuple[Callable[..., bool], tuple[str, ...]]:
    """The test a clue's words describe, and the names (or seat) it is about."""
    for pattern, holds in SEATING:
        match = re.fullmatch(pattern, text)
        if match:
            return holds, match.groups()
    raise AssertionError(f"unreadable clue {text!r}")


def test_ordering_truth_is_the_only_order_the_prompt_allows() -> None:
    for case in ORDERING.cases(2, 24):
        truth = case.truth()
        rules = [seating_rule(line) for line in
                 re.findall(r"^- (.*)$", case.messages[0].content, re.MULTILINE)]
        fits = [list(order) for order in itertools.permutations(truth["names"])
                if all(holds({n: order.index(n) for n in order}, *args) for holds, args in rules)]
        assert fits == [truth["order"]]
        assert verdict(ORDERING, case, "ANSWER: " + ", ".join(truth["order"]))[0]
    assert [case.meta("people") for case in ORDERING.cases(2, 3)] == ["4", "5", "6"]


def test_ordering_checker_rules() -> None:
    case = hand_case("puzzle_ordering", {
        "names": ["Ada", "Bram", "Cleo"], "order": ["Bram", "Ada", "Cleo"],
        "clues": [["left", [1, 2], 0], ["between", [1, 0, 2], 0]]})
    assert verdict(ORDERING, case, "ANSWER: bram, ada, CLEO") == (
        True, "the only order that fits every clue")
    passed, why = verdict(ORDERING, case, "ANSWER: Cleo, Ada, Bram")
    assert not passed
    assert why == ("Cleo, Ada, Bram breaks the clue 'Bram sits somewhere to the left of Cleo.'; "
                   "expected Bram, Ada, Cleo")
    assert "breaks the clue 'Ada sits directly between" in verdict(
        ORDERING, case, "ANSWER: Ada, Bram, Cleo")[1]
    assert verdict(ORDERING, case, "ANSWER: Bram, Ada")[1] == "missing Cleo"
    assert verdict(ORDERING, case, "ANSWER: Bram, Ada, Ada")[1] == "Ada is named twice"
    assert "'Dee' is not one of the people" in verdict(ORDERING, case,
                                                       "ANSWER: Bram, Ada, Dee")[1]
    assert "'Bram Ada Cleo' is not one" in verdict(ORDERING, case, "ANSWER: Bram Ada Cleo")[1]


# River crossings

CLASSIC = {"variant": "farmer", "farmer": "farmer", "items": ["wolf", "goat", "cabbage"],
           "conflicts": [[0, 1], [1, 2]], "capacity": 1, "shortest": 7}
TRIBES = {"variant": "groups", "guard": "monk", "threat": "bandit", "count": 3, "capacity": 2,
          "shortest": 11, "plurals": [["monks", "monk"], ["bandits", "bandit"]]}


def test_the_search_knows_the_classic_answers() -> None:
    wolf = FarmerRiver("farmer", ("wolf", "goat", "cabbage"), ((0, 1), (1, 2)), 1)
    solution = shortest_crossings(wolf)
    assert solution is not None and len(solution) == 7 and solution[0] == ("goat",)
    assert first_problem(wolf, solution) is None
    lengths = {shape: shortest_crossings(GroupsRiver("m", "c", *shape))
               for shape in ((3, 2), (4, 2), (5, 3))}
    assert [None if path is None else len(path) for path in lengths.values()] == [11, None, 11]


@pytest.mark.parametrize("text", [
    "ANSWER: goat, alone, wolf, goat, cabbage, alone, goat",
    "ANSWER: the goat, alone, cabbage, goat, wolf, alone, goat",  # the other classic solution
    "ANSWER: goat, goat, goat, alone, wolf, goat, cabbage, alone, goat",  # long, but legal
])
def test_any_valid_crossing_passes(text: str) -> None:
    passed, why = verdict(RIVER, hand_case("puzzle_river", CLASSIC), text)
    assert passed and why.startswith("all across in")


@pytest.mark.parametrize(("text", "reason"), [
    ("ANSWER: wolf, alone, goat", "crossing 1 (wolf) is illegal: it leaves the goat and the "
                                  "cabbage alone on the near bank"),
    ("ANSWER: goat, wolf", "crossing 2 (wolf) is illegal: the wolf is not on the far bank "
                           "with the farmer"),
    ("ANSWER: goat+wolf", "the boat holds the farmer and at most 1 more"),
    ("ANSWER: dragon", "crossing 1 (dragon) is illegal: 'dragon' is not in this puzzle"),
    ("ANSWER: goat, nothing", "'nothing' is not in this puzzle"),
    ("ANSWER: goat, alone, wolf, goat, cabbage",
     "after 5 crossing(s) not everyone is across: the goat"),
    ("ANSWER: goat, alone, wolf, goat, cabbage, alone, goat, goat",
     "after 8 crossing(s) not everyone is across: the farmer, the goat"),
])
def test_the_first_illegal_farmer_move_is_the_reason(text: str, reason: str) -> None:
    passed, why = verdict(RIVER, hand_case("puzzle_river", CLASSIC), text)
    assert not passed and reason in why


def test_groups_crossings_are_simulated() -> None:
    case = hand_case("puzzle_river", TRIBES)
    good = ("ANSWER: bandit+bandit, bandit, bandit+bandit, bandit, monk+monk, monk+bandit, "
            "monk+monk, bandit, bandits+bandit, bandit, bandit+bandit")
    assert verdict(RIVER, case, good) == (True, "all across in 11 crossings (shortest 11)")
    for text, reason in [
        ("ANSWER: monk", "it leaves 3 bandit(s) with 2 monk(s) on the near bank"),
        ("ANSWER: alone", "crossing 1 (nobody) is illegal: the boat cannot cross empty"),
        ("ANSWER: monk+monk+bandit", "the boat holds at most 2"),
        ("ANSWER: bandit+bandit, monk", "only 0 monk(s) on the far bank, with the boat"),
        ("ANSWER: monk+bandit, pirate", "'pirate' is not in this puzzle"),
        ("ANSWER: bandit+bandit, bandit",
         "not everyone is across: 3 monk(s) and 2 bandit(s) on the near bank"),
    ]:
        passed, why = verdict(RIVER, case, text)
        assert not passed and reason in why, (text, why)


def test_river_cases_are_solvable_and_their_shortest_solution_passes() -> None:
    for case in RIVER.cases(4, 16):
        truth = case.truth()
        solution = shortest_crossings(
            FarmerRiver(truth["farmer"], tuple(truth["items"]),
                        tuple((a, b) for a, b in truth["conflicts"]), truth["capacity"])
            if truth["variant"] == "farmer" else
            GroupsRiver(truth["guard"], truth["threat"], truth["count"], truth["capacity"]))
        assert solution is not None and len(solution) == truth["shortest"]
        text = "ANSWER: " + ", ".join("+".join(boat) or "alone" for boat in solution)
        assert verdict(RIVER, case, text)[0]
        if truth["variant"] == "farmer":
            # The conflicts matter: ferrying the items in order, alone back, does not work.
            items, capacity = truth["items"], truth["capacity"]
            loads = ["+".join(items[i:i + capacity]) for i in range(0, len(items), capacity)]
            assert not verdict(RIVER, case, "ANSWER: " + ", alone, ".join(loads))[0]
    assert [case.meta("variant") for case in RIVER.cases(4, 3)] == ["farmer", "groups", "farmer"]


# A real model


@pytest.mark.slow
def test_a_real_answer_is_checked_with_a_reason() -> None:
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    pytest.importorskip("llama_cpp")
    try:
        path: Path = ensure_model(QWEN)
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    provider = LlamaCppProvider(path, QWEN, n_ctx=768)
    try:
        for trial in (KNIGHTS, DOORS):
            case = replace(trial.cases(0, 1)[0], config=GenerationConfig(max_tokens=48))
            completion = asyncio.run(provider.generate(case.request()))
            transcript = Transcript((*case.messages, Message("assistant", completion.text)),
                                    (completion,))
            [check] = trial.check(case, transcript)
            assert check.metric == "pass" and check.value in (0.0, 1.0) and check.reason
    finally:
        asyncio.run(provider.aclose())
