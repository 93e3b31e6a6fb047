"""The runner: an asyncio work queue per model, with the store as its memory.

Each model gets `concurrency` workers pulling units from its own queue: a (benchmark, sample)
is answered and scored in one step; a (trial, case) is a chat of one or more turns
(bakeoff.engine.chat) whose transcript is stored beside its checks.
Models run in-process take turns on one llama thread (providers/llama_cpp/provider.py), so on
a laptop they never thrash the cores; their `concurrency` is how many requests they decode
together. Before a call, the runner looks the request up in the store; after it, the
completion is committed at once: a benchmark sample's completions together with its scores,
a trial's turn by turn. Samples answered at the same moment share one transaction: a scored
sample waits one turn of the event loop for the others, and no request is sent while an
answered sample is not committed, so a kill loses only the requests in flight. A sample
already scored in this run is skipped, so a run that was interrupted (Ctrl-C, kill -9)
resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from bakeoff.benchmarks.base import Benchmark
from bakeoff.engine.chat import run_chat
from bakeoff.engine.spending import SpendingCap, SpendingCapReached
from bakeoff.providers.base import Provider
from bakeoff.store import NewCompletion, ScoredSample, Store
from bakeoff.trials.base import Case, Trial
from bakeoff.types import (
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    ProviderError,
    Request,
    Sample,
    Score,
    Timing,
    Usage,
    request_key,
)


class ProgressSink(Protocol):
    def start(self, model: str, benchmark: str, total: int, done: int) -> None: ...

    def advance(self, model: str, benchmark: str, *, error: bool) -> None: ...


class SilentProgress:
    def start(self, model: str, benchmark: str, total: int, done: int) -> None:
        pass

    def advance(self, model: str, benchmark: str, *, error: bool) -> None:
        pass


@dataclass
class ModelSlot:
    """A model as the runner sees it: its name, provider, cache identity and limits."""

    name: str
    provider: Provider
    identity: str
    concurrency: int
    # The window a trial case must fit (cases longer than it are recorded as not run).
    context_window: int | None = None

    @property
    def in_process(self) -> bool:
        return self.provider.abilities.in_process


@dataclass(frozen=True)
class WorkUnit:
    benchmark_name: str
    benchmark: Benchmark
    sample: Sample

    @property
    def order(self) -> str:
        return self.sample.input


@dataclass(frozen=True)
class TrialUnit:
    benchmark_name: str
    trial: Trial
    case: Case

    @property
    def order(self) -> str:
        return "\n".join(m.content for m in self.case.messages)


Unit = WorkUnit | TrialUnit


class _Ordered(Protocol):
    @property
    def order(self) -> str: ...


_U = TypeVar("_U", bound=_Ordered)
Work = dict[str, tuple[Benchmark, list[Sample]]]
TrialWork = dict[str, tuple[Trial, list[Case]]]


@dataclass
class RunCounts:
    """What one execution did: calls made, calls answered from the store, samples, errors."""

    calls: int = 0
    cache_hits: int = 0
    scored: int = 0
    errors: int = 0
    by_model: dict[str, int] = field(default_factory=dict)


class Runner:
    def __init__(self, store: Store, run_id: int, progress: ProgressSink | None = None,
                 budget: SpendingCap | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.progress = progress or SilentProgress()
        # A spending cap (--max-cost): once a call would exceed it, workers stop taking work.
        self.budget = budget
        self.counts = RunCounts()
        self.stopping = False
        # Scored samples not committed yet (see the module docstring).
        self._unsaved: list[ScoredSample] = []

    def request_stop(self) -> None:
        """Take no new work (Ctrl-C): units in flight finish or are cancelled, nothing is lost."""
        self.stopping = True

    async def run(self, slots: Sequence[ModelSlot], work: Work,
                  trials: TrialWork | None = None) -> RunCounts:
        """Score every sample of every benchmark and every case of every trial with every
        model; skip what is done."""
        try:
            await asyncio.gather(*(self._run_model(slot, work, trials or {}) for slot in slots))
        finally:
            self._save()
        return self.counts

    async def _run_model(self, slot: ModelSlot, work: Work, trials: TrialWork) -> None:
        queue: asyncio.Queue[Unit] = asyncio.Queue()
        units: list[list[Unit]] = [
            [WorkUnit(name, benchmark, sample) for sample in samples]
            for name, (benchmark, samples) in work.items()]
        units += [[TrialUnit(name, trial, case) for case in cases]
                  for name, (trial, cases) in trials.items()]
        for group in units:
            todo = self._todo(slot, group)
            for unit in kv_cache_order(todo) if slot.in_process else todo:
                queue.put_nowait(unit)
        workers = [asyncio.create_task(self._worker(slot, queue))
                   for _ in range(slot.concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()

    def _todo(self, slot: ModelSlot, group: list[Unit]) -> list[Unit]:
        """The units of one task not yet scored in this run (progress starts from the rest)."""
        if not group:
            return []
        name = group[0].benchmark_name
        done = self.store.scored_sample_ids(self.run_id, slot.name, name)
        todo = [u for u in group if _item_id(u) not in done]
        self.progress.start(slot.name, name, len(group), len(group) - len(todo))
        return todo

    async def _worker(self, slot: ModelSlot, queue: asyncio.Queue[Unit]) -> None:
        while (not queue.empty() and not self.stopping
               and not (self.budget and self.budget.exhausted)):
            unit = queue.get_nowait()
            try:
                failed = await self._process(slot, unit)
            except SpendingCapReached:
                return
            self.progress.advance(slot.name, unit.benchmark_name, error=failed)

    async def _process(self, slot: ModelSlot, unit: Unit) -> bool:
        """Answer and score one unit; return True when it ended in an error record."""
        if isinstance(unit, TrialUnit):
            return await self._process_trial(slot, unit)
        abilities = slot.provider.abilities
        benchmark = unit.benchmark
        requests = benchmark.requests(unit.sample, abilities)
        keys = [request_key(slot.provider.kind, slot.identity, r) for r in requests]
        try:
            completions, fresh = await self._answer(slot, requests, keys)
        except ProviderError as error:
            self.store.put_error(self.run_id, slot.name, unit.benchmark_name, unit.sample.id,
                                 error.record())
            self.counts.errors += 1
            return True
        try:
            scores = benchmark.score_all(unit.sample, completions)
        except BaseException:
            self._store_completions(fresh)  # paid for: kept even when scoring fails
            raise
        self._unsaved.append(ScoredSample(self.run_id, slot.name, unit.benchmark_name,
                                          benchmark.mode_for(abilities), benchmark.info.shots,
                                          scores, keys, fresh))
        self.counts.scored += 1
        await asyncio.sleep(0)  # samples answered in this turn of the loop join the commit
        self._save()
        return False

    def _save(self) -> None:
        """Commit the scored samples not committed yet, in one transaction."""
        if self._unsaved:
            samples, self._unsaved = self._unsaved, []
            self.store.put_scored(samples)

    async def _process_trial(self, slot: ModelSlot, unit: TrialUnit) -> bool:
        """Talk one case through, check it, store scores and transcript."""
        trial, case = unit.trial, unit.case
        abilities = slot.provider.abilities

        async def complete(requests: Sequence[Request]) -> tuple[list[Completion], list[str]]:
            keys = [request_key(slot.provider.kind, slot.identity, r) for r in requests]
            return await self._complete(slot, requests, keys), keys

        try:
            _check_window(case, slot)
            result = await run_chat(trial, case, abilities, complete)
        except ProviderError as error:
            self.store.put_error(self.run_id, slot.name, unit.benchmark_name, case.id,
                                 error.record())
            self.counts.errors += 1
            return True
        scores = [Score(case.id, check.metric, check.value, check.reason)
                  for check in result.checks]
        self.store.put_trial_result(self.run_id, slot.name, unit.benchmark_name,
                                    trial.mode_for(abilities), scores, result.keys,
                                    result.transcript.messages)
        self.counts.scored += 1
        return False

    async def _complete(self, slot: ModelSlot, requests: Sequence[Request],
                        keys: Sequence[str]) -> list[Completion]:
        """The completions of `requests`, from the store or the model; new ones committed."""
        completions, fresh = await self._answer(slot, requests, keys)
        self._store_completions(fresh)
        return completions

    async def _answer(self, slot: ModelSlot, requests: Sequence[Request],
                      keys: Sequence[str]) -> tuple[list[Completion], list[NewCompletion]]:
        """The completions of `requests`, and those of them that are new (not stored yet)."""
        self._save()  # nothing is asked while an answered sample is uncommitted
        cached = self.store.completions(keys)
        self.counts.cache_hits += len(cached)
        missing = [(k, r) for k, r in zip(keys, requests, strict=True) if k not in cached]
        if not missing:
            return [cached[k] for k in keys], []
        answers = await self._budgeted_call(slot, [r for _, r in missing])
        fresh = [NewCompletion(key, slot.provider.kind, slot.identity, request, completion)
                 for (key, request), completion in zip(missing, answers, strict=True)]
        for new in fresh:
            cached[new.key] = new.completion
        return [cached[k] for k in keys], fresh

    def _store_completions(self, fresh: Sequence[NewCompletion]) -> None:
        for new in fresh:
            self.store.put_completion(new.key, new.provider, new.model_identity, new.request,
                                      new.completion)

    async def _budgeted_call(self, slot: ModelSlot,
                             requests: Sequence[Request]) -> list[Completion]:
        """`_call`, admitted by the spending cap first (SpendingCapReached when over it)."""
        if self.budget is None or not requests:
            return await self._call(slot, requests)
        reservation = self.budget.reserve(slot.name, requests)
        try:
            completions = await self._call(slot, requests)
        except BaseException:
            self.budget.release(reservation)
            raise
        self.budget.charge(slot.name, reservation, completions)
        return completions

    async def _call(self, slot: ModelSlot, requests: Sequence[Request]) -> list[Completion]:
        """Ask the provider; loglikelihood requests go in one batch so contexts are shared."""
        scoring = [r for r in requests if isinstance(r, LoglikelihoodRequest)]
        results: dict[int, Completion] = {}
        if scoring:
            started = time.time()
            logprobs = await slot.provider.loglikelihood(scoring)
            timing = Timing(started=started, finished=time.time())
            for scored, logprob in zip(scoring, logprobs, strict=True):
                results[id(scored)] = Completion(
                    text="", usage=Usage(0, 0, "none"), timing=timing, logprob=logprob)
        generation = [r for r in requests if isinstance(r, GenerationRequest)]
        if slot.in_process:
            # maj@k and pass@k samples join the model's parallel decoding together (their
            # shared prompt is evaluated once); its slots bound what runs at once.
            answers = await asyncio.gather(*(slot.provider.generate(r) for r in generation))
            results.update((id(r), a) for r, a in zip(generation, answers, strict=True))
        else:  # one at a time: `concurrency` bounds the requests in flight to an endpoint
            for request in generation:
                results[id(request)] = await slot.provider.generate(request)
        self.counts.calls += len(requests)
        self.counts.by_model[slot.name] = self.counts.by_model.get(slot.name, 0) + len(requests)
        return [results[id(r)] for r in requests]


def kv_cache_order(units: Iterable[_U]) -> list[_U]:
    """Units with same-prefix prompts next to each other, so a local engine, whose KV cache
    keeps the previous prompt, reuses it: an MMLU subject's five shots are evaluated once."""
    return sorted(units, key=lambda unit: unit.order)


def _item_id(unit: Unit) -> str:
    return unit.case.id if isinstance(unit, TrialUnit) else unit.sample.id


def _check_window(case: Case, slot: ModelSlot) -> None:
    """A case longer than the model's window is not run: an "unsupported" error record."""
    length = case.meta("length")
    if slot.context_window is not None and length.isdigit() and \
            int(length) > slot.context_window:
        raise ProviderError("unsupported", f"{case.id} needs about {length} tokens; the "
                            f"model's context window is {slot.context_window}")
