"""A spending cap for a run (`bakeoff run --max-cost USD`).

Before each call the runner asks the budget to admit that call's estimated cost: admitted when
spent so far + estimates of calls still in flight + this estimate stays within the cap. After
the call, the estimate is replaced by what the call cost from its measured usage. Once a call
is refused the budget is exhausted: no worker starts another call, calls in flight finish and
are stored, and the run is left unfinished so that running the same command again, with a
higher --max-cost, resumes it. The cap covers the calls this command makes; answers reused
from the store cost nothing.

A call's estimate is an upper bound on tokens: its prompt's characters / 4 as input tokens
and the request's max_tokens as output tokens (0 for loglikelihood scoring). For a model
priced by the hour, the time part is the mean wall time of the calls it has made in this run
(nothing is known before its first call, so the first call of such a model is admitted on its
token part alone, unless the cap is zero).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bakeoff.cost.pricing import Rates, wall_seconds
from bakeoff.engine.spending import SpendingCapReached
from bakeoff.types import Completion, GenerationRequest, LoglikelihoodRequest, Request

# The time part of a first call to a model priced by the hour: above zero, below any real cap.
_UNKNOWN_TIME_USD = 1e-12

# Raised inside the runner when a call would go over the cap; never reaches the user.
BudgetReached = SpendingCapReached


def estimated_input_tokens(request: Request) -> int:
    """Characters / 4, rounded up: the usual rule of thumb for English text and code."""
    return math.ceil(len(request_text(request)) / 4)


def request_text(request: Request) -> str:
    if isinstance(request, LoglikelihoodRequest):
        return request.context + request.continuation
    if request.prompt is not None:
        return request.prompt
    return "".join(message.content for message in request.messages)


def max_output_tokens(request: Request) -> int:
    return request.config.max_tokens if isinstance(request, GenerationRequest) else 0


@dataclass
class _ModelTime:
    calls: int = 0
    seconds: float = 0.0

    @property
    def mean_s(self) -> float:
        return self.seconds / self.calls if self.calls else 0.0


@dataclass
class Budget:
    limit_usd: float
    rates: dict[str, Rates]
    spent_usd: float = 0.0
    in_flight_usd: float = 0.0
    exhausted: bool = False
    # The estimate of the call that was refused, for the message that says why the run stopped.
    refused_estimate_usd: float | None = None
    _time: dict[str, _ModelTime] = field(default_factory=dict)

    def estimate(self, model: str, requests: Sequence[Request]) -> float:
        rates = self.rates.get(model, Rates())
        tokens = rates.token_cost(sum(estimated_input_tokens(r) for r in requests),
                                  sum(max_output_tokens(r) for r in requests))
        mean_s = self._time.get(model, _ModelTime()).mean_s
        if rates.per_hour and mean_s == 0.0:
            # Its time is unknown before its first call, but not free: a cap of 0 admits none.
            return tokens + _UNKNOWN_TIME_USD
        return tokens + rates.time_cost(mean_s * len(requests))

    def admit(self, estimate_usd: float) -> None:
        """Reserve `estimate_usd` for a call, or raise BudgetReached (and stay exhausted)."""
        if self.exhausted or self.spent_usd + self.in_flight_usd + estimate_usd > self.limit_usd:
            self.exhausted = True
            if self.refused_estimate_usd is None:
                self.refused_estimate_usd = estimate_usd
            raise BudgetReached
        self.in_flight_usd += estimate_usd

    def settle(self, model: str, estimate_usd: float, cost_usd: float, calls: int,
               seconds: float) -> None:
        """Replace a call's reservation by what it cost; learn the model's time per call."""
        self.in_flight_usd = max(0.0, self.in_flight_usd - estimate_usd)
        self.spent_usd += cost_usd
        timing = self._time.setdefault(model, _ModelTime())
        timing.calls += calls
        timing.seconds += seconds

    def reserve(self, model: str, requests: Sequence[Request]) -> float:
        """Admit the calls' estimate (the runner's SpendingCap protocol); returns it."""
        estimate = self.estimate(model, requests)
        self.admit(estimate)
        return estimate

    def charge(self, model: str, reservation: float, completions: Sequence[Completion]) -> None:
        """Settle a reservation with the completions' cost from their measured usage."""
        cost = self.rates[model].cost(completions) if model in self.rates else None
        self.settle(model, reservation, cost or 0.0, len(completions),
                    wall_seconds(c.timing for c in completions))

    def release(self, estimate_usd: float) -> None:
        """A call that failed: nothing measured, so nothing is charged."""
        self.in_flight_usd = max(0.0, self.in_flight_usd - estimate_usd)
