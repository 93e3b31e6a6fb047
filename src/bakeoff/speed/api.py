"""`bakeoff speed` as a function: measure models one after another, store every level.

Models are measured one at a time, never side by side: two models sharing the machine (or a
server) would slow each other and both numbers would be wrong. Each level is written the
moment it finishes, so an interrupted run keeps what it measured (status "interrupted").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bakeoff.config import Config, ModelConfig
from bakeoff.engine.plan import environment
from bakeoff.names import did_you_mean
from bakeoff.speed.measure import MeasuredRequest
from bakeoff.speed.metrics import throughput
from bakeoff.speed.summary import SpeedSummary, speed_summary
from bakeoff.speed.sweep import LevelRun, SpeedSettings, sweep_workload
from bakeoff.speed.tokens import GgufTokenCounter, ServerTokenCounter, TokenCounter
from bakeoff.speed.workloads import (
    WORKLOAD_TOKENS,
    SpeedPrompt,
    SpeedSettingsError,
    build_prompt,
)
from bakeoff.store.sqlite import SpeedLevelRow, SpeedRequestRow, Store

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SpeedResult:
    speed_run_id: int
    summary: SpeedSummary


def run_speed(config: Config, models: list[ModelConfig], settings: SpeedSettings, store: Store,
              progress: Progress | None = None,
              tokenizers: Mapping[str, Path] | None = None) -> SpeedResult:
    """Measure each model on each workload and load level; return the stored summary.

    `tokenizers` maps a model name to a local GGUF whose tokenizer counts tokens for a model
    served over HTTP that sends no usage (an in-process model counts its own).
    """
    speed_run_id = store.create_speed_run(settings.as_dict(), environment())
    report = progress or (lambda _line: None)

    async def main() -> None:
        for model in models:
            await _measure_model(store, speed_run_id, model, settings, report,
                                 (tokenizers or {}).get(model.name))

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        store.set_speed_run_status(speed_run_id, "interrupted")
        raise KeyboardInterrupt(speed_run_id) from None
    except BaseException:
        store.set_speed_run_status(speed_run_id, "interrupted")
        raise
    store.set_speed_run_status(speed_run_id, "finished")
    return SpeedResult(speed_run_id, speed_summary(store, speed_run_id))


async def _measure_model(store: Store, speed_run_id: int, model: ModelConfig,
                         settings: SpeedSettings, report: Progress,
                         tokenizer: Path | None) -> None:
    provider = model.build()
    counter = await token_counter(model, tokenizer)
    identity = model.identity()
    try:
        for workload in settings.workloads:
            prompt = await build_prompt(workload, counter, context=model.context_window(),
                                        max_tokens=settings.max_tokens)
            async for level in sweep_workload(provider, prompt, settings, counter):
                store.put_speed_level(level_row(speed_run_id, model.name, identity, prompt,
                                                level),
                                      [request_row(r) for r in (*level.warmups,
                                                                *level.requests)])
                report(f"{model.name} · {workload} · {_level_label(level)}: "
                       f"{len(level.requests)} requests in {level.wall_s:.1f} s")
    finally:
        await provider.aclose()
        if counter is not None:
            await counter.aclose()


def speed_settings(workloads: list[str] | None, runs: int, warmup: int, concurrency: str,
                   rate: float | None, requests: int, max_duration_s: float,
                   max_tokens: int) -> SpeedSettings:
    """Settings from command-line values; SpeedSettingsError names what is wrong."""
    chosen = tuple(workloads or ["short"])
    unknown = [name for name in chosen if name not in WORKLOAD_TOKENS]
    if unknown:
        hint = did_you_mean(unknown[0], WORKLOAD_TOKENS)
        raise SpeedSettingsError(f"--workload {unknown[0]!r}{hint}: use one of "
                                 f"{', '.join(WORKLOAD_TOKENS)}")
    try:
        levels = tuple(int(level) for level in concurrency.split(","))
    except ValueError:
        raise SpeedSettingsError(f"--concurrency {concurrency!r}: use numbers separated by "
                                 "commas, such as 1,2,4") from None
    try:
        return SpeedSettings(workloads=chosen, runs=runs, warmup=warmup, concurrency=levels,
                             rate=rate, requests=requests, max_duration_s=max_duration_s,
                             max_tokens=max_tokens)
    except ValueError as error:
        raise SpeedSettingsError(str(error)) from None


async def token_counter(model: ModelConfig, tokenizer: Path | None) -> TokenCounter | None:
    """The model's own tokenizer: its kind's (a local GGUF), a named GGUF, or the server's
    tokenize endpoint when its base URL offers one."""
    own = model.tokenizer()
    if own is not None:
        return GgufTokenCounter.wrapping(own)
    if tokenizer is not None:
        return GgufTokenCounter(tokenizer)
    server = model.server_url()
    return await ServerTokenCounter.probe(server, model.api_model) if server else None


def level_row(speed_run_id: int, model: str, identity: str, prompt: SpeedPrompt,
              level: LevelRun) -> SpeedLevelRow:
    return SpeedLevelRow(
        speed_run_id=speed_run_id, model=model, model_identity=identity,
        workload=level.workload, mode=level.mode, concurrency=level.concurrency,
        rate=level.rate, requests=len(level.requests),
        errors=sum(r.error is not None for r in level.requests), wall_s=level.wall_s,
        output_tokens=level.output_tokens,
        throughput_tps=throughput(level.output_tokens, level.wall_s),
        prompt_tokens=prompt.tokens, prompt_token_source=prompt.token_source,
        clipped_from=prompt.clipped_from)


def request_row(measured: MeasuredRequest) -> SpeedRequestRow:
    return SpeedRequestRow(
        index=measured.index, warmup=measured.warmup, sent=measured.sent,
        chunk_arrivals=measured.chunk_arrivals, finished=measured.finished,
        input_tokens=measured.input_tokens, output_tokens=measured.output_tokens,
        token_source=measured.token_source, finish_reason=measured.finish_reason,
        error=measured.error)


def _level_label(level: LevelRun) -> str:
    if level.mode == "poisson":
        return f"Poisson {level.rate:g}/s"
    return f"concurrency {level.concurrency}"
