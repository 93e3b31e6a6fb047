"""A GGUF model run in-process by llama-cpp-python.

One model per provider, loaded on first use. llama objects are not thread-safe, so every use
holds one asyncio.Lock and the blocking work runs on one worker thread: the event loop stays
live. The KV-cache engine is in engine.py, the text assembly in streamer.py, function calling
and JSON Schema output in tools.py (its docstring says how `tool_choice` is honoured), and
every use of llama-cpp-python's private API in _llama_api.py.

llama_cpp and numpy are imported lazily, so this module imports without the `local` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from bakeoff.providers.base import StreamEvent, check_abilities, collect
from bakeoff.providers.llama_cpp import _llama_api
from bakeoff.providers.llama_cpp.engine import Engine, Prompt, check_fits
from bakeoff.providers.llama_cpp.parallel import Job, ParallelDecoder
from bakeoff.providers.llama_cpp.streamer import TextStreamer
from bakeoff.providers.llama_cpp.template import template_accepts_tools
from bakeoff.providers.llama_cpp.tools import offers_tools, parse_tool_calls
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    ProviderError,
    Timing,
    ToolCall,
    Usage,
)

_P = ParamSpec("_P")
_T = TypeVar("_T")


class LlamaCppProvider:
    """A GGUF file served by llama-cpp-python in this process.

    Chat requests are rendered with the chat template stored in the GGUF
    (`tokenizer.chat_template`). A GGUF without one (a base model such as gemma-3-270m) gets
    a plain layout: "User: ...", "Assistant: ..." turns separated by blank lines, ending in
    "Assistant:", with "\\nUser:" as an extra stop string so the model does not write the
    next turn itself.

    With tools, the stream's deltas carry the text as the model writes it (call markup
    included); the final Completion holds the parsed `tool_calls` and the text around them.
    """

    kind = "llama-cpp"

    def __init__(self, model_path: Path, model_id: str, *, n_ctx: int = 4096,
                 n_threads: int | None = None, flash_attn: bool = False,
                 n_batch: int = 512, repack_weights: bool = False, parallel: int = 1) -> None:
        """`parallel` sequences are decoded together for `generate` (parallel.py; 1: one at a
        time, answers independent of other requests).

        `repack_weights` turns on llama.cpp's CPU weight repacking (its default). It is off
        here because it makes a token's logits depend on its place in a batch (by up to 0.5
        on Q4_K models), so a score would depend on what the KV cache already held."""
        if n_batch < 3:
            raise ValueError(f"n_batch must be at least 3, not {n_batch}")
        self.model_id = model_id
        self._model_path = Path(model_path)
        self.abilities = Abilities(loglikelihood=True,
                                   tools=template_accepts_tools(self._model_path),
                                   structured_output=True, streaming_usage=True,
                                   in_process=True, endpoint="completions")
        self._repack_weights = repack_weights
        self._load_options: dict[str, Any] = {
            "n_ctx": n_ctx,
            "n_threads": n_threads or _usable_cpus(),
            "n_threads_batch": n_threads or _usable_cpus(),
            "n_batch": n_batch,
            "flash_attn": flash_attn,
            # A full-size sliding-window cache lets Gemma 3 reuse any cached token prefix.
            "swa_full": True,
        }
        self.engine_settings: dict[str, str] = {
            "engine": "llama-cpp-python",
            "version": _llama_api.installed_version(),
            **{key: str(value).lower() for key, value in self._load_options.items()},
            "repack_weights": str(repack_weights).lower(),
            "parallel": str(parallel),
        }
        self._parallel = parallel
        self._batcher: _Batcher | None = None
        self._engine: Engine | None = None
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        check_abilities(self.model_id, self.abilities, request)
        engine = await self._loaded_engine()
        started = time.time()
        async with self._guard():
            prompt = await _on_llama_thread(engine.prompt_for, request)
            check_fits(prompt.tokens, request.config.max_tokens, engine.n_ctx, self.model_id)
            streamer = TextStreamer(prompt.stops + request.config.stop)
            steps = await _on_llama_thread(engine.start, prompt, request.config)
            try:
                while (streamer.output_tokens < request.config.max_tokens
                       and not streamer.finished):
                    streamer.accept(await _on_llama_thread(engine.next_piece, steps))
                    if streamer.pending_delta:
                        yield streamer.take_delta()
            finally:
                steps.close()
                engine.finish(prompt)
            if tail := streamer.flush():
                yield tail
        yield _completion(request, prompt, streamer, started)

    async def generate(self, request: GenerationRequest) -> Completion:
        """The whole answer; decoded beside other requests when `parallel` > 1 (`stream`, which
        speed runs use, always decodes one request at a time)."""
        if self._parallel == 1:
            return await collect(self.stream(request))
        check_abilities(self.model_id, self.abilities, request)
        engine = await self._loaded_engine()
        started = time.time()
        prompt = await _on_llama_thread(engine.prompt_for, request)
        check_fits(prompt.tokens, request.config.max_tokens, engine.n_ctx, self.model_id)
        if len(prompt.tokens) + request.config.max_tokens > engine.parallel_cells_per_slot:
            return await collect(self.stream(request))  # longer than a slot: one at a time
        job = Job(prompt, request.config.max_tokens,
                  TextStreamer(prompt.stops + request.config.stop),
                  engine.sampler_settings(prompt, request.config), started)
        await self._batcher_of(engine).run(job)
        if tail := job.streamer.flush():
            job.streamer.first_token_at = job.streamer.first_token_at or tail.at
        return _completion(request, prompt, job.streamer, started)

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        engine = await self._loaded_engine()
        async with self._guard():
            return await _on_llama_thread(engine.loglikelihoods, list(requests))

    async def aclose(self) -> None:
        async with self._guard():
            if self._batcher is not None:
                await self._batcher.close()
                self._batcher = None
            if self._engine is not None:
                await _on_llama_thread(self._engine.close)
                self._engine = None

    def _guard(self) -> asyncio.Lock:
        """The lock of the running event loop (a sync caller may run each call in a new loop)."""
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _batcher_of(self, engine: Engine) -> _Batcher:
        if self._batcher is None:
            self._batcher = _Batcher(lambda: engine.parallel_decoder(self._parallel))
        return self._batcher

    async def _loaded_engine(self) -> Engine:
        async with self._guard():
            if self._engine is None:
                self._engine = await _on_llama_thread(Engine.load, self._model_path,
                                                      self._load_options, self._repack_weights)
            return self._engine


class _Batcher:
    """Hands jobs to a ParallelDecoder and runs its steps on the llama thread while it has
    work; made on first use."""

    def __init__(self, make_decoder: Callable[[], ParallelDecoder]) -> None:
        self._make_decoder = make_decoder
        self._decoder: ParallelDecoder | None = None
        self._submitted: list[Job] = []
        self._futures: dict[Job, asyncio.Future[None]] = {}
        self._driver: asyncio.Task[None] | None = None

    async def run(self, job: Job) -> None:
        """Decode the job to its end; a failure is raised as its ProviderError."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures[job] = future
        self._submitted.append(job)
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            job.cancelled = True
            raise
        finally:
            self._futures.pop(job, None)
        if job.error is not None:
            raise job.error

    async def close(self) -> None:
        if self._driver is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._driver
        if self._decoder is not None:
            await _on_llama_thread(self._decoder.close)
            self._decoder = None

    async def _drive(self) -> None:
        try:
            if self._decoder is None:
                self._decoder = await _on_llama_thread(self._make_decoder)
            decoder = self._decoder
            while self._submitted or decoder.busy:
                new, self._submitted = self._submitted, []
                for job in await _on_llama_thread(decoder.step, new):
                    self._settle(job)
        except Exception as error:  # a context that cannot be made fails every job waiting
            for job in [*self._submitted, *self._futures]:
                job.error = job.error or ProviderError("internal", f"parallel decoding: {error}")
                self._settle(job)
            self._submitted = []

    def _settle(self, job: Job) -> None:
        future = self._futures.get(job)
        if future is not None and not future.done():
            future.set_result(None)


def _completion(request: GenerationRequest, prompt: Prompt, streamer: TextStreamer,
                started: float) -> Completion:
    text = streamer.text
    calls: tuple[ToolCall, ...] = ()
    if offers_tools(request):
        text, calls = parse_tool_calls(text, {tool.name for tool in request.tools})
    usage = Usage(input_tokens=len(prompt.tokens), output_tokens=streamer.output_tokens)
    timing = Timing(started=started, finished=time.time(), first_token=streamer.first_token_at)
    return Completion(text=text, usage=usage, timing=timing,
                      finish_reason="tool_calls" if calls else streamer.finish_reason,
                      tool_calls=calls)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# llama.cpp runs its OpenMP worker team from the thread that calls it, and alternating between
# calling threads halves decode speed (SmolLM2 135M on 2 cores: 112 -> 57 tokens/s). So every
# call into llama.cpp in this process runs on this one thread.
_LLAMA_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bakeoff-llama-cpp")


async def _on_llama_thread(func: Callable[_P, _T], /, *args: _P.args,
                           **kwargs: _P.kwargs) -> _T:
    """Run blocking llama work on the llama thread. If the caller is cancelled, it still waits
    for the work to finish, so a lock it holds is never released while the model is busy."""
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(_LLAMA_THREAD, functools.partial(func, *args, **kwargs))
    try:
        return await asyncio.shield(work)
    finally:
        while not work.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({work})
