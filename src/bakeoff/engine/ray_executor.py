"""The Ray executor: a run's work spread over the worker processes of a Ray cluster.

The work is cut into shards (one model x one task x up to `shard_size` items). Workers are
long-lived Ray actors, one per worker process, so a GGUF model runs one engine per process and
loads once. Each builds a model's provider from its (pickled) ModelConfig, opens the store
itself (bakeoff.store.open_store) and runs the ordinary runner (bakeoff.engine.runner) on a
shard: completions already stored are not sent again, items the run already scored are
skipped, and results are committed as they come. The driver keeps only the shards' counts.

A worker process that dies (killed, out of memory) is restarted by Ray; the driver puts its
unfinished shards back in the queue, and their rerun skips whatever the dead worker had
committed. A request that was in flight at the death has no stored answer, so it is sent again;
nothing stored is ever requested twice. A shard that kills its worker `RETRIES` times ends the
run with an error.

Limits hold across workers: the calls of every model served over HTTP take permits from one
actor per endpoint (bakeoff.engine.shared_limits): the model's `concurrency` and the endpoint's
`requests_per_minute` / `tokens_per_minute` hold for all workers together. In-process models
are not limited across workers: each worker process has its own engine.

Ray is imported with this module, which is imported only when `--executor ray` is chosen.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from bakeoff.config import ModelConfig
from bakeoff.engine.executor import ExecutorError, Job, add_counts, interrupted, model_slot
from bakeoff.engine.plan import Tasks
from bakeoff.engine.runner import ModelSlot, ProgressSink, RunCounts, Runner, TrialUnit, WorkUnit
from bakeoff.engine.shared_limits import Caps, EndpointLimits, LimitedProvider
from bakeoff.engine.spending import SpendingCap
from bakeoff.store import Store, open_store

SHARD_SIZE = 16  # items per shard: small enough to balance workers, large enough to amortise
SHARDS_PER_WORKER = 2  # a worker starts its next shard while the tail of one finishes
RETRIES = 3  # times a shard is re-queued after its worker died
POLL_S = 0.5  # how often the driver looks up from waiting (Ctrl-C is handled between waits)
RESTART_WAIT_S = 300.0  # how long a dead worker may take to be restarted
CANCEL_WAIT_S = 10.0  # on Ctrl-C, how long cancelled shards get to commit what they answered
REACH_WAIT_S = 5.0  # for --ray-address to accept a connection


@dataclass(frozen=True)
class Shard:
    model: str
    task: str
    item_ids: tuple[str, ...]


@dataclass
class ShardResult:
    counts: RunCounts
    done_before: int  # items of the shard the run had scored before the shard started


@dataclass
class _Running:
    shard: Shard
    worker: int
    accounted: int  # items of the shard already counted done in the progress bars


@dataclass
class _Driver:
    """The driver's state: the queue of shards and what runs where."""

    queue: deque[tuple[Shard, int]]  # (shard, items of it already shown as done)
    workers: list[Any]
    holders: list[str]
    limiters: list[Any]
    progress: ProgressSink | None
    tasks: Any  # the tasks' reference in Ray's object store
    running: dict[Any, _Running] = field(default_factory=dict)
    deaths: dict[Shard, int] = field(default_factory=dict)
    counts: RunCounts = field(default_factory=RunCounts)


class RayExecutor:
    """Run shards on a Ray cluster: the one at `address`, else a local Ray of `workers`
    processes started for the run (and stopped after it)."""

    def __init__(self, address: str | None = None, workers: int | None = None,
                 shard_size: int = SHARD_SIZE) -> None:
        self.address = address
        self.workers = workers
        self.shard_size = shard_size

    def execute(self, job: Job, progress: ProgressSink | None,
                budget: SpendingCap | None) -> RunCounts:
        if budget is not None:
            raise ExecutorError("--max-cost is not available with --executor ray")
        with self._cluster() as workers, _interrupts_as_keyboard():
            driver = None
            try:
                driver = self._start(job, workers, progress)
                _drive(driver)
                return driver.counts
            except KeyboardInterrupt:
                if driver is not None:
                    _cancel(driver)
                interrupted(job)
            finally:
                if driver is not None:
                    _stop(driver)

    @contextmanager
    def _cluster(self) -> Iterator[int]:
        """Connect (or start a local Ray); yields the number of workers to start."""
        started = not ray.is_initialized()
        if started:
            try:
                if self.address is None:
                    ray.init(num_cpus=self.workers or os.cpu_count() or 1,
                             include_dashboard=False, log_to_driver=False,
                             configure_logging=False)
                else:
                    _check_reachable(self.address)
                    ray.init(address=self.address, log_to_driver=False,
                             configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                what = f"--ray-address {self.address}: cannot connect" if self.address \
                    else "a local Ray could not start"
                raise ExecutorError(f"{what}: {_first_line(str(error))}") from None
        try:
            cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
            yield self.workers or max(1, int(cpus))
        finally:
            if started:
                ray.shutdown()

    def _start(self, job: Job, count: int, progress: ProgressSink | None) -> _Driver:
        """Start the limiters and the workers; queue the shards."""
        shown = _start_progress(job, progress)
        limiters, by_model = _limiters(job.run_id, job.models)
        tasks = ray.put(job.tasks)
        models = {model.name: model for model in job.models}
        workers: list[Any] = [
            _ShardWorker.remote(str(job.location), job.run_id, models, by_model)
            for _ in range(count)]
        holders = ray.get([worker.holder.remote() for worker in workers])
        queue: deque[tuple[Shard, int]] = deque()
        for shard in plan_shards(job.models, job.tasks, self.shard_size):
            done = len(shown[(shard.model, shard.task)] & set(shard.item_ids))
            if done < len(shard.item_ids):  # a resumed run skips the shards it finished
                queue.append((shard, done))
        return _Driver(queue, workers, holders, limiters, progress, tasks)


def plan_shards(models: Sequence[ModelConfig], tasks: Tasks, size: int) -> list[Shard]:
    """Every (model, task) cut into shards of `size` items, models interleaved so that they
    progress together. For an in-process model a task's items go in prompt order, as the local
    runner sends them, so neighbours that share a prefix land in one shard."""
    cuts: list[Shard] = []
    for task in [*tasks.benchmarks, *tasks.trials]:
        for model in models:
            ids = _item_ids(tasks, task, in_process=model.abilities().in_process)
            cuts += [Shard(model.name, task, tuple(ids[at:at + size]))
                     for at in range(0, len(ids), size)]
    by_model = {model.name: [s for s in cuts if s.model == model.name] for model in models}
    longest = max((len(shards) for shards in by_model.values()), default=0)
    return [shards[at] for at in range(longest) for shards in by_model.values()
            if at < len(shards)]


def _item_ids(tasks: Tasks, task: str, *, in_process: bool) -> list[str]:
    units: list[WorkUnit | TrialUnit]
    if task in tasks.benchmarks:
        benchmark, samples = tasks.benchmarks[task]
        units = [WorkUnit(task, benchmark, sample) for sample in samples]
    else:
        trial, cases = tasks.trials[task]
        units = [TrialUnit(task, trial, case) for case in cases]
    ordered = sorted(units, key=lambda u: u.order) if in_process else units
    return [u.case.id if isinstance(u, TrialUnit) else u.sample.id for u in ordered]


def _start_progress(job: Job, progress: ProgressSink | None) -> dict[tuple[str, str], set[str]]:
    """Start each (model, task) bar; returns the items the run had scored already."""
    scored: dict[tuple[str, str], set[str]] = {}
    for task, items in job.tasks.samples().items():
        for model in job.models:
            done = job.store.scored_sample_ids(job.run_id, model.name, task)
            scored[(model.name, task)] = done
            if progress is not None:
                ids = {item.id for item in items}
                progress.start(model.name, task, len(items), len(done & ids))
    return scored


def _limiters(run_id: int, models: Sequence[ModelConfig]) -> tuple[list[Any], dict[str, Any]]:
    """One limits actor per endpoint that HTTP models share; each model's actor by name."""
    endpoints: dict[tuple[str, str | None], list[ModelConfig]] = {}
    for model in models:
        url = model.server_url()
        if url is not None and not model.abilities().in_process:
            key = (url.rstrip("/"), getattr(model, "api_key_env", None))
            endpoints.setdefault(key, []).append(model)
    actors: list[Any] = []
    by_model: dict[str, Any] = {}
    for number, group in enumerate(endpoints.values()):
        caps = Caps({m.name: m.concurrency for m in group},
                    _lowest(getattr(m, "requests_per_minute", None) for m in group),
                    _lowest(getattr(m, "tokens_per_minute", None) for m in group))
        actor = _Limiter.options(name=f"bakeoff-run{run_id}-limits{number}-{uuid.uuid4().hex}",
                                 num_cpus=0).remote(caps)
        actors.append(actor)
        by_model.update((m.name, actor) for m in group)
    return actors, by_model


def _lowest(values: Iterator[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return min(known) if known else None


def _drive(driver: _Driver) -> None:
    """Keep every worker busy until every shard is done."""
    while driver.queue or driver.running:
        _submit(driver)
        ready, _ = ray.wait(list(driver.running), num_returns=1, timeout=POLL_S)
        for ref in ready:
            _settle(driver, ref)


def _submit(driver: _Driver) -> None:
    busy = [0] * len(driver.workers)
    for running in driver.running.values():
        busy[running.worker] += 1
    for index, worker in enumerate(driver.workers):
        while driver.queue and busy[index] < SHARDS_PER_WORKER:
            shard, accounted = driver.queue.popleft()
            # The tasks go in a list, so that Ray hands the worker their reference, which it
            # resolves once (a restarted worker again), not their value with every shard.
            ref = worker.run_shard.remote(shard, [driver.tasks])
            driver.running[ref] = _Running(shard, index, accounted)
            busy[index] += 1


def _settle(driver: _Driver, ref: Any) -> None:
    """Count a finished shard; re-queue one whose worker died."""
    running = driver.running.pop(ref)
    try:
        result: ShardResult = ray.get(ref)
    except RayActorError:
        _worker_died(driver, running)
        return
    except RayTaskError as error:
        raise error.as_instanceof_cause() from None  # type: ignore[no-untyped-call]
    add_counts(driver.counts, result.counts)
    # Items a dead worker scored before it died were scored by this run too.
    lost_count = result.done_before - running.accounted
    driver.counts.scored += lost_count
    if driver.progress is not None:
        shard = running.shard
        for _ in range(lost_count + result.counts.scored):
            driver.progress.advance(shard.model, shard.task, error=False)
        for _ in range(result.counts.errors):
            driver.progress.advance(shard.model, shard.task, error=True)


def _worker_died(driver: _Driver, running: _Running) -> None:
    """Free the dead process's permits; queue its shard again (its rerun skips what the dead
    worker committed)."""
    shard = running.shard
    deaths = driver.deaths[shard] = driver.deaths.get(shard, 0) + 1
    if deaths > RETRIES:
        raise ExecutorError(f"{shard.model} on {shard.task}: a worker died {deaths} times on "
                            f"items {shard.item_ids[0]}..{shard.item_ids[-1]}")
    dead = driver.holders[running.worker]
    for limiter in driver.limiters:
        limiter.forget.remote(dead)
    try:  # asked once the worker is back
        driver.holders[running.worker] = ray.get(
            driver.workers[running.worker].holder.remote(), timeout=RESTART_WAIT_S)
    except GetTimeoutError:
        raise ExecutorError(f"a Ray worker did not come back within {RESTART_WAIT_S:.0f} s "
                            "of its death; is the cluster short of CPUs?") from None
    except RayActorError:
        pass  # died again at once: its next shard's failure says so
    driver.queue.appendleft((shard, running.accounted))


def _cancel(driver: _Driver) -> None:
    """Ctrl-C: cancel every shard; each commits what it answered before it stops."""
    driver.queue.clear()
    for ref in driver.running:
        ray.cancel(ref)
    ray.wait(list(driver.running), num_returns=len(driver.running), timeout=CANCEL_WAIT_S)


def _stop(driver: _Driver) -> None:
    """Close the workers' providers, then end the workers and the limiters."""
    closing = [worker.close.remote() for worker in driver.workers]
    with suppress(RayActorError, RayTaskError, GetTimeoutError):
        ray.get(closing, timeout=CANCEL_WAIT_S)
    for actor in [*driver.workers, *driver.limiters]:
        ray.kill(actor)


@contextmanager
def _interrupts_as_keyboard() -> Iterator[None]:
    """SIGTERM stops the driver as Ctrl-C does."""
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may take signals
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_reachable(address: str) -> None:
    """Fail at once where nothing listens at a HOST:PORT address (Ray retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", or another form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=REACH_WAIT_S).close()
    except OSError as error:
        raise ExecutorError(f"--ray-address {address}: no Ray cluster answers there "
                            f"({error.strerror or error})") from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no reason given"


class _ShardProgress:
    """What the runner of one shard found done before it started."""

    def __init__(self) -> None:
        self.done_before = 0

    def start(self, model: str, benchmark: str, total: int, done: int) -> None:
        self.done_before += done

    def advance(self, model: str, benchmark: str, *, error: bool) -> None:
        pass


class _Permits:
    """One worker's way to a model's limits actor (bakeoff.engine.shared_limits.Permits)."""

    def __init__(self, limiter: Any, model: str, holder: str) -> None:
        self.limiter = limiter
        self.model = model
        self.holder = holder

    async def acquire(self, requests: int) -> None:
        wait_s: float = await self.limiter.acquire.remote(self.model, self.holder, requests)
        if wait_s > 0:
            await asyncio.sleep(wait_s)

    def release(self, tokens: int | None) -> None:
        self.limiter.release.remote(self.model, self.holder, tokens)


class ShardWorker:
    """One worker process: runs shards with the models it built (each built once)."""

    def __init__(self, location: str, run_id: int, models: dict[str, ModelConfig],
                 limiters: dict[str, Any]) -> None:
        self.location = location
        self.run_id = run_id
        self.tasks: Tasks | None = None  # fetched with the first shard
        self.models = models
        self.limiters = limiters
        # Who holds this process's permits; a restarted worker is a new holder.
        self.holder_id = f"{os.getpid()}-{uuid.uuid4().hex}"
        self.slots: dict[str, ModelSlot] = {}
        # Opened with the first shard and shared by the shards this process runs at once:
        # they take turns on its one event loop, as the local runner's models share a store.
        self.store: Store | None = None

    async def holder(self) -> str:
        return self.holder_id

    async def pid(self) -> int:
        return os.getpid()

    async def run_shard(self, shard: Shard, tasks: list[Any]) -> ShardResult:
        if self.tasks is None:
            self.tasks = await tasks[0]
        slot = self._slot(shard.model)
        if self.store is None:
            self.store = open_store(self.location)
        sink = _ShardProgress()
        runner = Runner(self.store, self.run_id, sink)
        ids = set(shard.item_ids)
        if shard.task in self.tasks.benchmarks:
            benchmark, samples = self.tasks.benchmarks[shard.task]
            work = {shard.task: (benchmark, [s for s in samples if s.id in ids])}
            counts = await runner.run([slot], work)
        else:
            trial, cases = self.tasks.trials[shard.task]
            trials = {shard.task: (trial, [c for c in cases if c.id in ids])}
            counts = await runner.run([slot], {}, trials)
        return ShardResult(counts, sink.done_before)

    async def close(self) -> None:
        await asyncio.gather(*(slot.provider.aclose() for slot in self.slots.values()))
        if self.store is not None:
            self.store.close()

    def _slot(self, name: str) -> ModelSlot:
        """The model's slot, built on first use (a GGUF model loads once per process)."""
        if name not in self.slots:
            slot = model_slot(self.models[name])
            limiter = self.limiters.get(name)
            if limiter is not None:
                slot.provider = LimitedProvider(slot.provider,
                                                _Permits(limiter, name, self.holder_id))
            self.slots[name] = slot
        return self.slots[name]


# A dead worker is restarted (its queued calls fail, and the driver re-queues their shards).
_ShardWorker = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(ShardWorker)
_Limiter = ray.remote(EndpointLimits)


__all__ = ["SHARD_SIZE", "ExecutorError", "RayExecutor", "Shard", "ShardWorker",
           "plan_shards"]
