"""Parallel decoding: a model's generation requests decoded together, as the sequences of one
llama.cpp batch (continuous batching).

Each step evaluates one batch: the next token of every sequence that is generating, then as much
of the waiting prompts as fits in n_batch. A request takes a free slot as soon as there is one,
so short answers never wait for long ones. Each slot has a KV stream of its own, as long as a
request may be (a longer one goes to the sequential engine); a prompt takes the longest prefix
it shares with a slot's cached prompt (the few-shot examples of a benchmark are evaluated once
per slot, not once per item), and a request that shares a long prefix with a prompt still being
read waits for it rather than reading it again.

Greedy answers can differ from those of one sequence at a time: llama.cpp groups the sums in its
matrix kernels differently when a batch holds other sequences (docs/PERFORMANCE.md, "Parallel
local decoding", says how often and what it does to accuracy). `concurrency = 1` keeps the
sequential engine, whose answers do not depend on other requests.

Everything here runs on the llama thread (see provider.py); `step` is its only entry point.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bakeoff.providers.llama_cpp._llama_api import LoadedLlama, SequenceBatchContext
from bakeoff.providers.llama_cpp.engine import Prompt
from bakeoff.providers.llama_cpp.streamer import Piece, TextStreamer
from bakeoff.types import ProviderError

# Shared prompt tokens that make a job wait for another's prefill rather than start now.
_WORTH_WAITING_FOR = 64


@dataclass(eq=False)
class Job:
    """One generation request in flight."""

    prompt: Prompt
    max_tokens: int
    streamer: TextStreamer
    sampler_settings: dict[str, Any]
    started: float
    cancelled: bool = False
    error: ProviderError | None = None
    # Set by the decoder.
    slot: int = -1
    evaluated: int = 0  # prompt tokens in the slot's cache
    position: int = 0  # where the next token goes
    next_token: int | None = None  # sampled, to be evaluated in the next step
    logits_at: int | None = None  # the batch entry to sample from after this step
    sampler: Any = field(default=None, repr=False)


class ParallelDecoder:
    """Slots of one SequenceBatchContext, and the jobs that run in them."""

    def __init__(self, model: LoadedLlama, context: SequenceBatchContext, *, slots: int) -> None:
        self._model = model
        self._context = context
        # Prompt tokens cached in each slot: those of its running job, or of the last one.
        self._cached: list[list[int]] = [[] for _ in range(slots)]
        self._running: dict[int, Job] = {}
        self._waiting: deque[Job] = deque()
        # Prompt tokens evaluated (not taken from a cached prefix), for perf/ and tests.
        self.prompt_tokens_evaluated = 0

    @property
    def busy(self) -> bool:
        return bool(self._running or self._waiting)

    def close(self) -> None:
        for job in self._running.values():
            self._context.free_sampler(job.sampler)
        self._running.clear()
        self._context.close()

    def step(self, new_jobs: Sequence[Job]) -> list[Job]:
        """Admit what fits, evaluate one batch, sample; return the jobs that ended."""
        self._waiting.extend(new_jobs)
        ended = self._drop_cancelled()
        self._admit()
        entries = self._batch_entries()
        if not entries:
            return ended
        try:
            self._context.decode(entries)
        except RuntimeError as error:
            return ended + self._fail_batch(f"llama.cpp failed while generating: {error}")
        return ended + self._sample_all()

    # Admission

    def _admit(self) -> None:
        """Start waiting jobs in order while a slot is free."""
        while self._waiting:
            free = [slot for slot in range(len(self._cached)) if slot not in self._running]
            job = self._waiting[0]
            if not free or self._prefix_coming(job):
                return
            self._waiting.popleft()
            slot = max(free, key=lambda s: _shared_length(self._cached[s], job.prompt.tokens))
            self._start(job, slot)

    def _prefix_coming(self, job: Job) -> bool:
        """Whether a running job is still evaluating a long prefix this job shares (the
        few-shot examples of a benchmark): it then waits, and takes that prefix from the cache."""
        cached = max(_shared_length(tokens, job.prompt.tokens) for tokens in self._cached)
        return any(_shared_length(running.prompt.tokens, job.prompt.tokens)
                   >= cached + _WORTH_WAITING_FOR
                   for running in self._running.values()
                   if running.evaluated < len(running.prompt.tokens))

    def _start(self, job: Job, slot: int) -> None:
        tokens = job.prompt.tokens
        own = _shared_length(self._cached[slot], tokens)
        source, shared = max(((s, _shared_length(cached, tokens))
                              for s, cached in enumerate(self._cached)),
                             key=lambda pair: pair[1])
        if shared > own:
            self._context.forget(slot, 0)
            self._context.share(source, slot, shared)
        else:
            shared = own
            self._context.forget(slot, shared)
        self._cached[slot] = list(tokens[:shared])
        job.slot, job.evaluated, job.position = slot, shared, shared
        job.sampler = self._context.new_sampler(**job.sampler_settings)
        self._running[slot] = job

    # One batch

    def _batch_entries(self) -> list[tuple[int, int, int, bool]]:
        """The next token of each generating job, then prompt tokens up to n_batch."""
        entries: list[tuple[int, int, int, bool]] = []
        for job in self._running.values():
            job.logits_at = None
            if job.next_token is not None:
                job.logits_at = len(entries)
                entries.append((job.next_token, job.position, job.slot, True))
                job.position += 1
        for job in self._running.values():
            room = self._context.capacity - len(entries)
            remaining = len(job.prompt.tokens) - job.evaluated
            if room <= 0:
                break
            if job.next_token is not None or remaining == 0:
                continue
            chunk = job.prompt.tokens[job.evaluated:job.evaluated + room]
            for offset, token in enumerate(chunk):
                entries.append((token, job.position + offset, job.slot, False))
            job.evaluated += len(chunk)
            job.position += len(chunk)
            self.prompt_tokens_evaluated += len(chunk)
            self._cached[job.slot] = list(job.prompt.tokens[:job.evaluated])
            if job.evaluated == len(job.prompt.tokens):
                entries[-1] = (*entries[-1][:3], True)
                job.logits_at = len(entries) - 1
        return entries

    def _sample_all(self) -> list[Job]:
        ended: list[Job] = []
        for job in list(self._running.values()):
            if job.logits_at is None:
                continue
            token = self._context.sample(job.sampler, job.logits_at)
            if self._model.is_end_of_generation(token):
                job.streamer.accept(Piece(b"", is_end=True))
            else:
                job.streamer.accept(Piece(self._model.piece(token)))
                if job.streamer.pending_delta:
                    job.streamer.take_delta()  # marks the first token's time
            if job.streamer.finished or job.streamer.output_tokens >= job.max_tokens:
                ended.append(self._end(job))
            else:
                job.next_token = token
        return ended

    def _end(self, job: Job) -> Job:
        """Free the job's slot, keeping its prompt cached for a later prompt to share."""
        del self._running[job.slot]
        self._context.free_sampler(job.sampler)
        self._context.forget(job.slot, len(self._cached[job.slot]))
        return job

    def _drop_cancelled(self) -> list[Job]:
        self._waiting = deque(job for job in self._waiting if not job.cancelled)
        return [self._end(job) for job in list(self._running.values()) if job.cancelled]

    def _fail_batch(self, message: str) -> list[Job]:
        """A failed decode leaves the cache unknown: every running job fails, slots start
        empty."""
        ended = []
        for job in list(self._running.values()):
            job.error = ProviderError("internal", message)
            ended.append(self._end(job))
        for slot in range(len(self._cached)):
            self._context.forget(slot, 0)
            self._cached[slot] = []
        return ended


def _shared_length(cached: Sequence[int], tokens: Sequence[int]) -> int:
    """Cached positions a prompt can take over: at least its last token is evaluated anew."""
    length = 0
    for old, new in zip(cached, tokens[:-1], strict=False):
        if old != new:
            break
        length += 1
    return length
