"""The arithmetic of speed: per-request metrics from stream timestamps, and percentiles.

Definitions (PROTOCOLS.md, Speed):
- TTFT: from sending the request to the first chunk that carries content.
- Output speed: output tokens ÷ (end − first token); TTFT is excluded.
- TPOT: (end-to-end − TTFT) ÷ (output tokens − 1); undefined for fewer than two tokens.
- Inter-chunk latency: between consecutive content chunks. A chunk may hold several tokens,
  so it is never called a token.

Percentiles use linear interpolation between order statistics (numpy's default "linear"
method, Hyndman & Fan type 7), so p50 of an even count is the mean of the middle two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestTimes:
    """When one streamed request was sent, when each content chunk came, when it ended."""

    sent: float
    chunk_arrivals: tuple[float, ...]
    finished: float
    output_tokens: int


@dataclass(frozen=True)
class RequestMetrics:
    ttft_s: float | None
    e2e_s: float
    output_tokens_per_s: float | None
    tpot_s: float | None
    inter_chunk_s: tuple[float, ...]


def request_metrics(times: RequestTimes) -> RequestMetrics:
    """The metrics of one request; those that need a first token are None without one."""
    e2e = times.finished - times.sent
    if not times.chunk_arrivals:
        return RequestMetrics(None, e2e, None, None, ())
    first = times.chunk_arrivals[0]
    ttft = first - times.sent
    decode_s = times.finished - first
    speed = times.output_tokens / decode_s if decode_s > 0 and times.output_tokens else None
    tpot = (e2e - ttft) / (times.output_tokens - 1) if times.output_tokens > 1 else None
    gaps = tuple(later - earlier for earlier, later in
                 zip(times.chunk_arrivals, times.chunk_arrivals[1:], strict=False))
    return RequestMetrics(ttft, e2e, speed, tpot, gaps)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between order statistics."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class Distribution:
    count: int
    mean: float
    p50: float
    p90: float
    p99: float


def distribution(values: Sequence[float | None]) -> Distribution | None:
    """Mean and p50/p90/p99 of the values that exist; None when there are none."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return Distribution(count=len(present), mean=math.fsum(present) / len(present),
                        p50=percentile(present, 50), p90=percentile(present, 90),
                        p99=percentile(present, 99))


def throughput(total_output_tokens: int, wall_s: float) -> float | None:
    """Output tokens per second of wall time over a whole load level."""
    return total_output_tokens / wall_s if wall_s > 0 else None
