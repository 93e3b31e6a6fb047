"""Command-line values to speed settings, and the table a level becomes."""

from __future__ import annotations

import pytest

from bakeoff.speed.api import speed_settings
from bakeoff.speed.metrics import Distribution
from bakeoff.speed.summary import LevelSummary
from bakeoff.speed.table import level_cells
from bakeoff.speed.workloads import SpeedSettingsError


def test_settings_from_command_line_values() -> None:
    settings = speed_settings(["short", "long"], 3, 0, "1,2,4", 2.5, 10, 60.0, 64)
    assert settings.workloads == ("short", "long")
    assert settings.concurrency == (1, 2, 4)
    assert (settings.rate, settings.requests, settings.max_tokens) == (2.5, 10, 64)
    assert speed_settings(None, 5, 1, "1", None, 20, 300.0, 128).workloads == ("short",)


@pytest.mark.parametrize(("workloads", "levels", "rate", "message"), [
    (["huge"], "1", None, "--workload 'huge'"),
    (None, "1,two", None, "--concurrency '1,two'"),
    (None, "0", None, "concurrency levels must be at least 1"),
    (None, "1", 0.0, "rate must be above 0"),
])
def test_bad_values_are_one_line_errors(workloads: list[str] | None, levels: str,
                                        rate: float | None, message: str) -> None:
    with pytest.raises(SpeedSettingsError, match=message):
        speed_settings(workloads, 5, 1, levels, rate, 20, 300.0, 128)


def spread(p50: float, p90: float, p99: float) -> Distribution:
    return Distribution(count=3, mean=p50, p50=p50, p90=p90, p99=p99)


def test_level_cells_show_percentiles_clipping_and_token_sources() -> None:
    level = LevelSummary(
        workload="long", mode="concurrency", concurrency=2, rate=None, requests=3, errors=1,
        wall_s=4.0, output_tokens=300, throughput_tps=75.0, prompt_tokens=3904,
        prompt_token_source="tokenizer", clipped_from=10_000, token_sources=("tokenizer",),
        ttft_s=spread(0.5, 0.9, 1.0), output_tokens_per_s=spread(40.0, 50.0, 55.0),
        tpot_s=spread(0.02, 0.025, 0.03), e2e_s=spread(3.0, 3.5, 4.0), inter_chunk_s=None,
        output_tokens_per_request=spread(128.0, 128.0, 128.0))
    assert level_cells(level) == [
        "long (clipped 10000→3904)", "concurrency 2", "3 (1 failed)", "0.50/0.90*/1.00*",
        "40.0/50.0*/55.0*", "20.0/25.0*/30.0*", "3.00/3.50*/4.00*", "75.0",
        "3904 / 128 (tokenizer count)"]
