"""Cost: prices per 1M tokens and per hour, estimates before a run and a spending cap during
one. A run's cost and cost per 1,000 correct answers are the report's Comparison's
(bakeoff.report.comparison), computed there once."""

from bakeoff.catalog.card import blended_price
from bakeoff.cost.budget import Budget, BudgetReached, estimated_input_tokens
from bakeoff.cost.pricing import (
    Rates,
    rates_for,
    rates_from_plan,
    rates_of,
    usage_cost,
    wall_seconds,
)

__all__ = ["Budget", "BudgetReached", "Rates", "blended_price", "estimated_input_tokens",
           "rates_for", "rates_from_plan", "rates_of", "usage_cost", "wall_seconds"]
