"""The in-process llama-cpp-python provider, on the bundled SmolLM2 135M Instruct."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bakeoff.cache import FetchError
from bakeoff.providers.base import Provider, StreamDelta, StreamEvent
from bakeoff.providers.llama_cpp.engine import Engine, _batches
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.providers.llama_cpp.streamer import Piece, TextStreamer
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationConfig,
    GenerationRequest,
    LoglikelihoodRequest,
    Message,
    ProviderError,
)

llama_cpp = pytest.importorskip("llama_cpp")

N_CTX = 1024
STORY = "Once upon a time, in a small village by the sea, there lived"


@pytest.fixture(scope="module")
def model_path() -> Path:
    from bakeoff.providers.bundled import ensure_model

    try:
        return ensure_model("smollm2-135m-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")


@pytest.fixture(scope="module")
def provider(model_path: Path) -> Iterator[LlamaCppProvider]:
    provider = LlamaCppProvider(model_path, "smollm2-135m-instruct", n_ctx=N_CTX)
    yield provider
    asyncio.run(provider.aclose())


@pytest.fixture(scope="module")
def vocab(model_path: Path) -> Iterator[Any]:
    """The model's tokenizer alone, to count tokens independently of the provider."""
    llama = llama_cpp.Llama(str(model_path), vocab_only=True, verbose=False)
    yield llama
    llama.close()


def generate(provider: LlamaCppProvider, request: GenerationRequest) -> Completion:
    return asyncio.run(provider.generate(request))


def raw(prompt: str, **config: Any) -> GenerationRequest:
    return GenerationRequest(prompt=prompt, config=GenerationConfig(**config))


def loglikelihoods(provider: LlamaCppProvider, pairs: list[tuple[str, str]]) -> list[float]:
    requests = [LoglikelihoodRequest(context, continuation) for context, continuation in pairs]
    return asyncio.run(provider.loglikelihood(requests))


# Generation


def test_it_is_a_provider(provider: LlamaCppProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.engine_settings["flash_attn"] == "false"
    assert provider.engine_settings["n_ctx"] == str(N_CTX)
    assert provider.engine_settings["version"] == llama_cpp.__version__
    assert provider.abilities == Abilities(loglikelihood=True, tools=False,
                                           structured_output=True, streaming_usage=True,
                                           in_process=True, endpoint="completions")


def test_greedy_generation_does_not_depend_on_the_cache(provider: LlamaCppProvider,
                                                        model_path: Path) -> None:
    first = generate(provider, raw(STORY, max_tokens=24))
    again = generate(provider, raw(STORY, max_tokens=24))  # all but the end of the prompt cached
    generate(provider, raw(STORY + " a king", max_tokens=4))
    after_a_longer_prompt = generate(provider, raw(STORY, max_tokens=24))
    fresh = LlamaCppProvider(model_path, "smollm2-135m-instruct", n_ctx=N_CTX)
    cold = generate(fresh, raw(STORY, max_tokens=24))
    asyncio.run(fresh.aclose())
    assert first.text.strip()
    assert first.text == again.text == after_a_longer_prompt.text == cold.text


def test_a_cached_prompt_still_ends_in_a_batch_of_two(provider: LlamaCppProvider,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A lone prompt token would take llama.cpp's single-token path: other numbers."""
    generate(provider, raw(STORY, max_tokens=2))
    assert provider._engine is not None
    llama = provider._engine._model.llama
    evaluated: list[int] = []
    original_eval = llama.eval

    def recording_eval(tokens: list[int]) -> None:
        evaluated.append(len(tokens))
        original_eval(tokens)

    monkeypatch.setattr(llama, "eval", recording_eval)
    generate(provider, raw(STORY, max_tokens=2))  # all but the end of the prompt is cached
    assert evaluated[0] == 2


def test_max_tokens_is_respected_and_counted_exactly(provider: LlamaCppProvider,
                                                      vocab: Any) -> None:
    completion = generate(provider, raw(STORY, max_tokens=5))
    assert completion.usage.output_tokens == 5
    assert completion.usage.source == "server"
    assert completion.finish_reason == "length"
    prompt_tokens = len(vocab.tokenize(STORY.encode(), add_bos=True))
    assert completion.usage.input_tokens == prompt_tokens


def test_stop_strings_cut_the_text_before_them(provider: LlamaCppProvider) -> None:
    full = generate(provider, raw(STORY, max_tokens=32)).text
    words = full.split()
    assert len(words) >= 4
    stop = f" {words[2]}"
    cut = generate(provider, raw(STORY, max_tokens=32, stop=(stop, "never appears")))
    assert cut.text == full[: full.index(stop)]
    assert cut.finish_reason == "stop"


def test_a_chat_request_is_rendered_with_the_gguf_template(provider: LlamaCppProvider,
                                                         vocab: Any) -> None:
    question = "What is the capital of France? Answer with one word."
    chat = GenerationRequest(messages=(Message("user", question),),
                             config=GenerationConfig(max_tokens=40))
    completion = generate(provider, chat)
    assert completion.text.strip()
    assert "<|im_end|>" not in completion.text
    assert completion.finish_reason == "stop"
    chatml = ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
              f"Hugging Face<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
              "<|im_start|>assistant\n")
    expected = vocab.tokenize(chatml.encode(), add_bos=True, special=True)
    assert completion.usage.input_tokens == len(expected)


def test_the_stream_times_the_first_token(provider: LlamaCppProvider) -> None:
    async def events() -> list[StreamEvent]:
        return [event async for event in provider.stream(raw(STORY, max_tokens=8))]

    streamed = asyncio.run(events())
    deltas, final = streamed[:-1], streamed[-1]
    assert isinstance(final, Completion)
    assert deltas and all(isinstance(delta, StreamDelta) for delta in deltas)
    assert "".join(d.text for d in deltas if isinstance(d, StreamDelta)) == final.text
    timing = final.timing
    assert timing.first_token is not None
    assert timing.started <= timing.first_token <= timing.finished
    assert isinstance(deltas[0], StreamDelta) and timing.first_token == deltas[0].at


def test_seeded_sampling_is_reproducible(provider: LlamaCppProvider) -> None:
    sampled = raw(STORY, max_tokens=24, temperature=1.0, top_p=0.95, seed=7)
    assert generate(provider, sampled).text == generate(provider, sampled).text


def test_concurrent_requests_take_turns(provider: LlamaCppProvider) -> None:
    prompts = [STORY, "The three primary colours are", "def fibonacci(n):"]
    alone = [generate(provider, raw(prompt, max_tokens=12)).text for prompt in prompts]

    async def together() -> list[Completion]:
        calls = [provider.generate(raw(prompt, max_tokens=12)) for prompt in prompts]
        return list(await asyncio.gather(*calls))

    assert [completion.text for completion in asyncio.run(together())] == alone


def test_an_abandoned_stream_leaves_the_model_usable(provider: LlamaCppProvider) -> None:
    async def first_delta_only() -> None:
        stream = provider.stream(raw(STORY, max_tokens=40))
        assert isinstance(stream, AsyncGenerator)
        async for _ in stream:
            break
        await stream.aclose()

    expected = generate(provider, raw(STORY, max_tokens=12)).text
    asyncio.run(first_delta_only())
    assert generate(provider, raw(STORY, max_tokens=12)).text == expected


def test_a_prompt_too_long_for_the_window_is_a_bad_request(provider: LlamaCppProvider) -> None:
    with pytest.raises(ProviderError) as raised:
        generate(provider, raw("word " * N_CTX, max_tokens=16))
    assert raised.value.kind == "bad_request"
    assert "context window" in raised.value.message


def test_an_empty_prompt_is_a_bad_request(provider: LlamaCppProvider) -> None:
    with pytest.raises(ProviderError) as raised:
        generate(provider, raw("", max_tokens=4))
    assert raised.value.kind == "bad_request"


# Loglikelihood


def test_the_right_answer_is_more_likely(provider: LlamaCppProvider) -> None:
    paris, banana = loglikelihoods(provider, [("The capital of France is", " Paris"),
                                              ("The capital of France is", " banana")])
    assert paris > banana
    assert paris < 0


def test_loglikelihood_matches_a_full_sequence_reference(provider: LlamaCppProvider,
                                                         model_path: Path) -> None:
    pairs = [("The capital of France is ", "Paris, a city on the Seine."),
             ("Question: 2 + 2 = ?\nAnswer:", " 4"),
             ("def add(a, b):\n", "    return a + b\n")]
    ours = loglikelihoods(provider, pairs)
    reference = _reference_loglikelihoods(model_path, pairs)
    assert ours == pytest.approx(reference, abs=1e-3)


def test_a_reused_prefix_gives_the_cold_numbers(provider: LlamaCppProvider,
                                                model_path: Path) -> None:
    shots = "Q: Is the sky blue?\nA: yes\n\nQ: Is fire cold?\nA: no\n\n"
    pairs = [(shots + "Q: Is ice cold?\nA:", " yes"), (shots + "Q: Is ice cold?\nA:", " no"),
             (shots + "Q: Is water dry?\nA:", " no"), (shots + "Q: Is water dry?\nA:", " yes")]
    warm = loglikelihoods(provider, pairs)
    cold = []
    for pair in pairs:
        fresh = LlamaCppProvider(model_path, "smollm2-135m-instruct", n_ctx=N_CTX)
        cold.extend(loglikelihoods(fresh, [pair]))
        asyncio.run(fresh.aclose())
    assert warm == cold


def test_a_shared_context_is_evaluated_once(provider: LlamaCppProvider,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated: list[int] = []
    original = Engine._evaluate_context

    def counting(engine: Engine, context: list[int]) -> Any:
        evaluated.append(len(context))
        return original(engine, context)

    monkeypatch.setattr(Engine, "_evaluate_context", counting)
    context = "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Earth\nAnswer:"
    scores = loglikelihoods(provider, [(context, f" {letter}") for letter in "ABCD"])
    assert len(evaluated) == 1
    assert len(set(scores)) == 4


def test_an_empty_continuation_has_probability_one(provider: LlamaCppProvider) -> None:
    assert loglikelihoods(provider, [("Hello", "")]) == [0.0]


# Gemma 3 270M: a base model (no chat template) with Q4_K weights


@pytest.fixture(scope="module")
def gemma_path() -> Path:
    from bakeoff.providers.bundled import ensure_model

    try:
        return ensure_model("gemma-3-270m")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")


def cold_loglikelihoods(path: Path, pairs: list[tuple[str, str]]) -> list[float]:
    fresh = LlamaCppProvider(path, "fresh", n_ctx=GEMMA_CTX)
    try:
        return loglikelihoods(fresh, pairs)
    finally:
        asyncio.run(fresh.aclose())


GEMMA_CTX = 256
SHOTS = "".join(f"Q: What is {n} plus {n}?\nA: {2 * n}\n\n" for n in range(6))


def test_a_gguf_without_a_chat_template_gets_a_plain_layout(gemma_path: Path) -> None:
    gemma = LlamaCppProvider(gemma_path, "gemma-3-270m", n_ctx=GEMMA_CTX)
    chat = GenerationRequest(messages=(Message("user", "Say hello."),),
                             config=GenerationConfig(max_tokens=12))
    completion = generate(gemma, chat)
    asyncio.run(gemma.aclose())
    assert "\nUser:" not in completion.text
    vocab = llama_cpp.Llama(str(gemma_path), vocab_only=True, verbose=False)
    expected = vocab.tokenize(b"User: Say hello.\n\nAssistant:", add_bos=True, special=True)
    vocab.close()
    assert completion.usage.input_tokens == len(expected)


def test_a_reused_prefix_gives_the_cold_numbers_with_q4_k_weights(gemma_path: Path) -> None:
    """llama.cpp's repacked Q4_K kernels would make a token's logits depend on its batch."""
    pairs = [(SHOTS + "Q: What is 50 plus 50?\nA:", " 100"),
             (SHOTS + "Q: What is 7 plus 8?\nA:", " 15 apples")]
    warm = cold_loglikelihoods(gemma_path, pairs)  # the second reuses the first's prefix
    assert warm[1] == cold_loglikelihoods(gemma_path, pairs[1:])[0]


def test_a_context_already_in_the_cache_gives_the_cold_numbers(gemma_path: Path) -> None:
    """Without flash attention a lone token is computed differently, so none is evaluated."""
    context = "Q: What is 0 plus 0?\nA: 0\n\nQ: What is 7 plus 8?\nA:"
    pairs = [(context, continuation) for continuation in (" ", "\n", " The", " fifteen")]
    warm_provider = LlamaCppProvider(gemma_path, "gemma-3-270m", n_ctx=GEMMA_CTX)
    loglikelihoods(warm_provider, [(context, " 15")])
    warm = loglikelihoods(warm_provider, pairs)  # the whole context is cached
    asyncio.run(warm_provider.aclose())
    assert warm == cold_loglikelihoods(gemma_path, pairs)


# Text assembly and batching (no model needed)


@pytest.mark.parametrize(("count", "expected"), [
    (1, [(0, 1)]), (4, [(0, 4)]), (5, [(0, 3), (3, 5)]), (9, [(0, 4), (4, 7), (7, 9)]),
])
def test_no_batch_holds_a_lone_token(count: int, expected: list[tuple[int, int]]) -> None:
    assert _batches(count, 4) == expected


def test_multibyte_characters_split_across_tokens_are_never_broken() -> None:
    run = TextStreamer(())
    deltas = []
    for data in ("é".encode()[:1], "é".encode()[1:] + "🙂".encode()[:2], "🙂".encode()[2:]):
        run.accept(Piece(data))
        deltas.append(run.pending_delta)
        run.pending_delta = ""
    assert deltas == ["", "é", "🙂"]


def test_text_that_may_start_a_stop_string_is_held_back() -> None:
    run = TextStreamer(("World",))
    released = []
    for piece in ("Hel", "lo Wor", "ld and more"):
        run.accept(Piece(piece.encode()))
        released.append(run.pending_delta)
        run.pending_delta = ""
    assert released == ["Hel", "lo ", ""]
    assert run.text == "Hello "
    assert run.finished and run.finish_reason == "stop"


def _reference_loglikelihoods(model_path: Path, pairs: list[tuple[str, str]]) -> list[float]:
    """lm-evaluation-harness's recipe, from one full evaluation with every position's logits."""
    import numpy as np

    llama = llama_cpp.Llama(str(model_path), n_ctx=N_CTX, logits_all=True, verbose=False)
    results = []
    for context, continuation in pairs:
        spaces = len(context) - len(context.rstrip())
        if spaces:
            context, continuation = context[:-spaces], context[-spaces:] + continuation
        whole = llama.tokenize((context + continuation).encode(), add_bos=True, special=True)
        context_tokens = llama.tokenize(context.encode(), add_bos=True, special=True)
        continuation_tokens = whole[len(context_tokens):]
        llama.reset()
        llama.eval(context_tokens + continuation_tokens)
        total = 0.0
        for offset, token in enumerate(continuation_tokens):
            logits = llama.scores[len(context_tokens) - 1 + offset].astype(np.float64)
            log_total = logits.max() + math.log(np.exp(logits - logits.max()).sum())
            total += float(logits[token] - log_total)
        results.append(total)
    llama.close()
    return results
