"""What the runner needs from a spending cap (`bakeoff run --max-cost`), whoever prices calls.

The runner reserves a call's estimated cost before making it, releases the reservation when the
call fails, and charges what the call really cost once it is back. bakeoff.cost.budget.Budget
is the implementation; the runner knows only this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bakeoff.types import Completion, Request


class SpendingCapReached(Exception):
    """A call would go over the cap: workers stop taking work; never reaches the user."""


class SpendingCap(Protocol):
    @property
    def exhausted(self) -> bool:
        """True once a call was refused: no worker starts another."""
        ...

    def reserve(self, model: str, requests: Sequence[Request]) -> float:
        """Reserve the calls' estimated cost, or raise SpendingCapReached."""
        ...

    def release(self, reservation: float) -> None:
        """The calls failed: nothing is charged."""
        ...

    def charge(self, model: str, reservation: float, completions: Sequence[Completion]) -> None:
        """Replace the reservation by what the completions cost."""
        ...
