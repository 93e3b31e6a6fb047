"""Who carries out a run's work: the Executor interface and the local executor.

An executor gets a run's job (its store, models and tasks) and scores every item of every task
with every model, skipping what the run already scored, committing results as they come. It
returns what it did (RunCounts). On Ctrl-C or SIGTERM it stops taking work, marks the run
interrupted and raises KeyboardInterrupt(run_id): what finished is stored and a rerun resumes.

`LocalExecutor` runs everything in this process on one asyncio loop (bakeoff.engine.runner).
`RayExecutor` (bakeoff.engine.ray_executor, imported only when chosen) spreads shards of the
work over the worker processes of a Ray cluster.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Protocol

from bakeoff.config import ModelConfig
from bakeoff.engine.plan import Tasks
from bakeoff.engine.runner import ModelSlot, ProgressSink, RunCounts, Runner
from bakeoff.engine.spending import SpendingCap
from bakeoff.store import Store


@dataclass(frozen=True)
class Job:
    """One run's work as an executor receives it."""

    store: Store  # the caller's connection, for this process only
    location: str | Path  # where other processes open the same store
    run_id: int
    models: Sequence[ModelConfig]
    tasks: Tasks


class ExecutorError(Exception):
    """The executor cannot do the run: a cluster out of reach, an option it does not take, a
    shard that kept killing its workers. One line for the user."""


class Executor(Protocol):
    def execute(self, job: Job, progress: ProgressSink | None,
                budget: SpendingCap | None) -> RunCounts:
        """Score what the run has not scored yet; KeyboardInterrupt(run_id) when stopped."""
        ...


class LocalExecutor:
    """The run in this process: one asyncio runner for every model."""

    def execute(self, job: Job, progress: ProgressSink | None,
                budget: SpendingCap | None) -> RunCounts:
        runner = Runner(job.store, job.run_id, progress, budget)

        async def main() -> RunCounts:
            _stop_on_signals(runner)
            slots = [model_slot(model) for model in job.models]
            try:
                return await runner.run(slots, job.tasks.benchmarks, job.tasks.trials)
            finally:
                await asyncio.gather(*(slot.provider.aclose() for slot in slots))

        counts = RunCounts()
        try:
            counts = asyncio.run(main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            runner.request_stop()
        if runner.stopping:
            interrupted(job)
        return counts


def interrupted(job: Job) -> NoReturn:
    """Mark the run interrupted and say so to the caller (KeyboardInterrupt(run_id))."""
    job.store.set_run_status(job.run_id, "interrupted")
    raise KeyboardInterrupt(job.run_id)


def model_slot(model: ModelConfig) -> ModelSlot:
    """The model as the runner sees it, its provider built (a GGUF model is loaded here)."""
    return ModelSlot(name=model.name, provider=model.build(), identity=model.identity(),
                     concurrency=model.concurrency, context_window=model.context_window())


def add_counts(total: RunCounts, part: RunCounts) -> None:
    """Add what one part of the work did to the run's total."""
    total.calls += part.calls
    total.cache_hits += part.cache_hits
    total.scored += part.scored
    total.errors += part.errors
    for model, calls in part.by_model.items():
        total.by_model[model] = total.by_model.get(model, 0) + calls


def _stop_on_signals(runner: Runner) -> None:
    """Ctrl-C or SIGTERM: stop taking work and cancel what is in flight.

    The stop flag makes the outcome certain even when a library swallows a cancellation
    (an HTTP client may turn it into a connection error that would otherwise be retried).
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def stop() -> None:
        runner.request_stop()
        if task is not None:
            task.cancel()

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop)
