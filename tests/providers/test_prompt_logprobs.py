"""Loglikelihood through vLLM's and SGLang's presets: an item's choices in one request.

The server is tests/helpers/served_model.py, a loopback fake answering as vLLM and SGLang
document it: no vLLM or SGLang runs on this CPU machine. The provider, its HTTP client and the
wire are real, and so is `bakeoff run` in the end-to-end test. Whether llama-cpp-python's
server takes a list `prompt` is asked of the REAL server (it does not, beyond one prompt).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import httpx
import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.providers.prompt_logprobs import MAX_PROMPTS
from bakeoff.providers.registry import parse_model
from bakeoff.providers.retry import RetryPolicy
from bakeoff.types import LoglikelihoodRequest, ProviderError
from tests.helpers.cli import bakeoff
from tests.helpers.projects import CONFIG, FAQ, write_project
from tests.helpers.served_model import Flavour, expected_logprob, served_model
from tests.servers import LlamaServer

FAST = RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.002)
CONTEXT = "Question: Which ocean is the largest?\nA. Atlantic\nB. Pacific\nC. Indian\nAnswer:"
LETTERS = [LoglikelihoodRequest(CONTEXT, f" {letter}") for letter in "ABC"]


def score(base_url: str, requests: Sequence[LoglikelihoodRequest], server: str = "vllm",
          **keys: object) -> list[float]:
    """Loglikelihoods from a model configured as a user would, `server = ...` included."""
    model = parse_model({"name": "served", "provider": "openai", "base_url": base_url,
                         "server": server, "loglikelihood": True, **keys})
    provider = model.build()
    assert isinstance(provider, OpenAICompatProvider)
    provider._retry = FAST

    async def ask() -> list[float]:
        try:
            return await provider.loglikelihood(requests)
        finally:
            await provider.aclose()
    return asyncio.run(ask())


@pytest.mark.parametrize("flavour", ["vllm", "sglang"])
def test_an_items_choices_are_scored_in_one_request(flavour: Flavour) -> None:
    with served_model(flavour) as server:
        values = score(server.base_url, LETTERS, server=flavour)
        bodies = server.bodies("/v1/completions")
    assert values == pytest.approx([expected_logprob(r.context, r.continuation) for r in LETTERS])
    assert len(bodies) == 1
    body = bodies[0]
    assert body["prompt"] == [CONTEXT, *(CONTEXT + r.continuation for r in LETTERS)]
    assert (body["echo"], body["logprobs"], body["max_tokens"]) == (True, 1, 1)


def test_the_batched_scores_equal_the_one_request_per_choice_path() -> None:
    """Without a BOS token (Qwen2.5's tokenizer adds none) vLLM's text offsets are exact, so the
    generic path, one request per choice read by offsets, can be compared with the batched."""
    straddling = [LoglikelihoodRequest("The capital of France is ", "Paris, a city"),
                  LoglikelihoodRequest("The capital of France is ", "Lyon")]
    with served_model("vllm", bos=False) as server:
        for requests in (LETTERS, straddling):
            batched = score(server.base_url, requests, server="vllm")
            per_choice = score(server.base_url, requests, server="generic")
            assert batched == pytest.approx(per_choice, abs=1e-12)
            assert batched == pytest.approx(
                [expected_logprob(r.context, r.continuation, bos=False) for r in requests])
        prompts = [body["prompt"] for body in server.bodies("/v1/completions")]
    assert [isinstance(p, list) for p in prompts] == [True] + [False] * 3 + [True] + [False] * 2


def test_the_generic_path_refuses_sglangs_missing_text_offsets() -> None:
    with served_model("sglang") as server, pytest.raises(ProviderError) as caught:
        score(server.base_url, LETTERS, server="generic")
    assert caught.value.kind == "unsupported"
    assert 'server = "sglang"' in str(caught.value)


def test_each_context_is_a_request_of_its_own() -> None:
    """Winogrande's partial scoring: one continuation after each of two contexts."""
    requests = [LoglikelihoodRequest("The trophy did not fit because the trophy", " was big."),
                LoglikelihoodRequest("The trophy did not fit because the case", " was big.")]
    with served_model("vllm") as server:
        values = score(server.base_url, requests)
        bodies = server.bodies("/v1/completions")
    assert values == pytest.approx([expected_logprob(r.context, r.continuation)
                                    for r in requests])
    assert sorted(len(body["prompt"]) for body in bodies) == [2, 2]


def test_many_choices_are_split_into_requests_of_bounded_size() -> None:
    requests = [LoglikelihoodRequest("Pick a number:", f" {n}") for n in range(MAX_PROMPTS + 5)]
    with served_model("vllm") as server:
        values = score(server.base_url, requests)
        sizes = sorted(len(body["prompt"]) for body in server.bodies("/v1/completions"))
    assert sizes == [7, MAX_PROMPTS]
    assert values == pytest.approx([expected_logprob(r.context, r.continuation)
                                    for r in requests])


def test_an_empty_context_is_refused_before_any_request() -> None:
    with served_model("vllm") as server:
        with pytest.raises(ProviderError) as caught:
            score(server.base_url, [LoglikelihoodRequest("", "Hello")])
        assert server.requests == []
    assert caught.value.kind == "bad_request"


def test_an_answer_missing_choices_is_a_bad_response_after_retries() -> None:
    seen: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return httpx.Response(200, json={"choices": [{"index": 0, "text": CONTEXT}]})
    provider = OpenAICompatProvider(
        "m", base_url="http://fake.test/v1", retry=FAST, batched_scoring=True,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handle)),
        abilities=parse_model({"name": "m", "provider": "openai", "base_url": "http://x",
                               "server": "vllm"}).abilities())
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.loglikelihood(LETTERS))
    assert caught.value.kind == "bad_response"
    assert len(seen) == FAST.max_attempts


def test_bakeoff_run_scores_by_loglikelihood_one_request_per_item(tmp_path: Path) -> None:
    """`server = "vllm"` alone turns loglikelihood on: `bakeoff run` stores loglikelihood
    scores, and the server got one completions request per item."""
    with served_model("vllm") as server:
        write_project(tmp_path, CONFIG + f"""
[[models]]
name = "served"
provider = "openai"
base_url = "{server.base_url}"
server = "vllm"

[suites.faq]
benchmarks = ["support_faq"]
""")
        ran = bakeoff("run", "-s", "faq", cwd=tmp_path)
        assert ran.returncode == 0, ran.stderr
        bodies = server.bodies("/v1/completions")
    assert len(bodies) == len(FAQ)
    choices = [len(cast(dict[str, list[str]], row)["choices"]) for row in FAQ]
    assert sorted(len(body["prompt"]) for body in bodies) == sorted(1 + n for n in choices)
    with sqlite3.connect(tmp_path / "bakeoff-results" / "bakeoff.sqlite") as db:
        modes = db.execute("SELECT mode, metric, count(*) FROM scores GROUP BY mode, metric"
                           " ORDER BY metric").fetchall()
    assert modes == [("loglikelihood", "acc", len(FAQ)), ("loglikelihood", "acc_norm", len(FAQ))]


# --- the real llama-cpp-python server --------------------------------------------------------


@pytest.mark.server
def test_llama_cpp_python_takes_no_list_of_prompts(llama_server: LlamaServer) -> None:
    """Why the llama.cpp preset scores one request per choice: llama-cpp-python 0.3.16 asserts
    a list `prompt` holds at most one prompt, so a batch fails with HTTP 500. (llama_server:
    the session's real server, tests/conftest.py.)"""
    fields = {"model": llama_server.model, "echo": True, "logprobs": 1, "max_tokens": 1,
              "temperature": 0.0}
    one = httpx.post(f"{llama_server.base_url}/completions", timeout=120,
                     json={**fields, "prompt": ["Answer: B"]})
    two = httpx.post(f"{llama_server.base_url}/completions", timeout=120,
                     json={**fields, "prompt": ["Answer: A", "Answer: B"]})
    assert one.status_code == 200
    assert len(one.json()["choices"]) == 1
    assert two.status_code == 500
