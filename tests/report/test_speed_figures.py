"""Speed in the report: percentiles marked when taken over fewer requests than they need, and
the published speed the FAQ uses when a card lists several providers."""

import json
from pathlib import Path

from bakeoff.api import render_report
from bakeoff.report.data import build_report_data, report_from_cards, speed_figures
from bakeoff.report.insights import faq
from bakeoff.speed.metrics import Distribution
from bakeoff.speed.summary import LevelSummary, ModelSpeed, SpeedSummary
from tests.report.stored import build_store


def _level(requests: int) -> LevelSummary:
    ttft = Distribution(count=requests, mean=0.5, p50=0.4, p90=0.9, p99=0.95)
    rate = Distribution(count=requests, mean=30.0, p50=31.0, p90=40.0, p99=41.0)
    return LevelSummary(
        workload="short", mode="concurrency", concurrency=1, rate=None, requests=requests,
        errors=0, wall_s=3.0, output_tokens=90, throughput_tps=30.0, prompt_tokens=20,
        prompt_token_source="tokenizer", clipped_from=None, token_sources=("usage",),
        ttft_s=ttft, output_tokens_per_s=rate, tpot_s=None, e2e_s=None, inter_chunk_s=None,
        output_tokens_per_request=None)


def test_percentiles_from_too_few_requests_are_marked(tmp_path: Path) -> None:
    summary = SpeedSummary(7, "finished", {}, (
        ModelSpeed("alpha", "a", (_level(3),)), ModelSpeed("beta", "b", (_level(120),))))
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    data = build_report_data(store, [run_id], speed=speed_figures(summary), generated_at=0.0)
    files = render_report(data)
    rows = {line.split(" | ")[0]: line for line in files[".md"].splitlines()
            if line.startswith(("| alpha | 3 |", "| beta | 120 |"))}
    assert rows["| alpha"] == ("| alpha | 3 | 0.400 | 0.900 (too few) | 0.950 (too few) | 3 | "
                               "31.0 | 40.0 (too few) | 41.0 (too few) | 1: 30.0 |")
    assert "(too few)" not in rows["| beta"]
    assert "p90 10, p99 100; one from fewer is marked \"too few\"" in files[".md"]
    speed = json.loads(files[".json"])["speed"]["models"]["alpha"]
    assert (speed["ttft_samples"], speed["tokens_per_s_samples"]) == (3, 3)
    assert "0.900 (too few)" in files[".html"]


def test_a_card_with_several_providers_speeds_is_read_at_their_median_and_says_so() -> None:
    data = report_from_cards(["llama-3.1-405b-instruct", "mixtral-8x22b-instruct"],
                             generated_at=0.0)
    [speed] = [e for e in faq(data) if e.evidence["kind"] == "speed"]
    assert speed.answer == (
        "Published, not measured: mixtral-8x22b-instruct generates 1.9× faster, 98.3 vs 51.5 "
        "tokens/s (for llama-3.1-405b-instruct, the median of the 2 providers' figures on its "
        "card, Microsoft Azure 29.4 and Amazon Bedrock (latency optimized) 73.7; for "
        "mixtral-8x22b-instruct, on OpenRouter).")
    assert speed.evidence["tokens_per_s"] == {"llama-3.1-405b-instruct": 51.5,
                                              "mixtral-8x22b-instruct": 98.3}
