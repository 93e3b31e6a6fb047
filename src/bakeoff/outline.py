"""What a run is about to do, said before it starts: the models, the tasks, the items, and
roughly how long it will take, from what the store measured before.

The time of an item is what it cost when a model answered it before: the summed latency of its
completions, divided by the model's concurrency (the requests it has in flight at once). Where
the store holds earlier scores of the model on that task, those are used; else the model's
mean over its other tasks; else its latest speed run (wall time per request at the closest
concurrency). With none of these the model's time is unknown, and so is the run's. Models
that run in this process share the machine, so their times add up; models behind an API run
at the same time, so the run takes as long as the slowest of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from bakeoff.config import ModelConfig
from bakeoff.store import Store

# Items per (model, task) read back to measure it: enough for a stable mean, and quick.
SAMPLED_ITEMS = 200


@dataclass(frozen=True)
class ModelEstimate:
    model: str
    seconds: float | None  # None: nothing measured for this model
    source: str  # "earlier runs", "speed run N", "unknown"


@dataclass(frozen=True)
class Outline:
    models: tuple[str, ...]
    benchmarks: int
    trials: int
    items: int  # per model: benchmark items plus trial cases
    done: int  # items scored already (a resumed run), all models together
    estimates: tuple[ModelEstimate, ...]
    seconds: float | None  # the whole run; None when any model's time is unknown
    # A finished run of the same plan: its stored answers are reused, no model is called.
    same_as: int | None = None

    def line(self) -> str:
        """'plan: 3 models (a, b, c) × 2 benchmarks and 25 trials, 1,234 items each
        (3,702 in all); time: about 12 min (from earlier runs)'."""
        count = len(self.models)
        tasks = _plural(self.benchmarks, "benchmark") + (
            f" and {_plural(self.trials, 'trial')}" if self.trials else "")
        return (f"plan: {_plural(count, 'model')} ({', '.join(self.models)}) × {tasks}, "
                f"{self.items:,} items each ({self.items * count:,} in all"
                + (f", {self.done:,} scored already" if self.done else "")
                + f"); time: {self.time_text()}")

    def time_text(self) -> str:
        if self.same_as is not None:
            return f"seconds (run {self.same_as} asked the same: its stored answers are reused)"
        if self.seconds is None:
            unknown = [e.model for e in self.estimates if e.seconds is None]
            return f"unknown (no earlier run or speed run of {', '.join(unknown)})"
        sources = sorted({e.source for e in self.estimates})
        return f"about {duration(self.seconds)} (from {', '.join(sources)})"


def outline(store: Store | None, models: tuple[ModelConfig, ...], items: dict[str, int],
            trials: set[str], done: dict[tuple[str, str], int] | None = None,
            plan_hash: str | None = None) -> Outline:
    """The outline of a run of `models` on `items` (task -> items per model); `done`: (model,
    task) -> items a resumed run scored already (not timed again); `plan_hash`: the run's, to
    find a finished run of the same plan."""
    done = done or {}
    same_as = None if store is None or plan_hash is None else next(
        (run.id for run in reversed(store.runs())
         if run.plan_hash == plan_hash and run.status == "finished"), None)
    measured = _seconds_per_item(store, {m.name for m in models}, set(items))
    estimates = tuple(
        _estimate(store, m, {task: n - done.get((m.name, task), 0) for task, n in items.items()},
                  measured.get(m.name, {}))
        for m in models)
    return Outline(models=tuple(m.name for m in models),
                   benchmarks=len([t for t in items if t not in trials]),
                   trials=len([t for t in items if t in trials]),
                   items=sum(items.values()), done=sum(done.values()), estimates=estimates,
                   seconds=_run_seconds(models, estimates), same_as=same_as)


def duration(seconds: float) -> str:
    """'40 s', '12 min', '1 h 25 min': as precise as an estimate deserves."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _estimate(store: Store | None, model: ModelConfig, items: dict[str, int],
              per_task: dict[str, float]) -> ModelEstimate:
    if per_task:
        fallback = sum(per_task.values()) / len(per_task)
        seconds = sum(n * per_task.get(task, fallback) for task, n in items.items())
        return ModelEstimate(model.name, seconds / model.concurrency, "earlier runs")
    speed = None if store is None else _speed_run_seconds(store, model)
    if speed is not None:
        per_request, run_id = speed
        return ModelEstimate(model.name, per_request * sum(items.values()),
                             f"speed run {run_id}")
    return ModelEstimate(model.name, None, "unknown")


def _run_seconds(models: tuple[ModelConfig, ...],
                 estimates: tuple[ModelEstimate, ...]) -> float | None:
    if any(e.seconds is None for e in estimates):
        return None
    # No server URL: the model runs in this process (and shares its machine).
    local = [e.seconds or 0.0 for m, e in zip(models, estimates, strict=True)
             if m.server_url() is None]
    remote = [e.seconds or 0.0 for m, e in zip(models, estimates, strict=True)
              if m.server_url() is not None]
    return max([sum(local), *remote])


def _seconds_per_item(store: Store | None, models: set[str],
                      tasks: set[str]) -> dict[str, dict[str, float]]:
    """model -> task -> busy seconds of one item (summed latencies), from the newest run that
    scored the model on the task (trials included: their cases are scored like items)."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    if store is None:
        return found
    for run in reversed(store.runs()):
        if all(tasks <= set(found[model]) for model in models):
            break
        if not models & {m.get("name") for m in run.plan.get("models", [])}:
            continue
        keys: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for score in store.scores(run.id):
            if score.model not in models or score.benchmark in found[score.model]:
                continue
            by_item = keys[(score.model, score.benchmark)]
            if len(by_item) < SAMPLED_ITEMS or score.sample_id in by_item:
                by_item[score.sample_id].update(score.completion_keys)
        for (model, task), by_item in keys.items():
            seconds = _busy_seconds(store, by_item)
            if seconds is not None:
                found[model][task] = seconds
    return {model: per_task for model, per_task in found.items() if per_task}


def _busy_seconds(store: Store, by_item: dict[str, set[str]]) -> float | None:
    completions = store.completions(sorted({k for keys in by_item.values() for k in keys}))
    per_item = [sum(completions[k].timing.latency_s for k in keys if k in completions)
                for keys in by_item.values() if keys]
    return sum(per_item) / len(per_item) if per_item else None


def _speed_run_seconds(store: Store, model: ModelConfig) -> tuple[float, int] | None:
    """Wall seconds per request in the model's latest speed run, at the concurrency level
    closest to the model's own."""
    for run in reversed(store.speed_runs()):
        levels = [lv for lv in store.speed_levels(run.id)
                  if lv.model == model.name and lv.mode == "concurrency" and lv.requests
                  and lv.concurrency]
        if levels:
            level = min(levels, key=lambda lv: abs((lv.concurrency or 1) - model.concurrency))
            return level.wall_s / level.requests, run.id
    return None


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
