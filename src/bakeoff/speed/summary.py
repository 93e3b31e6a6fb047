"""A stored speed run, summarised: per model, per workload and load level, the percentiles of
every metric and the level's throughput. Warm-up and failed requests are left out of the
percentiles; failures are counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.speed.metrics import Distribution, RequestTimes, distribution, request_metrics
from bakeoff.store.sqlite import SpeedLevelRow, SpeedRequestRow, Store


@dataclass(frozen=True)
class LevelSummary:
    workload: str
    mode: str  # "concurrency" or "poisson"
    concurrency: int | None
    rate: float | None
    requests: int
    errors: int
    wall_s: float
    output_tokens: int
    throughput_tps: float | None
    prompt_tokens: int
    prompt_token_source: str
    clipped_from: int | None
    token_sources: tuple[str, ...]  # where the requests' token counts came from
    ttft_s: Distribution | None
    output_tokens_per_s: Distribution | None
    tpot_s: Distribution | None
    e2e_s: Distribution | None
    inter_chunk_s: Distribution | None
    output_tokens_per_request: Distribution | None

    @property
    def label(self) -> str:
        if self.mode == "poisson":
            return f"Poisson {self.rate:g}/s"
        return f"concurrency {self.concurrency}"


@dataclass(frozen=True)
class ModelSpeed:
    model: str
    model_identity: str
    levels: tuple[LevelSummary, ...]


@dataclass(frozen=True)
class SpeedSummary:
    speed_run_id: int
    status: str
    settings: dict[str, Any]
    models: tuple[ModelSpeed, ...]


def speed_summary(store: Store, speed_run_id: int) -> SpeedSummary:
    """The summary of a stored speed run; LookupError when there is no such run."""
    run = store.speed_run(speed_run_id)
    if run is None:
        raise LookupError(f"no speed run {speed_run_id} in {store.location}")
    by_model: dict[str, list[LevelSummary]] = {}
    identities: dict[str, str] = {}
    for level in store.speed_levels(speed_run_id):
        identities[level.model] = level.model_identity
        by_model.setdefault(level.model, []).append(
            summarise_level(level, store.speed_requests(level.id)))
    models = tuple(ModelSpeed(name, identities[name], tuple(levels))
                   for name, levels in by_model.items())
    return SpeedSummary(speed_run_id, run.status, run.settings, models)


def summarise_level(level: SpeedLevelRow, requests: Sequence[SpeedRequestRow]) -> LevelSummary:
    counted = [r for r in requests if not r.warmup and r.error is None]
    metrics = [request_metrics(RequestTimes(r.sent, r.chunk_arrivals, r.finished,
                                            r.output_tokens or 0)) for r in counted]
    return LevelSummary(
        workload=level.workload, mode=level.mode, concurrency=level.concurrency,
        rate=level.rate, requests=level.requests, errors=level.errors, wall_s=level.wall_s,
        output_tokens=level.output_tokens, throughput_tps=level.throughput_tps,
        prompt_tokens=level.prompt_tokens, prompt_token_source=level.prompt_token_source,
        clipped_from=level.clipped_from,
        token_sources=tuple(sorted({r.token_source for r in counted})),
        ttft_s=distribution([m.ttft_s for m in metrics]),
        output_tokens_per_s=distribution([m.output_tokens_per_s for m in metrics]),
        tpot_s=distribution([m.tpot_s for m in metrics]),
        e2e_s=distribution([m.e2e_s for m in metrics]),
        inter_chunk_s=distribution([gap for m in metrics for gap in m.inter_chunk_s]),
        output_tokens_per_request=distribution([float(r.output_tokens or 0) for r in counted]),
    )
