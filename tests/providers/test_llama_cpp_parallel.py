"""Parallel local decoding: many generation requests decoded as sequences of one batch, on the
bundled SmolLM2 135M Instruct."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakeoff.providers.llama_cpp import LlamaCppModelConfig, bundled_model_config
from bakeoff.providers.llama_cpp import engine as engine_module
from bakeoff.providers.llama_cpp.engine import Engine
from bakeoff.providers.llama_cpp.parallel import Job, ParallelDecoder
from bakeoff.providers.llama_cpp.provider import LlamaCppProvider
from bakeoff.providers.llama_cpp.streamer import TextStreamer
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    JsonSchemaFormat,
    Message,
)

pytest.importorskip("llama_cpp")

QUESTIONS = ("Name a colour.", "What is 2 + 2?", "Write one word about the sea.",
             "Say hello in French.", "Name a fruit.", "What is the capital of Italy?")
# A long shared beginning, like the few-shot examples of a benchmark.
SHARED = "Answer in one short sentence. " * 40


@pytest.fixture(scope="module")
def model_path(smollm_path: Path) -> Path:
    return smollm_path


@pytest.fixture(scope="module")
def engine(model_path: Path) -> Iterator[Engine]:
    options = {"n_ctx": 1024, "n_threads": 2, "n_threads_batch": 2, "n_batch": 512,
               "flash_attn": False, "swa_full": True}
    engine = Engine.load(model_path, options, repack_weights=False)
    yield engine
    engine.close()


def chat(text: str, max_tokens: int = 16) -> GenerationRequest:
    return GenerationRequest(messages=(Message("user", text),),
                             config=GenerationConfig(max_tokens=max_tokens))


def generate_all(provider: LlamaCppProvider,
                 requests: list[GenerationRequest]) -> list[Completion]:
    async def run() -> list[Completion]:
        return list(await asyncio.gather(*(provider.generate(r) for r in requests)))

    return asyncio.run(run())


def decode(decoder: ParallelDecoder, jobs: list[Job]) -> None:
    """Step the decoder until every job has ended."""
    ended = decoder.step(jobs)
    while decoder.busy:
        ended += decoder.step([])
    assert sorted(map(id, ended)) == sorted(map(id, jobs))


def job_for(engine: Engine, text: str, max_tokens: int = 8) -> Job:
    prompt = engine.prompt_for(chat(text, max_tokens))
    return Job(prompt, max_tokens, TextStreamer(()),
               engine.sampler_settings(prompt, GenerationConfig(max_tokens=max_tokens)), 0.0)


def test_requests_decoded_together_each_get_a_whole_answer(model_path: Path) -> None:
    provider = LlamaCppProvider(model_path, "smol", n_ctx=1024, parallel=4)
    try:
        completions = generate_all(provider, [chat(q) for q in QUESTIONS])
    finally:
        asyncio.run(provider.aclose())
    for completion in completions:
        assert completion.text.strip()
        assert 1 <= completion.usage.output_tokens <= 16
        assert completion.finish_reason in ("stop", "length")
        assert completion.timing.first_token is not None
    assert provider.engine_settings["parallel"] == "4"


def test_the_same_requests_in_the_same_order_get_the_same_answers(model_path: Path) -> None:
    answers = []
    for _ in range(2):
        provider = LlamaCppProvider(model_path, "smol", n_ctx=1024, parallel=4)
        try:
            answers.append([c.text for c in generate_all(provider,
                                                         [chat(q) for q in QUESTIONS])])
        finally:
            asyncio.run(provider.aclose())
    assert answers[0] == answers[1]


def test_stops_max_tokens_and_json_schemas_hold_for_each_sequence(model_path: Path) -> None:
    schema = JsonSchemaFormat.of("colour", {
        "type": "object", "properties": {"colour": {"type": "string", "maxLength": 12}},
        "required": ["colour"], "additionalProperties": False})
    requests = [
        GenerationRequest(messages=(Message("user", "Count from 1 to 20."),),
                          config=GenerationConfig(max_tokens=40, stop=("3",))),
        chat("Tell me a long story about a dragon.", 5),
        GenerationRequest(messages=(Message("user", "Give a colour as JSON."),),
                          config=GenerationConfig(max_tokens=40), response_format=schema),
    ]
    provider = LlamaCppProvider(model_path, "smol", n_ctx=1024, parallel=3)
    try:
        stopped, cut, structured = generate_all(provider, requests)
    finally:
        asyncio.run(provider.aclose())
    assert "2" in stopped.text and "3" not in stopped.text
    assert stopped.finish_reason == "stop"
    assert cut.usage.output_tokens == 5 and cut.finish_reason == "length"
    assert set(json.loads(structured.text)) == {"colour"}


def test_a_shared_prompt_prefix_is_evaluated_once(engine: Engine) -> None:
    decoder = engine.parallel_decoder(4)
    try:
        jobs = [job_for(engine, SHARED + question) for question in QUESTIONS]
        decode(decoder, jobs)
    finally:
        decoder.close()
    prompt_tokens = sum(len(job.prompt.tokens) for job in jobs)
    shared = len(engine.prompt_for(chat(SHARED)).tokens) - 10
    assert decoder.prompt_tokens_evaluated < prompt_tokens - (len(jobs) - 2) * shared
    assert all(job.streamer.text for job in jobs)


def test_a_request_longer_than_a_slot_is_decoded_the_sequential_way(
        model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_PARALLEL_SLOT_CELLS", 256)  # 2,048 in use
    long_request = chat(SHARED + "Name a fruit.", 8)
    answers = []
    decoded_together = None
    for parallel in (4, 1):
        provider = LlamaCppProvider(model_path, "smol", n_ctx=1024, parallel=parallel)
        try:
            answers.append(generate_all(provider, [long_request, chat("Name a colour.")]))
            if parallel > 1:
                assert provider._batcher is not None and provider._batcher._decoder is not None
                decoded_together = provider._batcher._decoder.prompt_tokens_evaluated
        finally:
            asyncio.run(provider.aclose())
    assert answers[0][0].usage.input_tokens > 256
    assert decoded_together == answers[0][1].usage.input_tokens  # only the short one
    assert answers[0][0].text == answers[1][0].text


def test_a_cancelled_request_frees_its_slot(model_path: Path) -> None:
    provider = LlamaCppProvider(model_path, "smol", n_ctx=1024, parallel=2)

    async def run() -> list[Completion]:
        doomed = asyncio.create_task(provider.generate(chat("Tell me a long story.", 200)))
        await asyncio.sleep(0)
        others = asyncio.gather(*(provider.generate(chat(q)) for q in QUESTIONS[:3]))
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return list(await others)

    try:
        completions = asyncio.run(run())
        assert all(c.text for c in completions)
        assert generate_all(provider, [chat("Name a fruit.")])[0].text
    finally:
        asyncio.run(provider.aclose())


def test_concurrency_is_the_number_of_sequences_and_part_of_the_identity() -> None:
    parallel = bundled_model_config("smollm2-135m-instruct")
    sequential = LlamaCppModelConfig(name="s", provider="llama-cpp",
                                     bundled="smollm2-135m-instruct", concurrency=1)
    assert parallel.concurrency == 8
    assert parallel.identity().endswith("|parallel=8")
    assert "parallel" not in sequential.identity()
    assert parallel.identity().startswith(sequential.identity())
