
"""Loglikelihood over HTTP: echoed prompt logprobs from a completions endpoint.

The agreement tests run a REAL llama-cpp-python server (SmolLM2 135M) and compare its
loglikelihoods with the in-process LlamaCppProvider on the same GGUF. llama-cpp-python sorts
the whole vocabulary for every echoed token, so the prompt is a short 0-shot MMLU item.

llama-cpp-python 0.3.16's server pairs each echoed token with the logits one position too far
when the prompt does not start with BOS (SmolLM2's GGUF sets add_bos_token = false), so its
prompt logprobs are wrong for such models. The server here is told to add BOS
(--kv_overrides), and the in-process side gets the same tokens by starting its context with
the BOS text, which it parses as the special token.
The boundary rules (straddling token, generated token, missing logprobs) and retries are
checked against scripted responses.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai.types import CompletionChoice
from openai.types.completion_choice import Logprobs

from bakeoff.benchmarks.mmlu import LETTERS, MMLUItem, best_choice, build_prompt
from bakeoff.providers.openai_compat import OpenAICompatProvider, continuation_logprob
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import Abilities, LoglikelihoodRequest, ProviderError
from tests.helpers.cli import bakeoff
from tests.helpers.projects import CONFIG, write_project
from tests.servers import BUNDLED_MODEL, LlamaServer, start_llama_server

# Largest |HTTP - in-process| seen here: 5.8e-8 nats (float32 rounding; docs/VALIDATION.md).
TOLERANCE = 1e-4
BASE_URL = "http://fake.test/v1"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.005)
ITEM = MMLUItem(
    subject="high_school_geography", index=0,
    question="Which of the following is the largest ocean on Earth?",
    choices=("Atlantic Ocean", "Indian Ocean", "Pacific Ocean", "Arctic Ocean"), answer="C",
)
PROMPT = build_prompt(ITEM, shots=())
BOS_TEXT = "<|im_start|>"  # SmolLM2's BOS token


# --- real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logprob_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'bakeoff[local]')")
    from bakeoff.providers.bundled import ensure_model

    log_path = tmp_path_factory.mktemp("logprob_server") / "server.log"
    # Prompt logprobs need every position's logits (the server's default, named explicitly).
    extra_args = ["--logits_all", "true",
                  "--kv_overrides", "tokenizer.ggml.add_bos_token=bool:true"]
    with start_llama_server(ensure_model(BUNDLED_MODEL), log_path,
                            extra_args=extra_args) as server:
        yield server


def letter_requests(prompt: str) -> list[LoglikelihoodRequest]:
    return [LoglikelihoodRequest(context=prompt, continuation=f" {letter}") for letter in LETTERS]


async def http_loglikelihoods(base_url: str, requests: Sequence[LoglikelihoodRequest],
                              **options: Any) -> list[float]:
    abilities = Abilities(loglikelihood=True, endpoint="completions")
    provider = OpenAICompatProvider(BUNDLED_MODEL, base_url=base_url, endpoint="completions",
                                    abilities=abilities, **options)
    try:
        return await provider.loglikelihood(requests)
    finally:
        await provider.aclose()


async def local_loglikelihoods(requests: Sequence[LoglikelihoodRequest]) -> list[float]:
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    provider = LlamaCppProvider(ensure_model(BUNDLED_MODEL), BUNDLED_MODEL, n_threads=1)
    with_bos = [LoglikelihoodRequest(BOS_TEXT + r.context, r.continuation) for r in requests]
    try:
        return await provider.loglikelihood(with_bos)
    finally:
        await provider.aclose()


@pytest.mark.server
def test_http_letter_loglikelihoods_match_the_in_process_engine(
        logprob_server: LlamaServer) -> None:
    requests = letter_requests(PROMPT)
    over_http = asyncio.run(http_loglikelihoods(logprob_server.base_url, requests))
    in_process = asyncio.run(local_loglikelihoods(requests))
    assert all(value < 0 for value in over_http)
    assert over_http == pytest.approx(in_process, abs=TOLERANCE)
    assert best_choice(over_http) == best_choice(in_process)


@pytest.mark.server
def test_multi_token_continuation_matches_the_in_process_engine(
        logprob_server: LlamaServer) -> None:
    requests = [LoglikelihoodRequest("The capital of France is", " Paris, a city")]
    over_http = asyncio.run(http_loglikelihoods(logprob_server.base_url, requests))
    assert over_http == pytest.approx(asyncio.run(local_loglikelihoods(requests)),
                                      abs=TOLERANCE)


# --- the token boundary --------------------------------------------------------------------


def echoed(tokens: Sequence[tuple[str, float | None]], generated: str = " X") -> CompletionChoice:
    """A choice as a server echoes it: the prompt's tokens, then one generated token."""
    texts = [text for text, _ in tokens] + [generated]
    offsets = [sum(len(t) for t in texts[:i]) for i in range(len(texts))]
    # Built without validation, as the SDK builds responses: the first logprob is null.
    logprobs = Logprobs.model_construct(
        tokens=texts, text_offset=offsets, top_logprobs=None,
        token_logprobs=[value for _, value in tokens] + [-0.5])
    return CompletionChoice.model_construct(index=0, finish_reason="length",
                                            text="".join(texts), logprobs=logprobs)


def test_tokens_after_the_context_are_summed_and_the_generated_token_is_not() -> None:
    choice = echoed([("Answer", None), (":", -1.0), (" B", -2.0)])
    assert continuation_logprob(choice, "Answer: B", len("Answer:")) == -2.0


def test_a_token_straddling_the_boundary_belongs_to_the_continuation() -> None:
    # Context "is " + continuation "Paris": the server's token is " Paris".
    choice = echoed([("It", None), (" is", -1.0), (" Paris", -3.0), ("!", -0.25)])
    assert continuation_logprob(choice, "It is Paris!", len("It is ")) == -3.25


def test_no_echoed_logprobs_is_unsupported() -> None:
    choice = CompletionChoice.model_validate(
        {"index": 0, "finish_reason": "length", "text": " X", "logprobs": None})
    with pytest.raises(ProviderError) as caught:
        continuation_logprob(choice, "Answer: B", 7)
    assert caught.value.kind == "unsupported"


def test_an_empty_context_has_no_first_logprob() -> None:
    choice = echoed([("Hello", None)])
    with pytest.raises(ProviderError) as caught:
        continuation_logprob(choice, "Hello", 0)
    assert caught.value.kind == "bad_request"


# --- requests, retries, switch -------------------------------------------------------------


def scripted(replies: list[Callable[[dict[str, Any]], httpx.Response]],
             seen: list[dict[str, Any]]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        return replies.pop(0)(body)
    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def echo_reply(body: dict[str, Any]) -> httpx.Response:
    prompt = body["prompt"]
    choice = echoed([(prompt[:-2], None), (prompt[-2:], -1.5)])
    return httpx.Response(200, json={"id": "c", "object": "text_completion", "created": 1,
                                     "model": "m", "choices": [choice.model_dump(warnings=False)]})


def test_the_request_echoes_with_logprobs_and_a_server_error_is_retried() -> None:
    seen: list[dict[str, Any]] = []
    replies = [lambda _: httpx.Response(503, json={"error": "busy"}), echo_reply]
    client = scripted(replies, seen)
    request = LoglikelihoodRequest("Answer:", " B")
    values = asyncio.run(http_loglikelihoods(BASE_URL, [request], retry=FAST,
                                             http_client=client))
    assert values == [-1.5]
    assert len(seen) == 2
    assert seen[-1]["prompt"] == "Answer: B"
    assert (seen[-1]["echo"], seen[-1]["logprobs"], seen[-1]["max_tokens"]) == (True, 1, 1)


def test_loglikelihood_is_off_unless_the_abilities_say_so() -> None:
    async def ask() -> list[float]:
        provider = OpenAICompatProvider("m", base_url=BASE_URL)
        try:
            return await provider.loglikelihood([LoglikelihoodRequest("a", " b")])
        finally:
            await provider.aclose()
    assert not OpenAICompatProvider("m", base_url=BASE_URL).abilities.loglikelihood
    with pytest.raises(ProviderError) as caught:
        asyncio.run(ask())
    assert caught.value.kind == "unsupported"


@pytest.mark.slow  # minutes: every echoed token of three 5-shot MMLU prompts, x4 letters
@pytest.mark.server
def test_a_configured_server_scores_mmlu_by_loglikelihood_end_to_end(
        tmp_path: Path, logprob_server: LlamaServer) -> None:
    """`loglikelihood = true` in bakeoff.toml: `bakeoff run` scores MMLU in that mode."""
    (tmp_path / "bakeoff.toml").write_text(f"""
[[models]]
name = "served"
provider = "openai"
base_url = "{logprob_server.base_url}"
model = "{logprob_server.model}"
endpoint = "completions"
loglikelihood = true
concurrency = 1

[suites.s]
benchmarks = ["mmlu"]
limits = {{ mmlu = 3 }}
""")
    result = subprocess.run([sys.executable, "-m", "bakeoff", "run", "-s", "s"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "bakeoff-results" / "bakeoff.sqlite") as db:
        modes = db.execute("SELECT DISTINCT mode, count(*) FROM scores").fetchall()
    assert modes == [("loglikelihood", 3)]


@pytest.mark.server
def test_a_configured_server_scores_a_custom_benchmark_by_loglikelihood(
        tmp_path: Path, logprob_server: LlamaServer) -> None:
    """The same path in seconds: `loglikelihood = true` makes `bakeoff run` ask the server
    for prompt log-probabilities of each choice, and stores loglikelihood scores."""
    write_project(tmp_path, CONFIG_WITH_SERVER.format(base_url=logprob_server.base_url,
                                                       model=logprob_server.model))
    ran = bakeoff("run", "-s", "faq", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(tmp_path / "bakeoff-results" / "bakeoff.sqlite") as db:
        stored = db.execute("SELECT mode, metric, count(*) FROM scores GROUP BY mode, metric"
                            " ORDER BY metric").fetchall()
    assert stored == [("loglikelihood", "acc", 3), ("loglikelihood", "acc_norm", 3)]


CONFIG_WITH_SERVER = CONFIG + """
[[models]]
name = "served"
provider = "openai"
base_url = "{base_url}"
model = "{model}"
endpoint = "completions"
loglikelihood = true
concurrency = 1

[suites.faq]
benchmarks = ["support_faq"]
limits = {{ support_faq = 3 }}
"""
