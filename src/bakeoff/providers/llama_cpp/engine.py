"""The KV-cache engine: prompts, generation steps and loglikelihood scoring on one loaded model.

Prompts are tokenized as one whole string and the engine reuses the longest common *token*
prefix already in its KV cache (see PROTOCOLS.md, "Local scoring numerics"). Only last-position
logits are kept (`logits_all=False`: keeping all of them makes Gemma 3 ~20x slower); the
loglikelihood path asks for logits at the continuation positions only.

Every call into llama-cpp-python goes through `_llama_api.LoadedLlama`.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bakeoff.providers.llama_cpp import _llama_api
from bakeoff.providers.llama_cpp._llama_api import ChatRenderer, LoadedLlama
from bakeoff.providers.llama_cpp.streamer import Piece
from bakeoff.providers.llama_cpp.tools import (
    CALL_OPEN,
    output_grammar,
    template_messages,
    template_tools,
)
from bakeoff.types import (
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    ProviderError,
)

if TYPE_CHECKING:
    from numpy import float32
    from numpy.typing import NDArray

    from bakeoff.providers.llama_cpp.parallel import ParallelDecoder

# The layout used for chat requests when the GGUF carries no chat template (base models).
_FALLBACK_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant"}
_FALLBACK_STOPS = ("\nUser:",)
_PARALLEL_SLOT_CELLS = 2048


@dataclass(frozen=True)
class Prompt:
    """The tokens to generate after, extra stop strings, and the GBNF the answer must follow."""

    tokens: list[int]
    stops: tuple[str, ...] = ()
    grammar: str | None = None


class Engine:
    """A loaded model and everything that touches it. Not thread-safe: callers hold the lock."""

    def __init__(self, model: LoadedLlama, options: dict[str, Any] | None = None) -> None:
        self._model = model
        self._options = options or {}
        self.n_ctx = model.n_ctx
        self._bos = model.bos
        self._eos = model.eos
        template = model.chat_template
        self._render = _chat_renderer(template, model.token_text(self._bos),
                                      model.token_text(self._eos))
        # Calls written as <tool_call> blocks: the format tools.py parses and can force.
        self._tagged_calls = template is not None and CALL_OPEN in template

    @classmethod
    def load(cls, model_path: Path, options: dict[str, Any], repack_weights: bool) -> Engine:
        _llama_api.require_llama_cpp()
        _llama_api.route_llama_logs()
        if not model_path.is_file():
            raise ProviderError("bad_request", f"model file not found: {model_path}")
        try:
            model = LoadedLlama.load(model_path, options, repack_weights)
        except (ValueError, RuntimeError) as error:
            raise ProviderError("internal", f"llama.cpp could not load {model_path}: {error}"
                                ) from error
        return cls(model, options)

    @property
    def parallel_cells_per_slot(self) -> int:
        """The KV stream of each parallel slot: the window, at most 2,048 positions (eight
        slots of 2,048 hold 16K positions; few-shot benchmark items and most trial turns fit)."""
        return min(self.n_ctx, _PARALLEL_SLOT_CELLS)

    def parallel_decoder(self, slots: int) -> ParallelDecoder:
        """A decoder of up to `slots` sequences at once, in a second context."""
        from bakeoff.providers.llama_cpp.parallel import ParallelDecoder

        context = _llama_api.SequenceBatchContext(
            self._model, sequences=slots, cells_per_sequence=self.parallel_cells_per_slot,
            options=self._options)
        return ParallelDecoder(self._model, context, slots=slots)

    def sampler_settings(self, prompt: Prompt, config: GenerationConfig) -> dict[str, Any]:
        """What `start` samples with, for a ParallelDecoder job."""
        greedy = config.temperature <= 0
        return {"temperature": 0.0 if greedy else config.temperature,
                "top_p": 1.0 if greedy else config.top_p, "seed": _sampler_seed(config.seed),
                "grammar": prompt.grammar}

    def close(self) -> None:
        self._model.close()

    # Generation

    def prompt_for(self, request: GenerationRequest) -> Prompt:
        if request.prompt is not None:
            return Prompt(self._tokenize(request.prompt, add_bos=True))
        grammar = self._grammar(request)
        if self._render is None:
            if "tools" in request.needs:
                raise ProviderError("unsupported", "the model's chat template does not parse, "
                                    "so tools and tool turns cannot be rendered")
            return Prompt(self._tokenize(_fallback_chat(request.messages), add_bos=True),
                          _FALLBACK_STOPS, grammar)
        text = self._render_chat(request.messages, template_tools(request))
        return Prompt(self._tokenize(text, add_bos=True), grammar=grammar)

    def start(self, prompt: Prompt, config: GenerationConfig) -> Generator[int, None, None]:
        """The sampled tokens after the prompt; the KV cache keeps the longest common prefix."""
        with _llama_errors("reading the prompt"):
            self._prefill(prompt.tokens)
        greedy = config.temperature <= 0
        return self._model.sample(
            prompt.tokens, temperature=0.0 if greedy else config.temperature,
            top_p=1.0 if greedy else config.top_p, seed=_sampler_seed(config.seed),
            grammar=prompt.grammar)

    def finish(self, prompt: Prompt) -> None:
        """Forget the generated tokens: they were evaluated one at a time, and a later prompt
        that reused them would get other numbers than from a cold start."""
        self._model.keep_cached(min(self._model.cached_length, len(prompt.tokens)))

    def _prefill(self, prompt: list[int]) -> None:
        """Leave prompt[:-2] in the KV cache, so that Llama.generate, which re-evaluates what
        follows the cached prefix, evaluates the last two prompt tokens together."""
        target = len(prompt) - 2 if len(prompt) > 3 else 0
        reused = min(self._cached_prefix_length(prompt), target)
        if target - reused == 1:
            reused -= 1
        self._model.keep_cached(reused)
        if target > reused:
            self._decode(prompt[reused:target], every_position=False)

    def next_piece(self, tokens: Iterator[int]) -> Piece:
        with _llama_errors("generating"):
            token = next(tokens)
        if self._model.is_end_of_generation(token):
            return Piece(b"", is_end=True)
        return Piece(self._model.piece(token))

    def _render_chat(self, messages: Sequence[Message],
                     tools: list[dict[str, Any]] | None) -> str:
        assert self._render is not None
        try:
            return self._render(template_messages(messages), tools)
        except Exception as error:  # jinja2 raises many kinds; all mean "this chat won't fit"
            raise ProviderError("bad_request", f"the model's chat template rejected the "
                                f"messages: {type(error).__name__}: {error}") from error

    def _grammar(self, request: GenerationRequest) -> str | None:
        grammar = output_grammar(request, tagged_calls=self._tagged_calls)
        if grammar is not None and not self._model.grammar_parses(grammar):
            raise ProviderError("bad_request", "llama.cpp rejected the grammar built from the "
                                "request's JSON Schema (see the log for the rule at fault)")
        return grammar

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
        self._model.keep_cached(reused)
        last: NDArray[float32] = self._decode(context[reused:], every_position=False)[-1]
        return last

    def _continuation_logprob(self, context: list[int], first_logits: NDArray[float32],
                              continuation: list[int]) -> float:
        if len(continuation) <= 1:
            return math.fsum(_token_logprob(first_logits, token) for token in continuation)
        # The last context token goes in again, so that no batch holds a single token.
        self._model.keep_cached(len(context) - 1)
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

        self._model.drop_uncached()
        rows = [self._model.decode_batch(tokens[start:end], every_position=every_position)
                for start, end in _batches(len(tokens), self._model.n_batch)]
        result: NDArray[float32] = np.concatenate(rows) if every_position else rows[-1]
        return result

    def _cached_prefix_length(self, tokens: Sequence[int]) -> int:
        return _common_prefix_length(self._model.cached_tokens, tokens)

    # Tokens

    def _tokenize(self, text: str, *, add_bos: bool) -> list[int]:
        """Tokens of the whole text; special-token text (e.g. "<|im_start|>") is parsed."""
        tokens = self._model.tokenize(text, add_bos=add_bos)
        # A template that writes its own BOS text would otherwise get a second BOS.
        if len(tokens) >= 2 and tokens[0] == tokens[1] == self._bos:
            return tokens[1:]
        return tokens


def check_fits(prompt: list[int], max_tokens: int, n_ctx: int, model_id: str) -> None:
    if not prompt:
        raise ProviderError("bad_request", f"{model_id}: the prompt is empty")
    if len(prompt) + max_tokens > n_ctx:
        raise ProviderError(
            "bad_request",
            f"{model_id}: a prompt of {len(prompt)} tokens plus max_tokens {max_tokens} exceeds "
            f"the context window of {n_ctx} tokens; shorten the prompt, lower max_tokens or "
            "raise n_ctx",
        )


def _chat_renderer(template: str | None, bos_text: str, eos_text: str) -> ChatRenderer | None:
    if template is None:
        return None
    try:
        return _llama_api.chat_renderer(template, bos_text, eos_text)
    except Exception as error:  # a template jinja2 cannot parse: use the plain layout
        _llama_api.logger.warning("the chat template in the GGUF does not parse (%s); using "
                                  "the plain User:/Assistant: layout", error)
        return None


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
