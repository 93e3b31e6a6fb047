"""A GGUF model run in-process by llama-cpp-python.

One `Llama` per provider, loaded on first use. llama objects are not thread-safe, so every use
holds one asyncio.Lock and the blocking work runs on one worker thread: the event loop stays
live.

Prompts are tokenized as one whole string and the engine reuses the longest common *token*
prefix already in its KV cache (see PROTOCOLS.md, "Local scoring numerics"). Only last-position
logits are kept (`logits_all=False`: keeping all of them makes Gemma 3 ~20x slower); the
loglikelihood path asks for logits at the continuation positions only.

llama_cpp and numpy are imported lazily, so this module imports without the `local` extra.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from bakeoff.providers.base import StreamDelta, StreamEvent, collect
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    ProviderError,
    Timing,
    Usage,
)

if TYPE_CHECKING:
    from numpy import float32
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)
# llama.cpp's own log lines (see _route_llama_logs) show only where the application asks.
logger.addHandler(logging.NullHandler())

_P = ParamSpec("_P")
_T = TypeVar("_T")

# The layout used for chat requests when the GGUF carries no chat template (base models).
_FALLBACK_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant"}
_FALLBACK_STOPS = ("\nUser:",)


class LlamaCppProvider:
    """A GGUF file served by llama-cpp-python in this process.

    Chat requests are rendered with the chat template stored in the GGUF
    (`tokenizer.chat_template`). A GGUF without one (a base model such as gemma-3-270m) gets
    a plain layout: "User: ...", "Assistant: ..." turns separated by blank lines, ending in
    "Assistant:", with "\\nUser:" as an extra stop string so the model does not write the
    next turn itself.
    """

    kind = "llama-cpp"
    supports_loglikelihood = True
    preferred_endpoint = "completions"

    def __init__(self, model_path: Path, model_id: str, *, n_ctx: int = 4096,
                 n_threads: int | None = None, flash_attn: bool = False,
                 n_batch: int = 512, repack_weights: bool = False) -> None:
        """`repack_weights` turns on llama.cpp's CPU weight repacking (its default). It is off
        here because it makes a token's logits depend on its place in a batch (by up to 0.5
        on Q4_K models), so a score would depend on what the KV cache already held."""
        if n_batch < 3:
            raise ValueError(f"n_batch must be at least 3, not {n_batch}")
        self.model_id = model_id
        self._model_path = Path(model_path)
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
            "version": _llama_cpp_version(),
            **{key: str(value).lower() for key, value in self._load_options.items()},
            "repack_weights": str(repack_weights).lower(),
        }
        self._engine: _Engine | None = None
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        engine = await self._loaded_engine()
        started = time.time()
        async with self._guard():
            prompt = await _on_llama_thread(engine.prompt_for, request)
            _check_fits(prompt.tokens, request.config.max_tokens, engine.n_ctx, self.model_id)
            run = _Run(prompt.stops + request.config.stop)
            steps = await _on_llama_thread(engine.start, prompt.tokens, request.config)
            try:
                while run.output_tokens < request.config.max_tokens and not run.finished:
                    run.accept(await _on_llama_thread(engine.next_piece, steps))
                    if run.pending_delta:
                        yield run.take_delta()
            finally:
                steps.close()
                engine.finish(prompt.tokens)
            if tail := run.flush():
                yield tail
        usage = Usage(input_tokens=len(prompt.tokens), output_tokens=run.output_tokens)
        timing = Timing(started=started, finished=time.time(), first_token=run.first_token_at)
        yield Completion(text=run.text, usage=usage, timing=timing,
                         finish_reason=run.finish_reason)

    async def generate(self, request: GenerationRequest) -> Completion:
        return await collect(self.stream(request))

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        engine = await self._loaded_engine()
        async with self._guard():
            return await _on_llama_thread(engine.loglikelihoods, list(requests))

    async def aclose(self) -> None:
        async with self._guard():
            if self._engine is not None:
                await _on_llama_thread(self._engine.close)
                self._engine = None

    def _guard(self) -> asyncio.Lock:
        """The lock of the running event loop (a sync caller may run each call in a new loop)."""
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _loaded_engine(self) -> _Engine:
        async with self._guard():
            if self._engine is None:
                self._engine = await _on_llama_thread(_Engine.load, self._model_path,
                                                self._load_options, self._repack_weights)
            return self._engine


@dataclass(frozen=True)
class _Prompt:
    tokens: list[int]
    stops: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Piece:
    """The bytes of one sampled token; `is_end` for an end-of-generation token."""

    data: bytes
    is_end: bool = False


class _Engine:
    """A loaded Llama and everything that touches it. Not thread-safe: callers hold the lock."""

    def __init__(self, llama: Any) -> None:
        import llama_cpp

        self._llama = llama
        self._llama_cpp = llama_cpp
        self._vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self.n_ctx: int = llama.n_ctx()
        self._n_vocab: int = llama.n_vocab()
        self._bos: int = llama.token_bos()
        self._eos: int = llama.token_eos()
        self._chat_template = _chat_template(llama, self._token_text(self._bos),
                                             self._token_text(self._eos))

    @classmethod
    def load(cls, model_path: Path, options: dict[str, Any], repack_weights: bool) -> _Engine:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as error:
            raise ProviderError("unsupported", "llama-cpp-python is not installed; install "
                                "bakeoff with the 'local' extra: pip install 'bakeoff[local]'"
                                ) from error
        _route_llama_logs()
        if not model_path.is_file():
            raise ProviderError("bad_request", f"model file not found: {model_path}")
        try:
            llama = _new_llama(model_path, options, repack_weights)
        except (ValueError, RuntimeError) as error:
            raise ProviderError("internal", f"llama.cpp could not load {model_path}: {error}"
                                ) from error
        return cls(llama)

    def close(self) -> None:
        self._llama.close()

    # Generation

    def prompt_for(self, request: GenerationRequest) -> _Prompt:
        if request.prompt is not None:
            return _Prompt(self._tokenize(request.prompt, add_bos=True))
        if self._chat_template is None:
            return _Prompt(self._tokenize(_fallback_chat(request.messages), add_bos=True),
                           _FALLBACK_STOPS)
        return _Prompt(self._tokenize(self._render_chat(request.messages), add_bos=True))

    def start(self, prompt: list[int], config: GenerationConfig) -> Generator[int, None, None]:
        """The sampled tokens after prompt; the KV cache keeps the longest common prefix."""
        with _llama_errors("reading the prompt"):
            self._prefill(prompt)
        greedy = config.temperature <= 0
        self._llama.set_seed(_sampler_seed(config.seed))
        # top_k=0, min_p=0 and typical_p=1 switch those samplers off: only temperature/top_p.
        tokens: Generator[int, None, None] = self._llama.generate(
            prompt, temp=0.0 if greedy else config.temperature,
            top_p=1.0 if greedy else config.top_p, top_k=0, min_p=0.0, typical_p=1.0,
            repeat_penalty=1.0,
        )
        return tokens

    def finish(self, prompt: list[int]) -> None:
        """Forget the generated tokens: they were evaluated one at a time, and a later prompt
        that reused them would get other numbers than from a cold start."""
        self._llama.n_tokens = min(self._llama.n_tokens, len(prompt))

    def _prefill(self, prompt: list[int]) -> None:
        """Leave prompt[:-2] in the KV cache, so that Llama.generate, which re-evaluates what
        follows the cached prefix, evaluates the last two prompt tokens together."""
        target = len(prompt) - 2 if len(prompt) > 3 else 0
        reused = min(self._cached_prefix_length(prompt), target)
        if target - reused == 1:
            reused -= 1
        self._llama.n_tokens = reused
        if target > reused:
            self._decode(prompt[reused:target], every_position=False)

    def next_piece(self, tokens: Iterator[int]) -> _Piece:
        with _llama_errors("generating"):
            token = next(tokens)
        if self._llama_cpp.llama_vocab_is_eog(self._vocab, token):
            return _Piece(b"", is_end=True)
        return _Piece(self._llama.detokenize([token]))

    def _render_chat(self, messages: Sequence[Message]) -> str:
        assert self._chat_template is not None
        chat = [{"role": message.role, "content": message.content} for message in messages]
        try:
            rendered: str = self._chat_template(messages=chat).prompt
        except Exception as error:  # jinja2 raises many kinds; all mean "this chat won't fit"
            raise ProviderError("bad_request", f"the model's chat template rejected the "
                                f"messages: {type(error).__name__}: {error}") from error
        return rendered

    # Loglikelihood

    def loglikelihoods(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        """Sum of continuation token log-probabilities, as lm-evaluation-harness computes it."""
        pairs = [self._encode_pair(r.context, r.continuation) for r in requests]
        with _llama_errors("scoring"):
            return self._score_pairs(pairs)

    def _score_pairs(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
        # Requests with the same context (the choices of one question) evaluate it once.
        by_context: dict[tuple[int, ...], list[int]] = {}
        for index, (context_tokens, _) in enumerate(pairs):
            by_context.setdefault(tuple(context_tokens), []).append(index)
        results = [0.0] * len(pairs)
        for shared_context, indexes in by_context.items():
            first_logits = self._evaluate_context(list(shared_context))
            for index in indexes:
                results[index] = self._continuation_logprob(list(shared_context), first_logits,
                                                            pairs[index][1])
        return results

    def _encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        # Trailing whitespace belongs to the continuation (" Paris", not "... is " + "Paris").
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:
            context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
        prefix = [self._bos if self._bos != -1 else self._eos]
        if not context:
            return self._fit(prefix, self._tokenize(continuation, add_bos=False))
        whole = self._tokenize(context + continuation, add_bos=True)
        context_tokens = self._tokenize(context, add_bos=True)
        return self._fit(context_tokens or prefix, whole[len(context_tokens):])

    def _fit(self, context: list[int], continuation: list[int]) -> tuple[list[int], list[int]]:
        """Drop the oldest context tokens when context + continuation exceed the window."""
        overflow = len(context) + len(continuation) - 1 - self.n_ctx
        if overflow >= len(context):
            raise ProviderError("bad_request", f"a continuation of {len(continuation)} tokens "
                                f"does not fit the context window of {self.n_ctx} tokens")
        return (context[overflow:] if overflow > 0 else context), continuation

    def _evaluate_context(self, context: list[int]) -> NDArray[float32]:
        """Bring the KV cache to exactly `context`; return the logits after its last token."""
        # Re-evaluate at least the last two tokens: only the latest logits are kept, and a
        # lone token would take the single-token path (see _decode).
        reused = min(self._cached_prefix_length(context), max(len(context) - 2, 0))
        self._llama.n_tokens = reused
        last: NDArray[float32] = self._decode(context[reused:], every_position=False)[-1]
        return last

    def _continuation_logprob(self, context: list[int], first_logits: NDArray[float32],
                              continuation: list[int]) -> float:
        if len(continuation) <= 1:
            return math.fsum(_token_logprob(first_logits, token) for token in continuation)
        # The last context token goes in again, so that no batch holds a single token.
        self._llama.n_tokens = len(context) - 1
        rows = self._decode([context[-1], *continuation[:-1]], every_position=True)
        return math.fsum(_token_logprob(row, token) for row, token in zip(rows, continuation,
                                                                           strict=True))

    def _decode(self, tokens: Sequence[int], *, every_position: bool) -> NDArray[float32]:
        """Evaluate tokens after the cached ones; the logits rows of every position or the last.

        Like Llama.eval, but it can ask for every position's logits of just these tokens, and
        it never evaluates a lone token when there are more: without flash attention llama.cpp
        computes a one-token batch differently (logits moved by up to 0.5 on SmolLM2), which
        would make a score depend on what the KV cache held before.
        """
        import numpy as np

        llama = self._llama
        llama._ctx.kv_cache_seq_rm(-1, llama.n_tokens, -1)
        rows: list[NDArray[float32]] = []
        for start, end in _batches(len(tokens), llama.n_batch):
            chunk = list(tokens[start:end])
            llama._batch.set_batch(batch=chunk, n_past=llama.n_tokens, logits_all=every_position)
            llama._ctx.decode(llama._batch)
            llama.input_ids[llama.n_tokens : llama.n_tokens + len(chunk)] = chunk
            llama.n_tokens += len(chunk)
            n_rows = len(chunk) if every_position else 1
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(),
                                           shape=(n_rows, self._n_vocab))
            rows.append(logits.copy())
        result: NDArray[float32] = np.concatenate(rows) if every_position else rows[-1]
        return result

    def _cached_prefix_length(self, tokens: Sequence[int]) -> int:
        cached = self._llama.input_ids[: self._llama.n_tokens]
        return _common_prefix_length(cached, tokens)

    # Tokens

    def _tokenize(self, text: str, *, add_bos: bool) -> list[int]:
        """Tokens of the whole text; special-token text (e.g. "<|im_start|>") is parsed."""
        tokens: list[int] = self._llama.tokenize(text.encode("utf-8"), add_bos=add_bos,
                                                 special=True)
        # A template that writes its own BOS text would otherwise get a second BOS.
        if len(tokens) >= 2 and tokens[0] == tokens[1] == self._bos:
            return tokens[1:]
        return tokens

    def _token_text(self, token: int) -> str:
        if token == -1:
            return ""
        text: bytes = self._llama.detokenize([token], special=True)
        return text.decode("utf-8", errors="replace")


class _Run:
    """The text of one generation: bytes in, whole characters out, cut at the first stop.

    Text that could be the start of a stop string is held back until it is known not to be.
    Bytes of a character still incomplete when generation ends are dropped.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = tuple(stop for stop in stops if stop)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""
        self._emitted: list[str] = []
        self.pending_delta = ""
        self.output_tokens = 0
        self.first_token_at: float | None = None
        self.finish_reason = "length"
        self.finished = False

    @property
    def text(self) -> str:
        return "".join(self._emitted)

    def accept(self, piece: _Piece) -> None:
        if piece.is_end:
            self._finish("stop")
            return
        self.output_tokens += 1
        self._held += self._decoder.decode(piece.data)
        cut = _first_stop(self._held, self._stops)
        if cut is not None:
            self._release(cut)
            self._held = ""
            self._finish("stop")
        else:
            self._release(len(self._held) - _partial_stop_length(self._held, self._stops))

    def take_delta(self) -> StreamDelta:
        delta = StreamDelta(self.pending_delta, time.time())
        if self.first_token_at is None:
            self.first_token_at = delta.at
        self.pending_delta = ""
        return delta

    def flush(self) -> StreamDelta | None:
        """What is still held back, once generation has ended without a stop string."""
        self._release(len(self._held))
        return self.take_delta() if self.pending_delta else None

    def _release(self, length: int) -> None:
        released, self._held = self._held[:length], self._held[length:]
        if released:
            self._emitted.append(released)
            self.pending_delta += released

    def _finish(self, reason: str) -> None:
        self.finish_reason = reason
        self.finished = True


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    positions = [index for stop in stops if (index := text.find(stop)) != -1]
    return min(positions, default=None)


def _partial_stop_length(text: str, stops: tuple[str, ...]) -> int:
    """The length of the longest end of text that some stop string starts with."""
    longest = max((len(stop) for stop in stops), default=0)
    for length in range(min(len(text), longest - 1), 0, -1):
        if any(stop.startswith(text[-length:]) for stop in stops):
            return length
    return 0


def _fallback_chat(messages: Sequence[Message]) -> str:
    turns = [f"{_FALLBACK_ROLE_NAMES[m.role]}: {m.content}" for m in messages]
    return "\n\n".join([*turns, "Assistant:"])


@contextlib.contextmanager
def _llama_errors(action: str) -> Iterator[None]:
    """A failed llama_decode (RuntimeError in llama-cpp-python) as a ProviderError."""
    try:
        yield
    except RuntimeError as error:
        raise ProviderError("internal", f"llama.cpp failed while {action}: {error}") from error


_LOADING = threading.Lock()


def _new_llama(model_path: Path, options: dict[str, Any], repack_weights: bool) -> Any:
    """A Llama with llama.cpp's weight repacking on or off.

    Llama() does not pass `use_extra_bufts` on to llama.cpp, so the function it takes its
    model parameters from is wrapped while it loads (llama-cpp-python 0.3.16).
    """
    import llama_cpp.llama_cpp as bindings
    from llama_cpp import Llama

    default_params = bindings.llama_model_default_params

    def model_params() -> Any:
        params = default_params()
        params.use_extra_bufts = repack_weights
        return params

    with _LOADING:
        bindings.llama_model_default_params = model_params
        try:
            return Llama(str(model_path), logits_all=False, verbose=False, **options)
        finally:
            bindings.llama_model_default_params = default_params


def _chat_template(llama: Any, bos_text: str, eos_text: str) -> Callable[..., Any] | None:
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    try:
        formatter: Callable[..., Any] = Jinja2ChatFormatter(
            template=template, bos_token=bos_text, eos_token=eos_text,
            add_generation_prompt=True)
    except Exception as error:  # a template jinja2 cannot parse: use the plain layout
        logger.warning("the chat template in the GGUF does not parse (%s); using the plain "
                       "User:/Assistant: layout", error)
        return None
    return formatter


def _check_fits(prompt: list[int], max_tokens: int, n_ctx: int, model_id: str) -> None:
    if not prompt:
        raise ProviderError("bad_request", f"{model_id}: the prompt is empty")
    if len(prompt) + max_tokens > n_ctx:
        raise ProviderError(
            "bad_request",
            f"{model_id}: a prompt of {len(prompt)} tokens plus max_tokens {max_tokens} exceeds "
            f"the context window of {n_ctx} tokens; shorten the prompt, lower max_tokens or "
            "raise n_ctx",
        )


def _batches(count: int, size: int) -> list[tuple[int, int]]:
    """Bounds of batches of at most `size` (3 or more) covering `count` tokens, none of exactly
    one token unless count is 1."""
    bounds = [*range(0, count, size), count]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        bounds[-2] -= 1
    return list(itertools.pairwise(bounds))


def _common_prefix_length(cached: Sequence[int], tokens: Sequence[int]) -> int:
    length = 0
    for old, new in zip(cached, tokens, strict=False):
        if old != new:
            break
        length += 1
    return length


def _token_logprob(logits: NDArray[float32], token: int) -> float:
    """log softmax(logits)[token], computed in float64."""
    import numpy as np

    wide = logits.astype(np.float64)
    peak = wide.max()
    log_total = peak + np.log(np.exp(wide - peak).sum())
    return float(wide[token] - log_total)


def _sampler_seed(seed: int | None) -> int:
    """A llama.cpp sampler seed; 0xFFFFFFFF means "random" to llama.cpp, so it is avoided."""
    if seed is None:
        return int.from_bytes(os.urandom(4), "little") % 0xFFFFFFFF
    return seed % 0xFFFFFFFF


# ggml's log levels: 1 debug, 2 info, 3 warn, 4 error, 5 continues the previous message.
_GGML_LOG_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log_state = {"level": logging.DEBUG}
_log_callback: Any = None


def _route_llama_logs() -> None:
    """Send llama.cpp's log lines to Python logging at their own level.

    llama-cpp-python 0.3.16 maps an older level enum, so with verbose=False it prints
    llama.cpp's warnings to stderr as errors and hides its real errors.
    """
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    def forward(level: int, text: bytes, _user_data: Any) -> None:
        if level != 5:
            _log_state["level"] = _GGML_LOG_LEVELS.get(level, logging.DEBUG)
        if message := text.decode("utf-8", errors="replace").strip():
            logger.log(_log_state["level"], "%s", message)

    # Kept in a module global: llama.cpp calls it long after this function returns.
    _log_callback = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_log_callback, None)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _llama_cpp_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return "not installed"


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
