"""`bakeoff speed`'s tables mark percentiles taken over fewer requests than they need (p90: 10,
p99: 100), and say so in a footnote only when a cell is marked."""

from bakeoff.speed.metrics import Distribution
from bakeoff.speed.summary import LevelSummary, ModelSpeed, SpeedSummary
from bakeoff.speed.table import level_cells, percentile_note


def _level(requests: int) -> LevelSummary:
    ttft = Distribution(count=requests, mean=0.5, p50=0.4, p90=0.9, p99=0.95)
    return LevelSummary(
        workload="short", mode="concurrency", concurrency=1, rate=None, requests=requests,
        errors=0, wall_s=3.0, output_tokens=90, throughput_tps=30.0, prompt_tokens=20,
        prompt_token_source="tokenizer", clipped_from=None, token_sources=(),
        ttft_s=ttft, output_tokens_per_s=None, tpot_s=None, e2e_s=None, inter_chunk_s=None,
        output_tokens_per_request=None)


def _summary(*requests: int) -> SpeedSummary:
    return SpeedSummary(1, "finished", {}, tuple(
        ModelSpeed(f"m{n}", "identity", (_level(n),)) for n in requests))


def test_each_percentile_is_marked_below_its_own_count() -> None:
    assert level_cells(_level(3))[3] == "0.40/0.90*/0.95*"
    assert level_cells(_level(10))[3] == "0.40/0.90/0.95*"
    assert level_cells(_level(100))[3] == "0.40/0.90/0.95"


def test_the_footnote_comes_with_a_marked_cell_only() -> None:
    note = percentile_note(_summary(100, 3))
    assert note is not None and note.startswith("* taken over fewer values than the percentile "
                                                "needs (p50 2, p90 10, p99 100)")
    assert percentile_note(_summary(100, 250)) is None
