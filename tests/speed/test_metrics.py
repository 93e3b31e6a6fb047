"""The speed arithmetic on hand-made timestamps."""

from __future__ import annotations

import numpy as np
import pytest

from bakeoff.speed.metrics import (
    RequestTimes,
    distribution,
    percentile,
    request_metrics,
    throughput,
)


def test_ttft_output_speed_tpot_and_inter_chunk_gaps() -> None:
    times = RequestTimes(sent=100.0, chunk_arrivals=(100.5, 100.75, 101.5), finished=102.5,
                         output_tokens=9)
    metrics = request_metrics(times)
    assert metrics.ttft_s == pytest.approx(0.5)
    assert metrics.e2e_s == pytest.approx(2.5)
    assert metrics.output_tokens_per_s == pytest.approx(9 / 2.0)  # TTFT excluded
    assert metrics.tpot_s == pytest.approx((2.5 - 0.5) / 8)
    assert metrics.inter_chunk_s == pytest.approx((0.25, 0.75))  # per chunk, not per token


def test_one_output_token_has_no_tpot() -> None:
    metrics = request_metrics(RequestTimes(10.0, (10.2,), 10.3, output_tokens=1))
    assert metrics.ttft_s == pytest.approx(0.2)
    assert metrics.tpot_s is None
    assert metrics.output_tokens_per_s == pytest.approx(1 / 0.1)
    assert metrics.inter_chunk_s == ()


def test_two_output_tokens_have_one_interval() -> None:
    metrics = request_metrics(RequestTimes(0.0, (1.0, 1.5), 1.5, output_tokens=2))
    assert metrics.tpot_s == pytest.approx(0.5)


def test_no_content_chunk_leaves_first_token_metrics_empty() -> None:
    metrics = request_metrics(RequestTimes(0.0, (), 2.0, output_tokens=0))
    assert (metrics.ttft_s, metrics.output_tokens_per_s, metrics.tpot_s) == (None, None, None)
    assert metrics.e2e_s == 2.0


def test_first_chunk_at_the_end_has_no_output_speed() -> None:
    assert request_metrics(RequestTimes(0.0, (1.0,), 1.0, 1)).output_tokens_per_s is None


@pytest.mark.parametrize("q", [0, 10, 50, 90, 99, 100])
def test_percentiles_match_numpy_linear(q: float) -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 7.5]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_an_even_count_and_a_single_value() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == pytest.approx(3.7)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_distribution_skips_missing_values() -> None:
    summary = distribution([1.0, None, 3.0])
    assert summary is not None
    assert (summary.count, summary.mean, summary.p50) == (2, 2.0, 2.0)
    assert summary.p99 == pytest.approx(2.98)
    assert distribution([None]) is None


def test_throughput_is_tokens_over_wall_time() -> None:
    assert throughput(300, 4.0) == 75.0
    assert throughput(0, 0.0) is None
