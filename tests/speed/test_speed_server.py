"""bakeoff's speed numbers against a real llama-cpp-python server on 127.0.0.1.

llama-cpp-python 0.3.16's server returns no `timings` and streams no usage; it logs
llama.cpp's performance counters after each completion instead (see
bakeoff.speed.server_timings). Both clocks time the same requests; the test checks what must
hold however busy the machine is (the first token cannot arrive before the server has read
the prompt; one counter block per request; the same token count). How closely the clocks
agree is measured by perf/validate_speed.py (docs/VALIDATION-speed.md), never asserted here.

The server runs with --interrupt_requests False: by default it cuts a stream short as soon as
another request arrives, which would turn the concurrency sweep into a test of that.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from bakeoff.providers.openai_compat import OpenAICompatProvider
from bakeoff.speed.api import level_row, request_row
from bakeoff.speed.metrics import request_metrics
from bakeoff.speed.server_timings import agreement, parse_server_timings
from bakeoff.speed.summary import speed_summary
from bakeoff.speed.sweep import LevelRun, SpeedSettings, sweep_workload
from bakeoff.speed.tokens import ServerTokenCounter
from bakeoff.speed.workloads import SpeedPrompt, build_prompt
from bakeoff.store import Store
from tests.servers import BUNDLED_MODEL, LlamaServer, start_llama_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def queueing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'bakeoff[local]')")
    from bakeoff.providers.bundled import ensure_model

    log_path = tmp_path_factory.mktemp("speed_server") / "server.log"
    with start_llama_server(ensure_model(BUNDLED_MODEL), log_path,
                            extra_args=["--interrupt_requests", "False"]) as server:
        yield server


def measure(server: LlamaServer, settings: SpeedSettings) -> tuple[SpeedPrompt, list[LevelRun]]:
    async def main() -> tuple[SpeedPrompt, list[LevelRun]]:
        provider = OpenAICompatProvider(server.model, base_url=server.base_url)
        counter = await ServerTokenCounter.probe(server.base_url, server.model)
        assert counter is not None, "llama-cpp-python's server has /extras/tokenize"
        try:
            prompt = await build_prompt("short", counter, context=4096,
                                        max_tokens=settings.max_tokens)
            return prompt, [level async for level in
                            sweep_workload(provider, prompt, settings, counter)]
        finally:
            await provider.aclose()
            await counter.aclose()
    return asyncio.run(main())


def test_ttft_and_tokens_are_consistent_with_the_servers_own_timings(
        queueing_server: LlamaServer) -> None:
    blocks_before = len(parse_server_timings(queueing_server.log_path.read_text()))
    settings = SpeedSettings(runs=2, warmup=1, concurrency=(1,), max_tokens=16)
    prompt, (level,) = measure(queueing_server, settings)
    blocks = parse_server_timings(queueing_server.log_path.read_text())[blocks_before:]
    assert len(blocks) == 1 + 2  # one per completion, warm-up included, in order
    assert 60 <= prompt.tokens <= 100 and prompt.token_source == "tokenizer"
    for request, block in zip(level.requests, blocks[1:], strict=True):
        metrics = request_metrics(request.times)
        assert request.token_source == "tokenizer"  # the stream had no usage: recounted
        assert metrics.ttft_s is not None and metrics.tpot_s is not None
        row = agreement(metrics.ttft_s, metrics.tpot_s, metrics.e2e_s,
                        request.output_tokens or 0, block)
        # bakeoff's clock starts before the request is sent and the first token exists only
        # once the server has evaluated the prompt: a TTFT below that was measured wrong.
        assert row.server_prompt_s <= row.ttft_s <= row.e2e_s, row
        assert abs(row.output_tokens - (row.server_eval_runs + 1)) <= 2, row


def test_concurrency_sweep_stores_throughput_and_latency_per_level(
        queueing_server: LlamaServer, tmp_path: Path) -> None:
    settings = SpeedSettings(runs=2, warmup=1, concurrency=(1, 2), max_tokens=16)
    before = queueing_server.request_count()
    prompt, levels = measure(queueing_server, settings)
    assert queueing_server.request_count() == before + 1 + 2 + 2
    store = Store(tmp_path / "bakeoff.sqlite")
    try:
        run_id = store.create_speed_run(settings.as_dict(), {})
        for level in levels:
            store.put_speed_level(level_row(run_id, "smollm2", "openai|local", prompt, level),
                                  [request_row(r) for r in (*level.warmups, *level.requests)])
        (model,) = speed_summary(store, run_id).models
    finally:
        store.close()
    assert [lv.concurrency for lv in model.levels] == [1, 2]
    for level in model.levels:
        assert (level.requests, level.errors) == (2, 0)
        assert level.throughput_tps == pytest.approx(level.output_tokens / level.wall_s)
        assert level.output_tokens > 0
        assert level.e2e_s is not None and level.e2e_s.count == 2
        assert level.ttft_s is not None and level.tpot_s is not None
        assert level.token_sources == ("tokenizer",)
