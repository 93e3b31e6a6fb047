"""The Python API behind the CLI: run a suite, ask models one prompt, read runs back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bakeoff.benchmarks.base import Benchmark
from bakeoff.benchmarks.custom import CustomBenchmark
from bakeoff.benchmarks.registry import get_benchmark
from bakeoff.config import Config, ConfigError, ModelConfig
from bakeoff.engine.plan import RunPlan, build_provider, environment, model_identity
from bakeoff.engine.runner import ModelSlot, ProgressSink, RunCounts, Runner
from bakeoff.providers.base import Provider
from bakeoff.report.comparison import build_comparison
from bakeoff.report.export import ExportFormat, export_run
from bakeoff.report.markdown import render_markdown
from bakeoff.store import Store
from bakeoff.types import (
    Completion,
    ErrorRecord,
    GenerationConfig,
    GenerationRequest,
    Message,
    ProviderError,
    Sample,
)

STORE_NAME = "bakeoff.sqlite"


@dataclass(frozen=True)
class RunResult:
    run_id: int
    resumed: bool
    counts: RunCounts
    report_path: Path


def store_path(config: Config, override: Path | None = None) -> Path:
    return override or config.output.dir / STORE_NAME


def select_models(config: Config, names: list[str] | None) -> list[ModelConfig]:
    if names:
        return [config.model(name) for name in names]
    if not config.models:
        raise ConfigError(f"{config.source}: no models configured; add [[models]] or pass -m")
    return list(config.models)


Work = dict[str, tuple[Benchmark, list[Sample]]]


def prepare_run(config: Config, model_names: list[str] | None,
                suite_name: str | None) -> tuple[RunPlan, Work]:
    """Resolve models and suite, and load every benchmark's samples (fetching data if needed)."""
    models = select_models(config, model_names)
    name = suite_name or config.default_suite
    plan = RunPlan.build(name, config.suite(name), models)
    work: Work = {}
    for spec in plan.benchmarks:
        benchmark = build_benchmark(config, spec.name)
        work[spec.name] = (benchmark, benchmark.load_samples(spec.limit))
    return plan.with_samples({name: samples for name, (_, samples) in work.items()}), work


def build_benchmark(config: Config, name: str) -> Benchmark:
    """A custom benchmark from the config, else a registered one (with the user's [data] file)."""
    custom = config.benchmarks.get(name)
    if custom is None:
        return get_benchmark(name, data_file=config.data_file(name))
    path = config.resolve(custom.path)
    if not path.is_file():
        raise ConfigError(f"{config.source}: benchmarks.{name}.path: no such file {path}")
    return CustomBenchmark(name, custom.kind, path, custom.shots, custom.metric,
                           custom.description)


def data_sources(work: Work) -> dict[str, str | None]:
    """Which source each benchmark's items came from (set by the benchmark on load)."""
    return {name: getattr(benchmark, "data_source", None)
            for name, (benchmark, _) in work.items()}


def run_suite(config: Config, model_names: list[str] | None = None,
              suite_name: str | None = None, store_file: Path | None = None,
              progress: ProgressSink | None = None) -> RunResult:
    """Run (or resume) a suite and write its Markdown report next to the store."""
    plan, work = prepare_run(config, model_names, suite_name)
    store = Store(store_path(config, store_file))
    try:
        for name, (_, samples) in work.items():
            store.put_samples(name, samples)
        resumable = store.resumable_run(plan.plan_hash())
        run_id = resumable or store.create_run(plan.plan_hash(), plan.suite, plan.as_dict(),
                                               {**environment(),
                                                "data_sources": data_sources(work)})
        store.set_run_status(run_id, "running")
        counts = _execute(store, run_id, plan, work, progress)
        store.set_run_status(run_id, "finished")
        report = write_report(store, [run_id], store.path.parent / "reports")
    finally:
        store.close()
    return RunResult(run_id=run_id, resumed=resumable is not None, counts=counts,
                     report_path=report)


def _execute(store: Store, run_id: int, plan: RunPlan,
             work: Work, progress: ProgressSink | None) -> RunCounts:
    runner = Runner(store, run_id, progress)

    async def main() -> RunCounts:
        slots = [_slot(model) for model in plan.models]
        try:
            return await runner.run(slots, work)
        finally:
            await asyncio.gather(*(slot.provider.aclose() for slot in slots))

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        store.set_run_status(run_id, "interrupted")
        raise KeyboardInterrupt(run_id) from None


def _slot(model: ModelConfig) -> ModelSlot:
    return ModelSlot(name=model.name, provider=build_provider(model),
                     identity=model_identity(model), concurrency=model.concurrency,
                     in_process=model.provider == "llama-cpp")


def write_report(store: Store, run_ids: list[int], directory: Path) -> Path:
    comparison = build_comparison(store, run_ids)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"run-{'-'.join(str(r) for r in run_ids)}.md"
    path.write_text(render_markdown(comparison), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Answer:
    """One model's answer to `ask`: a completion, or the error it ended in."""

    model: ModelConfig
    completion: Completion | None
    error: ErrorRecord | None

    @property
    def cost_usd(self) -> float | None:
        price_in, price_out = self.model.price_input_per_mtok, self.model.price_output_per_mtok
        if self.completion is None or price_in is None or price_out is None:
            return None
        usage = self.completion.usage
        return (usage.input_tokens * price_in + usage.output_tokens * price_out) / 1_000_000


def ask(config: Config, model_names: list[str], prompt: str,
        generation: GenerationConfig | None = None, system: str | None = None) -> list[Answer]:
    """Send the same chat prompt to each model at once; answers come back in model order."""
    models = select_models(config, model_names)
    messages = ((Message("system", system),) if system else ()) + (Message("user", prompt),)
    request = GenerationRequest(config=generation or GenerationConfig(), messages=messages)

    async def one(model: ModelConfig, provider: Provider) -> Answer:
        try:
            return Answer(model, await provider.generate(request), None)
        except ProviderError as error:
            return Answer(model, None, error.record())
        finally:
            await provider.aclose()

    async def main() -> list[Answer]:
        providers = [build_provider(m) for m in models]
        return list(await asyncio.gather(*(one(m, p) for m, p in zip(models, providers,
                                                                     strict=True))))

    return asyncio.run(main())


__all__ = ["Answer", "ExportFormat", "RunResult", "ask", "export_run", "prepare_run",
           "run_suite", "select_models", "store_path", "write_report"]
