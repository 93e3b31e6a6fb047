"""Cost: prices per 1M tokens and per hour, a run's cost, cost per 1,000 correct answers,
estimates before a run and a spending cap during one."""

from bakeoff.catalog.card import blended_price
from bakeoff.cost.budget import Budget, BudgetReached, estimated_input_tokens
from bakeoff.cost.pricing import Rates, rates_for, rates_from_plan, usage_cost, wall_seconds
from bakeoff.cost.run import BenchmarkCost, ModelCost, run_costs

__all__ = ["BenchmarkCost", "Budget", "BudgetReached", "ModelCost", "Rates", "blended_price",
           "estimated_input_tokens", "rates_for", "rates_from_plan", "run_costs", "usage_cost",
           "wall_seconds"]
