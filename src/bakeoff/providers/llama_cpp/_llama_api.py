"""Every use of llama-cpp-python's private or version-specific API, in one place.

Written against llama-cpp-python 0.3.16 (`LLAMA_CPP_PYTHON_VERSION`): the KV-cache bookkeeping
(`Llama.input_ids`, `n_tokens`, `_ctx`, `_batch`), how `Llama.generate` reuses a cached prefix,
the model-parameter hook, the log level mapping, `Jinja2ChatFormatter` and the JSON Schema to
GBNF converter all differ between versions. Loading a model on another version fails with a
ProviderError("unsupported") that says which version to install; importing this module never
fails (llama_cpp is imported only inside functions).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bakeoff.types import ProviderError

if TYPE_CHECKING:
    from numpy import float32
    from numpy.typing import NDArray

LLAMA_CPP_PYTHON_VERSION = "0.3.16"

# llama.cpp's own log lines show only where the application asks (see route_llama_logs).
logger = logging.getLogger("bakeoff.providers.llama_cpp")
logger.addHandler(logging.NullHandler())

# A chat template renderer: (OpenAI-style messages, OpenAI-style tools or None) -> prompt text.
ChatRenderer = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], str]


def require_llama_cpp() -> None:
    """Fail clearly when llama-cpp-python is missing or is not the version this module fits."""
    try:
        import llama_cpp
    except ImportError as error:
        raise ProviderError("unsupported", "llama-cpp-python is not installed; install "
                            "bakeoff with the 'local' extra: pip install 'bakeoff[local]'"
                            ) from error
    found = getattr(llama_cpp, "__version__", "unknown")
    if found != LLAMA_CPP_PYTHON_VERSION:
        raise ProviderError(
            "unsupported",
            f"bakeoff's llama-cpp provider fits llama-cpp-python {LLAMA_CPP_PYTHON_VERSION}, "
            f"found {found}; install bakeoff[local] to get the version it fits: "
            "pip install 'bakeoff[local]'")


def installed_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return "not installed"


class LoadedLlama:
    """A `Llama` and the calls bakeoff makes on it. Not thread-safe: callers hold the lock."""

    def __init__(self, llama: Any) -> None:
        import llama_cpp

        self.llama = llama
        self._llama_cpp = llama_cpp
        self._vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self.n_ctx: int = llama.n_ctx()
        self.n_vocab: int = llama.n_vocab()
        self.n_batch: int = llama.n_batch
        self.bos: int = llama.token_bos()
        self.eos: int = llama.token_eos()

    @classmethod
    def load(cls, model_path: Path, options: dict[str, Any], repack_weights: bool) -> LoadedLlama:
        return cls(_new_llama(model_path, options, repack_weights))

    def close(self) -> None:
        self.llama.close()

    @property
    def chat_template(self) -> str | None:
        template = self.llama.metadata.get("tokenizer.chat_template")
        return template if isinstance(template, str) and template else None

    # Tokens

    def tokenize(self, text: str, *, add_bos: bool) -> list[int]:
        """Special-token text (e.g. "<|im_start|>") is parsed as the special token."""
        tokens: list[int] = self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos,
                                                special=True)
        return tokens

    def piece(self, token: int) -> bytes:
        """The bytes a sampled token adds to the answer."""
        data: bytes = self.llama.detokenize([token])
        return data

    def token_text(self, token: int) -> str:
        if token == -1:
            return ""
        text: bytes = self.llama.detokenize([token], special=True)
        return text.decode("utf-8", errors="replace")

    def is_end_of_generation(self, token: int) -> bool:
        return bool(self._llama_cpp.llama_vocab_is_eog(self._vocab, token))

    # The KV cache: `input_ids[:n_tokens]` are the tokens it holds.

    @property
    def cached_tokens(self) -> Sequence[int]:
        cached: Sequence[int] = self.llama.input_ids[: self.llama.n_tokens]
        return cached

    @property
    def cached_length(self) -> int:
        length: int = self.llama.n_tokens
        return length

    def keep_cached(self, length: int) -> None:
        """Treat only the first `length` cached tokens as valid; later ones get overwritten."""
        self.llama.n_tokens = length

    def drop_uncached(self) -> None:
        """Remove the KV entries past the valid cached tokens."""
        self.llama._ctx.kv_cache_seq_rm(-1, self.llama.n_tokens, -1)

    def decode_batch(self, tokens: Sequence[int], *, every_position: bool) -> NDArray[float32]:
        """Evaluate one batch after the cached tokens and cache it; a copy of the logits of
        every position of the batch, or of its last one (one row)."""
        import numpy as np

        llama = self.llama
        chunk = list(tokens)
        llama._batch.set_batch(batch=chunk, n_past=llama.n_tokens, logits_all=every_position)
        llama._ctx.decode(llama._batch)
        llama.input_ids[llama.n_tokens : llama.n_tokens + len(chunk)] = chunk
        llama.n_tokens += len(chunk)
        n_rows = len(chunk) if every_position else 1
        logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_rows, self.n_vocab))
        rows: NDArray[float32] = logits.copy()
        return rows

    # Sampling

    def sample(self, prompt: list[int], *, temperature: float, top_p: float, seed: int,
               grammar: str | None) -> Generator[int, None, None]:
        """Tokens sampled after `prompt`. Llama.generate first re-evaluates what follows the
        longest cached prefix of prompt[:-1] (always at least the last prompt token)."""
        from llama_cpp.llama_grammar import LlamaGrammar

        self.llama.set_seed(seed)
        # top_k=0, min_p=0 and typical_p=1 switch those samplers off: only temperature/top_p.
        tokens: Generator[int, None, None] = self.llama.generate(
            prompt, temp=temperature, top_p=top_p, top_k=0, min_p=0.0, typical_p=1.0,
            repeat_penalty=1.0,
            grammar=None if grammar is None else LlamaGrammar.from_string(grammar),
        )
        return tokens

    def grammar_parses(self, grammar: str) -> bool:
        """Whether llama.cpp accepts the GBNF. A grammar it rejects would be added to the
        sampler chain as a null sampler (a crash), so each one is tried here first."""
        bindings = self._llama_cpp
        sampler = bindings.llama_sampler_init_grammar(self._vocab, grammar.encode("utf-8"),
                                                      b"root")
        if not sampler:
            return False
        bindings.llama_sampler_free(sampler)
        return True


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


def open_vocab(model_file: Path) -> Any:
    """A Llama of the file's tokenizer alone (no weights)."""
    from llama_cpp import Llama

    route_llama_logs()  # llama.cpp's load messages go to Python logging
    return Llama(str(model_file), vocab_only=True, verbose=False)


def chat_renderer(template: str, bos_text: str, eos_text: str) -> ChatRenderer:
    """The GGUF's Jinja chat template as a function; raises what jinja2 raises on a template
    it cannot parse."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter: Any = Jinja2ChatFormatter(template=template, bos_token=bos_text, eos_token=eos_text,
                                         add_generation_prompt=True)

    def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
        # Jinja2ChatFormatter hands `tools` to the template as the variable `tools`.
        prompt: str = formatter(messages=messages, tools=tools).prompt
        return prompt

    return render


class JsonGrammar:
    """GBNF rules for JSON values that follow JSON Schemas, gathered into one grammar (so the
    rules the schemas share, such as `string` and `space`, are written once)."""

    def __init__(self) -> None:
        from llama_cpp.llama_grammar import SchemaConverter

        # The settings of llama-cpp-python's own json_schema_to_gbnf.
        self._converter: Any = SchemaConverter(  # type: ignore[no-untyped-call]
            prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)

    def rule(self, schema: dict[str, Any], name: str) -> str:
        """The name of the rule for `schema`. The converter raises many kinds of exception
        (AssertionError, ValueError, KeyError, ...) on a schema it cannot convert."""
        resolved = self._converter.resolve_refs(schema, name)
        rule_name: str = self._converter.visit(resolved, name)
        return rule_name

    def text(self, root: str) -> str:
        rules: str = self._converter.format_grammar()
        return f"{rules}\nroot ::= {root}\n"


# ggml's log levels: 1 debug, 2 info, 3 warn, 4 error, 5 continues the previous message.
_GGML_LOG_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log_state = {"level": logging.DEBUG}
_log_callback: Any = None


def route_llama_logs() -> None:
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


class SequenceBatchContext:
    """A second llama.cpp context on a loaded model, for decoding several sequences together.

    Each sequence has a KV stream of its own of `cells_per_sequence` positions (not one unified
    cache: there every token would attend over every sequence's positions, masked, which made
    decoding GSM8K-length prompts in parallel slower than one at a time). Not thread-safe:
    callers run every call on the llama thread.
    """

    def __init__(self, loaded: LoadedLlama, *, sequences: int, cells_per_sequence: int,
                 options: dict[str, Any]) -> None:
        import llama_cpp

        self._llama_cpp = llama_cpp
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = cells = sequences * cells_per_sequence
        params.n_batch = params.n_ubatch = loaded.n_batch
        params.n_seq_max = sequences
        params.n_threads = options["n_threads"]
        params.n_threads_batch = options["n_threads_batch"]
        params.flash_attn = options["flash_attn"]
        params.swa_full = options["swa_full"]
        params.kv_unified = False
        self._ctx = llama_cpp.llama_init_from_model(loaded.llama.model, params)
        if not self._ctx:
            raise ProviderError("internal", f"llama.cpp could not make a context of {cells} "
                                f"cells for {sequences} sequences")
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(loaded.n_batch, 0, 1)
        self._vocab = loaded._vocab
        self._n_vocab = loaded.n_vocab
        self.capacity = loaded.n_batch

    def close(self) -> None:
        if self._ctx:
            self._llama_cpp.llama_batch_free(self._batch)
            self._llama_cpp.llama_free(self._ctx)
            self._ctx = None

    def forget(self, sequence: int, start: int) -> None:
        """Drop the sequence's cached positions from `start` on."""
        self._llama_cpp.llama_memory_seq_rm(self._memory, sequence, start, -1)

    def share(self, source: int, target: int, length: int) -> None:
        """Give `target` the first `length` cached positions of `source`. Between streams
        llama.cpp copies only whole streams: the copy is cut to `length` afterwards."""
        self._llama_cpp.llama_memory_seq_cp(self._memory, source, target, -1, -1)
        self._llama_cpp.llama_memory_seq_rm(self._memory, target, length, -1)

    def decode(self, entries: Sequence[tuple[int, int, int, bool]]) -> None:
        """Evaluate (token, position, sequence, wants_logits) entries as one batch; entry i's
        logits, when wanted, are then read by `sample(sampler, i)`."""
        batch = self._batch
        for index, (token, position, sequence, wants_logits) in enumerate(entries):
            batch.token[index] = token
            batch.pos[index] = position
            batch.n_seq_id[index] = 1
            batch.seq_id[index][0] = sequence
            batch.logits[index] = wants_logits
        batch.n_tokens = len(entries)
        status = self._llama_cpp.llama_decode(self._ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status}")

    def new_sampler(self, *, temperature: float, top_p: float, seed: int,
                    grammar: str | None) -> Any:
        """A sampler chain like Llama.generate's with only temperature and top_p switched on;
        None for greedy decoding without a grammar, which `sample` does by argmax."""
        if temperature <= 0 and grammar is None:
            return None
        bindings = self._llama_cpp
        chain = bindings.llama_sampler_chain_init(bindings.llama_sampler_chain_default_params())
        if grammar is not None:
            bindings.llama_sampler_chain_add(chain, bindings.llama_sampler_init_grammar(
                self._vocab, grammar.encode("utf-8"), b"root"))
        if temperature <= 0:
            bindings.llama_sampler_chain_add(chain, bindings.llama_sampler_init_greedy())
        else:
            bindings.llama_sampler_chain_add(chain, bindings.llama_sampler_init_top_p(top_p, 1))
            bindings.llama_sampler_chain_add(chain, bindings.llama_sampler_init_temp(temperature))
            bindings.llama_sampler_chain_add(chain, bindings.llama_sampler_init_dist(seed))
        return chain

    def sample(self, sampler: Any, index: int) -> int:
        """Sample from the logits of batch entry `index` (and advance the sampler's grammar).
        Greedy without a sampler: the first highest logit, as llama.cpp's greedy sampler
        picks, without copying the vocabulary into a candidates array (slow for 262K)."""
        if sampler is None:
            import numpy as np

            logits = np.ctypeslib.as_array(self._llama_cpp.llama_get_logits_ith(self._ctx, index),
                                           shape=(self._n_vocab,))
            return int(logits.argmax())
        token: int = self._llama_cpp.llama_sampler_sample(sampler, self._ctx, index)
        return token

    def free_sampler(self, sampler: Any) -> None:
        if sampler is not None:
            self._llama_cpp.llama_sampler_free(sampler)
