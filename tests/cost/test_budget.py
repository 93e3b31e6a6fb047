"""--max-cost: the runner stops before a call that would go over, keeps what finished, and a
rerun with a higher cap resumes. Uses the scripted provider of tests/helpers/fakes.py."""

import asyncio
from pathlib import Path

import pytest

from bakeoff.cost import Budget, BudgetReached, Rates
from bakeoff.engine.runner import ModelSlot, Runner
from bakeoff.store import Store
from bakeoff.types import GenerationConfig, GenerationRequest
from tests.helpers.fakes import EchoBenchmark, ScriptedProvider

# Each echo call: estimate = (ceil(5 chars / 4) = 2 input + max_tokens 4 output) x 0.1 $/token
# = $0.6; measured = (2 input + 1 output) x 0.1 = $0.3.
RATES = Rates(input_per_mtok=100_000.0, output_per_mtok=100_000.0)


def run_with_budget(store: Store, run_id: int, provider: ScriptedProvider, limit: float,
                    bench: EchoBenchmark, concurrency: int = 1) -> Budget:
    budget = Budget(limit, {"m": RATES})
    runner = Runner(store, run_id, budget=budget)
    slot = ModelSlot("m", provider, "scripted|m", concurrency)
    asyncio.run(runner.run([slot], {"echo": (bench, bench.samples)}))
    return budget


def test_the_run_stops_before_the_call_that_would_go_over(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    provider = ScriptedProvider(set())
    budget = run_with_budget(store, run_id, provider, 1.0, EchoBenchmark(5))
    assert len(provider.calls) == 2
    assert budget.exhausted
    assert budget.spent_usd == pytest.approx(0.6)
    assert budget.refused_estimate_usd == pytest.approx(0.6)
    assert len(store.scores(run_id)) == 2 and store.errors(run_id) == []


def test_a_rerun_with_a_higher_cap_asks_only_for_the_rest(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    bench = EchoBenchmark(5)
    run_with_budget(store, run_id, ScriptedProvider(set()), 1.0, bench)
    resumed = ScriptedProvider(set())
    budget = run_with_budget(store, run_id, resumed, 10.0, bench)
    assert len(resumed.calls) == 3 and not budget.exhausted
    assert budget.spent_usd == pytest.approx(0.9)
    assert len(store.scores(run_id)) == 5


def test_calls_in_flight_are_reserved_so_concurrency_cannot_overshoot(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    provider = ScriptedProvider(set())
    budget = run_with_budget(store, run_id, provider, 1.3, EchoBenchmark(8), concurrency=4)
    # Two $0.6 reservations fit under $1.3; a third would not, whatever the concurrency.
    assert len(provider.calls) == 2
    assert budget.spent_usd <= 1.3


def test_a_failed_call_releases_its_reservation_and_charges_nothing() -> None:
    budget = Budget(1.0, {"m": RATES})
    budget.admit(0.6)
    budget.release(0.6)
    assert budget.in_flight_usd == 0.0 and budget.spent_usd == 0.0
    budget.admit(1.0)
    with pytest.raises(BudgetReached):
        budget.admit(0.01)
    assert budget.exhausted


def test_a_zero_cap_admits_no_call_of_a_model_priced_by_the_hour() -> None:
    budget = Budget(limit_usd=0.0, rates={"local": Rates(per_hour=0.0864)})
    with pytest.raises(BudgetReached):
        budget.reserve("local", [GenerationRequest(prompt="hi", config=GenerationConfig())])
    assert budget.exhausted
