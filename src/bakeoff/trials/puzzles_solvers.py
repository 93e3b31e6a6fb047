"""The solvers behind the logic-puzzle trials (bakeoff.trials.puzzles).

A generated puzzle's truth is computed here, by brute force over every assignment or by a
breadth-first search, never written by hand; the river checker's simulator lives here too, so
any valid sequence of crossings passes, not one fixed answer.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

# Knights and knaves: a world is a tuple of kinds, True for a knight.

World = tuple[bool, ...]


@dataclass(frozen=True)
class Claim:
    """What one islander says. `people` index the islanders the claim is about; `knight` is the
    kind it names; `count` is the number in "exactly n of us are knights"."""

    kind: str  # "is" | "same" | "differ" | "both" | "some" | "count"
    people: tuple[int, ...] = ()
    knight: bool = True
    count: int = 0

    def holds(self, world: World) -> bool:
        kinds = [world[person] for person in self.people]
        match self.kind:
            case "is":
                return kinds[0] == self.knight
            case "same":
                return kinds[0] == kinds[1]
            case "differ":
                return kinds[0] != kinds[1]
            case "both":
                return all(kind == self.knight for kind in kinds)
            case "some":
                return any(kind == self.knight for kind in kinds)
            case "count":
                return sum(world) == self.count
        raise ValueError(f"unknown claim kind {self.kind!r}")


def consistent_worlds(claims: Sequence[Claim]) -> list[World]:
    """Every assignment in which each knight's claim is true and each knave's false
    (`claims[i]` is what islander i says)."""
    return [world for world in itertools.product((True, False), repeat=len(claims))
            if all(claim.holds(world) == world[speaker] for speaker, claim in enumerate(claims))]


# Doors and guards: two guards, one always truthful and one always lying; exactly one door
# leads out. A question is a tree evaluated from the point of view of the guard it is put to.


@dataclass(frozen=True)
class Question:
    """A yes/no question: "safe" (door `door` leads out), "truthful" (the guard asked is the
    truthful one), "not", "and", "or", "iff" over `parts`, "you_say" (the guard asked would
    answer yes to the part), "other_says" (the other guard would)."""

    op: str
    door: str = ""
    parts: tuple[Question, ...] = ()


@dataclass(frozen=True)
class DoorWorld:
    safe: str  # the door that leads out
    liar: int  # the guard (0 or 1) who always lies


def is_true(question: Question, world: DoorWorld, guard: int) -> bool:
    """Whether `question` is true when put to `guard` ("you" means that guard)."""
    parts = [is_true(part, world, guard) for part in question.parts
             if question.op not in ("you_say", "other_says")]
    match question.op:
        case "safe":
            return world.safe == question.door
        case "truthful":
            return guard != world.liar
        case "not":
            return not parts[0]
        case "and":
            return all(parts)
        case "or":
            return any(parts)
        case "iff":
            return parts[0] == parts[1]
        case "you_say":
            return reply(question.parts[0], world, guard)
        case "other_says":
            return reply(question.parts[0], world, 1 - guard)
    raise ValueError(f"unknown question op {question.op!r}")


def reply(question: Question, world: DoorWorld, guard: int) -> bool:
    """The guard's answer (True: yes): the truth, or its opposite from the liar."""
    return is_true(question, world, guard) != (guard == world.liar)


def door_worlds(doors: Sequence[str]) -> list[DoorWorld]:
    return [DoorWorld(door, liar) for door in doors for liar in (0, 1)]


def safe_doors(doors: Sequence[str], asked: Sequence[tuple[Question, int, bool]]) -> list[str]:
    """The doors that may lead out, given each (question, guard asked, answer heard)."""
    return sorted({world.safe for world in door_worlds(doors)
                   if all(reply(question, world, guard) == answer
                          for question, guard, answer in asked)})


def works(question: Question, doors: Sequence[str]) -> bool:
    """Whether a guard's answer to `question` depends only on which door leads out, never on
    which guard lies, and is not always the same: the answer then says something about the
    doors whoever is asked (with two doors it names the way out)."""
    answers = {world.safe: set[bool]() for world in door_worlds(doors)}
    for world in door_worlds(doors):
        answers[world.safe].add(reply(question, world, 0))
    kinds = {frozenset(given) for given in answers.values()}
    return all(len(given) == 1 for given in kinds) and len(kinds) > 1


# Ordering: positions[person] is the seat (0 = leftmost) of each person.

Positions = tuple[int, ...]


@dataclass(frozen=True)
class Clue:
    """A seating clue about `people` (indices): "left" (a somewhere left of b), "just_left"
    (a immediately left of b), "next", "apart" (not next to each other), "inner" (not at
    either end), "end" (at one end), "between" (b directly between a and c), "seat" (a in
    seat `seat`, 0-based)."""

    kind: str
    people: tuple[int, ...]
    seat: int = 0

    def holds(self, positions: Positions) -> bool:
        seats = [positions[person] for person in self.people]
        last = len(positions) - 1
        match self.kind:
            case "left":
                return seats[0] < seats[1]
            case "just_left":
                return seats[0] + 1 == seats[1]
            case "next":
                return abs(seats[0] - seats[1]) == 1
            case "apart":
                return abs(seats[0] - seats[1]) > 1
            case "inner":
                return 0 < seats[0] < last
            case "end":
                return seats[0] in (0, last)
            case "between":
                return abs(seats[0] - seats[1]) == 1 == abs(seats[2] - seats[1])
            case "seat":
                return seats[0] == self.seat
        raise ValueError(f"unknown clue kind {self.kind!r}")


def arrangements(size: int) -> Iterator[Positions]:
    return itertools.permutations(range(size))


def fitting(clues: Sequence[Clue], candidates: Sequence[Positions]) -> list[Positions]:
    """The candidate arrangements that satisfy every clue."""
    return [positions for positions in candidates if all(clue.holds(positions) for clue in clues)]


# River crossings: a puzzle is a state machine; a crossing is the multiset of names in the boat
# (beside the farmer, in the farmer kind).


State = TypeVar("State", bound=Hashable)
FarmerState = tuple[bool, frozenset[str]]  # (farmer on the far bank?, items on the far bank)
GroupsState = tuple[bool, int, int]  # (boat on the far bank?, guards and threats there)


class River(Protocol[State]):
    def start(self) -> State: ...

    def done(self, state: State) -> bool: ...

    def cross(self, state: State, boat: Sequence[str]) -> State | str:
        """The state after this crossing, or why it is not allowed."""
        ...

    def boats(self, state: State) -> list[tuple[str, ...]]:
        """Every boat load that could set off from `state` (legal or not)."""
        ...

    def left_over(self, state: State) -> str:
        """Who is still on the near bank, for the reason of an unfinished answer."""
        ...


@dataclass(frozen=True)
class FarmerRiver:
    """A farmer ferries `items`; the boat holds the farmer and up to `capacity` items; the
    pairs in `conflicts` (indices) must never share a bank without the farmer."""

    farmer: str
    items: tuple[str, ...]
    conflicts: tuple[tuple[int, int], ...]
    capacity: int

    def start(self) -> FarmerState:
        return (False, frozenset[str]())

    def done(self, state: FarmerState) -> bool:
        farmer_far, far = state
        return farmer_far and len(far) == len(self.items)

    def boats(self, state: FarmerState) -> list[tuple[str, ...]]:
        farmer_far, far = state
        here = [item for item in self.items if (item in far) == farmer_far]
        return [load for size in range(self.capacity + 1)
                for load in itertools.combinations(here, size)]

    def cross(self, state: FarmerState, boat: Sequence[str]) -> FarmerState | str:
        farmer_far, far = state
        unknown = [name for name in boat if name not in self.items]
        if unknown:
            return f"{unknown[0]!r} is not in this puzzle"
        repeated = [name for name, times in Counter(boat).items() if times > 1]
        if repeated:
            return f"the {repeated[0]} is named twice"
        if len(boat) > self.capacity:
            return f"the boat holds the {self.farmer} and at most {self.capacity} more"
        side = _side(farmer_far)
        for name in boat:
            if (name in far) != farmer_far:
                return f"the {name} is not on the {side} bank with the {self.farmer}"
        far = far - set(boat) if farmer_far else far | set(boat)
        behind = {item for item in self.items if (item in far) == farmer_far}
        for first, second in self.conflicts:
            if self.items[first] in behind and self.items[second] in behind:
                return (f"it leaves the {self.items[first]} and the {self.items[second]} "
                        f"alone on the {side} bank")
        return (not farmer_far, frozenset(far))

    def left_over(self, state: FarmerState) -> str:
        farmer_far, far = state
        near = [item for item in self.items if item not in far]
        if not farmer_far:
            near.insert(0, self.farmer)
        return ", ".join(f"the {name}" for name in near)


@dataclass(frozen=True)
class GroupsRiver:
    """`count` of `guard` and as many of `threat` cross in a boat of 1 to `capacity` people;
    on either bank the threats may never outnumber the guards while any guard is there."""

    guard: str
    threat: str
    count: int
    capacity: int

    def start(self) -> GroupsState:
        return (False, 0, 0)

    def done(self, state: GroupsState) -> bool:
        return state == (True, self.count, self.count)

    def boats(self, state: GroupsState) -> list[tuple[str, ...]]:
        return [(self.guard,) * guards + (self.threat,) * threats
                for guards in range(self.capacity + 1)
                for threats in range(self.capacity + 1 - guards) if guards + threats > 0]

    def cross(self, state: GroupsState, boat: Sequence[str]) -> GroupsState | str:
        boat_far, guards_far, threats_far = state
        unknown = [name for name in boat if name not in (self.guard, self.threat)]
        if unknown:
            return f"{unknown[0]!r} is not in this puzzle"
        if not boat:
            return "the boat cannot cross empty"
        if len(boat) > self.capacity:
            return f"the boat holds at most {self.capacity}"
        guards, threats = boat.count(self.guard), boat.count(self.threat)
        have = ((guards_far, threats_far) if boat_far
                else (self.count - guards_far, self.count - threats_far))
        side = _side(boat_far)
        for name, wanted, present in ((self.guard, guards, have[0]),
                                      (self.threat, threats, have[1])):
            if wanted > present:
                return f"only {present} {name}(s) on the {side} bank, with the boat"
        sign = -1 if boat_far else 1
        guards_far, threats_far = guards_far + sign * guards, threats_far + sign * threats
        for bank, (g, t) in (("near", (self.count - guards_far, self.count - threats_far)),
                             ("far", (guards_far, threats_far))):
            if 0 < g < t:
                return (f"it leaves {t} {self.threat}(s) with {g} {self.guard}(s) "
                        f"on the {bank} bank")
        return (not boat_far, guards_far, threats_far)

    def left_over(self, state: GroupsState) -> str:
        _, guards_far, threats_far = state
        return (f"{self.count - guards_far} {self.guard}(s) and {self.count - threats_far} "
                f"{self.threat}(s) on the near bank")


def _side(far: bool) -> str:
    return "far" if far else "near"


def first_problem(river: River[State], crossings: Sequence[Sequence[str]]) -> str | None:
    """Simulate the crossings; None when they are legal and bring everyone across, else the
    first illegal crossing (1-based, with what was in the boat) or what is left behind."""
    state = river.start()
    for number, boat in enumerate(crossings, 1):
        after = river.cross(state, boat)
        if isinstance(after, str):
            load = "+".join(boat) or "nobody"
            return f"crossing {number} ({load}) is illegal: {after}"
        state = after
    if not river.done(state):
        return (f"after {len(crossings)} crossing(s) not everyone is across: "
                f"{river.left_over(state)}")
    return None


def shortest_crossings(river: River[State]) -> list[tuple[str, ...]] | None:
    """A shortest legal solution by breadth-first search; None when there is none."""
    start = river.start()
    previous: dict[State, tuple[State, tuple[str, ...]] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if river.done(state):
            path: list[tuple[str, ...]] = []
            link = previous[state]
            while link is not None:
                path.append(link[1])
                link = previous[link[0]]
            return path[::-1]
        for boat in river.boats(state):
            after = river.cross(state, boat)
            if not isinstance(after, str) and after not in previous:
                previous[after] = (state, boat)
                queue.append(after)
    return None
