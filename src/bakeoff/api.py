"""The Python API behind the CLI: run a suite, judge open-ended answers, ask models one prompt,
read runs back."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bakeoff.benchmarks.base import Benchmark, BenchmarkInfo
from bakeoff.benchmarks.custom import CustomBenchmark
from bakeoff.benchmarks.listing import SourceStatus
from bakeoff.benchmarks.registry import get_benchmark
from bakeoff.config import Config, ConfigError, ModelConfig
from bakeoff.config import load_config as read_config
from bakeoff.cost.budget import Budget
from bakeoff.cost.estimate import Estimate, estimate_judging, estimate_run
from bakeoff.cost.pricing import rates_for
from bakeoff.engine.executor import Executor, Job, LocalExecutor
from bakeoff.engine.plan import (
    BenchmarkSpec,
    RunPlan,
    Tasks,
    check_benchmark_names,
    environment,
    resolve_suite,
)
from bakeoff.engine.runner import ProgressSink, RunCounts
from bakeoff.judging.bradley_terry import ROUNDS
from bakeoff.judging.judge import JudgeModel, JudgeSummary, judge_run, judged_trials
from bakeoff.judging.ratings import Ratings, ratings_for
from bakeoff.outline import Outline, outline
from bakeoff.report.data import ReportData, SpeedFigures, build_report_data
from bakeoff.report.data import report_from_cards as cards_report_data
from bakeoff.report.export import ExportFormat, export_run
from bakeoff.report.insights import DecisionReport, decide
from bakeoff.report.render import render_files, write_files
from bakeoff.store import ErrorRow, NewCompletion, NewRun, Store, is_url, open_store
from bakeoff.trials.base import Trial
from bakeoff.trials.custom import CustomTrial, TrialFileError
from bakeoff.trials.registry import TRIALS
from bakeoff.types import (
    Completion,
    ErrorRecord,
    GenerationConfig,
    GenerationRequest,
    Message,
    ProviderError,
    Sample,
    Score,
    request_key,
)

STORE_NAME = "bakeoff.sqlite"


@dataclass(frozen=True)
class RunResult:
    run_id: int
    resumed: bool
    counts: RunCounts
    report: WrittenReport
    # Set when --max-cost stopped the run before it finished (the run stays resumable).
    budget: Budget | None = None
    # What the judge did, when the suite has judged trials and a judge is configured.
    judging: JudgeSummary | None = None
    # The run's samples left without a score: their last error records.
    errors: tuple[ErrorRow, ...] = ()

    @property
    def report_path(self) -> Path:
        """The Markdown file of the run's report."""
        return self.report.files[".md"]

    @property
    def stopped_by_budget(self) -> bool:
        return self.budget is not None and self.budget.exhausted


def load_config(path: Path | None) -> Config:
    """bakeoff.toml (or the embedded default), with every benchmark it names checked."""
    config = read_config(path)
    check_benchmark_names(config)
    return config


def store_path(config: Config, override: Path | str | None = None) -> Path | str:
    """The store a command uses: --store, else the config's `store`, else
    <output dir>/bakeoff.sqlite; a SQLite file's path or a postgresql:// URL."""
    return override or config.store or config.output.dir / STORE_NAME


def store_exists(location: Path | str) -> bool:
    """Whether there is a store to read: a file that exists; a database is asked when opened."""
    return is_url(location) or Path(location).exists()


def reports_dir(config: Config, location: Path | str) -> Path:
    """Where reports go: beside a store file, or in the output folder for a database."""
    return config.output.dir / "reports" if is_url(location) else \
        Path(location).parent / "reports"


def select_models(config: Config, names: list[str] | None) -> list[ModelConfig]:
    if names:
        return [config.model(name) for name in names]
    if not config.models:
        raise ConfigError(f"{config.source}: no models configured; add [[models]] or pass -m")
    return list(config.models)




def prepare_run(config: Config, model_names: list[str] | None,
                suite_name: str | None) -> tuple[RunPlan, Tasks]:
    """Resolve models and suite, load every benchmark's samples (fetching data if needed) and
    generate every trial's cases from the suite's seed."""
    models = select_models(config, model_names)
    name = suite_name or config.default_suite
    suite = resolve_suite(config, name)
    plan = RunPlan.build(name, suite, models)
    tasks = Tasks(benchmarks={}, trials={})
    for spec in plan.benchmarks:
        if spec.name in TRIALS or spec.name in config.trials:
            trial = build_trial(config, spec.name)
            count = spec.limit or trial.info.full_count
            tasks.trials[spec.name] = (trial, trial.cases(suite.seed, count))
        else:
            benchmark = build_benchmark(config, spec.name)
            tasks.benchmarks[spec.name] = (benchmark, _samples(config, benchmark, spec))
    return plan.with_samples(tasks.samples()), tasks


def _samples(config: Config, benchmark: Benchmark, spec: BenchmarkSpec) -> list[Sample]:
    """The spec's items: the first `limit` of those in its subsets (subjects), in the
    benchmark's own order; ConfigError for a subject the benchmark does not have."""
    if not spec.subsets:
        return benchmark.load_samples(spec.limit)
    samples = benchmark.load_samples(None)
    known = {sample.meta("subject") for sample in samples} - {""}
    unknown = [name for name in spec.subsets if name not in known]
    if unknown:
        hint = f"known: {', '.join(sorted(known))}" if known else "it has no subjects"
        raise ConfigError(f"{config.source}: subsets.{spec.name}: unknown subject "
                          f"{unknown[0]!r} ({hint})")
    chosen = [sample for sample in samples if sample.meta("subject") in spec.subsets]
    return chosen[:spec.limit]


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


def build_trial(config: Config, name: str) -> Trial:
    """A custom trial from the config ([trials.NAME], its file read and checked now), else a
    registered one. A bad file is a ConfigError naming the file and line."""
    custom = config.trials.get(name)
    if custom is None:
        return TRIALS[name]
    path = config.resolve(custom.path)
    if not path.is_file():
        raise ConfigError(f"{config.source}: trials.{name}.path: no such file {path}")
    try:
        return CustomTrial(name, path, custom.description, custom.category)
    except TrialFileError as error:
        raise ConfigError(str(error)) from None


def trial_listing(config: Config) -> list[Trial]:
    """Every trial a suite may name: the registered ones, then the config's custom ones."""
    return [*TRIALS.values(), *(build_trial(config, name) for name in config.trials)]


def benchmark_listing(config: Config) -> list[tuple[BenchmarkInfo, Path | None]]:
    """Every benchmark a suite may name, with the user's `[data]` file where one is set."""
    from bakeoff.benchmarks.listing import benchmark_infos

    user_files = {name: config.resolve(path) for name, path in config.data.items()}
    custom = [CustomBenchmark(name, c.kind, config.resolve(c.path), c.shots, c.metric,
                              c.description) for name, c in config.benchmarks.items()]
    return benchmark_infos(user_files, custom)


def data_statuses(config: Config, hub_timeout_s: float) -> list[SourceStatus]:
    """Each benchmark's data sources and whether each is usable on this machine now."""
    from bakeoff.benchmarks.listing import data_statuses as statuses

    return statuses(benchmark_listing(config), hub_timeout_s)


def trial_categories(tasks: Tasks) -> dict[str, str]:
    """Each trial's report category, recorded with the run (a user's trial is not in the
    registry the report reads)."""
    return {name: trial.info.category for name, (trial, _) in tasks.trials.items()}


def data_sources(tasks: Tasks) -> dict[str, str | None]:
    """Which source each benchmark's items came from (set by the benchmark on load)."""
    return {name: benchmark.data_source for name, (benchmark, _) in tasks.benchmarks.items()}


def run_suite(config: Config, model_names: list[str] | None = None,
              suite_name: str | None = None, store_file: Path | str | None = None,
              progress: ProgressSink | None = None,
              max_cost_usd: float | None = None,
              announce: Callable[[Outline], None] | None = None,
              command: str | None = None, executor: Executor | None = None) -> RunResult:
    """Run (or resume) a suite and write its Markdown report next to the store.

    With `max_cost_usd`, no call starts that would take this command's spending past it (see
    bakeoff.cost.budget); the run then stays unfinished, so a rerun resumes it. `announce`
    gets the run's outline (models, tasks, items, a time estimate) before any call; `command`
    (the command line that asked for the run) is recorded with a new run for its report.
    `executor` carries out the work: the local one (this process) unless another is given."""
    plan, work = prepare_run(config, model_names, suite_name)
    priced = [*plan.models, *([config.model(config.judge.model)] if config.judge else [])]
    budget = None if max_cost_usd is None else Budget(
        max_cost_usd, {model.name: rates_for(model) for model in priced})
    location = store_path(config, store_file)
    store = open_store(location)
    reports = reports_dir(config, location)
    try:
        store.check_integrity()
        for name, samples in work.samples().items():
            store.put_samples(name, samples)
        claim = store.claim_run(plan.plan_hash(), NewRun(
            plan.suite, plan.as_dict(), {**environment(), "data_sources": data_sources(work),
                                         "trial_categories": trial_categories(work),
                                         **({"command": command} if command else {})}),
            reopen=lambda run_id: not _report_written(reports, run_id))
        run_id = claim.run_id
        try:
            if announce is not None:
                announce(run_outline(store, plan, work, run_id if claim.resumed else None))
            job = Job(store, location, run_id, plan.models, work)
            counts = (executor or LocalExecutor()).execute(job, progress, budget)
            judging = None if budget and budget.exhausted else _judge_after_run(
                config, store, run_id, plan, budget)
            ending = "interrupted" if budget and budget.exhausted else "finished"
            report = write_report(store, [run_id], reports,
                                  speed=speed_for_report(store, None), ending=ending)
            # Finished only once its report is written: a run stopped before stays resumable.
            store.set_run_status(run_id, ending)
            failures = tuple(store.errors(run_id))
        finally:
            store.release_run(run_id)
    finally:
        store.close()
    return RunResult(run_id=run_id, resumed=claim.resumed, counts=counts,
                     report=report, budget=budget, judging=judging, errors=failures)


def _report_written(directory: Path, run_id: int) -> bool:
    """Whether every file of a run's own report is there (see write_report)."""
    return all((directory / f"run-{run_id}{suffix}").exists()
               for suffix in (".html", ".md", ".json"))


def run_outline(store: Store, plan: RunPlan, work: Tasks, resumed: int | None) -> Outline:
    """What the run will do and roughly how long it will take (see bakeoff.outline)."""
    items = {name: len(samples) for name, samples in work.samples().items()}
    done = {} if resumed is None else {
        (model.name, task): len(store.scored_sample_ids(resumed, model.name, task))
        for model in plan.models for task in items}
    return outline(store, plan.models, items, set(work.trials), done, plan.plan_hash())


def _judge_after_run(config: Config, store: Store, run_id: int, plan: RunPlan,
                     budget: Budget | None) -> JudgeSummary | None:
    """Judge the run's open-ended answers once every model answered, if a judge is set."""
    trials = judged_trials(b.name for b in plan.benchmarks)
    if not trials or config.judge is None:
        return None
    try:
        return _judge_stored(store, run_id, config.model(config.judge.model), trials, budget)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(run_id) from None


@dataclass(frozen=True)
class JudgeResult:
    summary: JudgeSummary
    # The ratings of the run (every judge's, and people's votes), None without verdicts.
    ratings: Ratings | None


def judge(config: Config, run_id: int, judge_name: str | None = None,
          store_file: Path | str | None = None, *, rounds: int = ROUNDS) -> JudgeResult:
    """Judge a stored run's open-ended answers (again: calls come from the cache and the
    verdicts are replaced) with `judge_name` or the config's judge, then rate the models."""
    name = judge_name or (config.judge.model if config.judge else None)
    if name is None:
        raise ConfigError(f"{config.source}: no judge: add [judge] model = \"NAME\" or pass "
                          "--judge NAME")
    model = config.model(name)
    store = open_store(store_path(config, store_file))
    try:
        run = store.run(run_id)
        if run is None:
            raise LookupError(f"no run {run_id} in {store.location} (see `bakeoff runs`)")
        trials = judged_trials(b["name"] for b in run.plan["benchmarks"])
        if not trials:
            raise LookupError(f"run {run_id} has no judged trial (such as open_ended): "
                              "nothing to judge")
        summary = _judge_stored(store, run_id, model, trials)
        return JudgeResult(summary, ratings_for(store, [run_id], rounds=rounds))
    finally:
        store.close()


def _judge_stored(store: Store, run_id: int, model: ModelConfig, trials: tuple[str, ...],
                  budget: Budget | None = None) -> JudgeSummary:
    judge_model = JudgeModel(model.name, model.build(), model.identity(), model.concurrency)

    async def main() -> JudgeSummary:
        try:
            return await judge_run(store, run_id, judge_model, trials, budget)
        finally:
            await judge_model.provider.aclose()

    return asyncio.run(main())


def estimate_suite(config: Config, model_names: list[str] | None = None,
                   suite_name: str | None = None,
                   store_file: Path | str | None = None) -> list[Estimate]:
    """Tokens and cost a run would need, per model and benchmark; calls no model."""
    plan, work = prepare_run(config, model_names, suite_name)
    path = store_path(config, store_file)
    store = open_store(path) if store_exists(path) else None
    try:
        rows = estimate_run(plan.models, work.benchmarks, store, trials=work.trials)
        if config.judge is not None:
            rows += estimate_judging(config.model(config.judge.model), work.trials,
                                     len(plan.models))
        return rows
    finally:
        if store is not None:
            store.close()


def speed_for_report(store: Store, speed_run_id: int | None) -> SpeedFigures | None:
    """The speed figures of a speed run, or of the latest finished one; None if there is none."""
    from bakeoff.report.data import latest_speed_figures

    return latest_speed_figures(store, speed_run_id)


@dataclass(frozen=True)
class WrittenReport:
    """A decision report and the files it was written to (by suffix: .html, .md, .json)."""

    report: DecisionReport
    files: dict[str, Path]


def write_report(store: Store, run_ids: list[int], directory: Path,
                 speed: SpeedFigures | None = None,
                 profiles: Path | None = None, ending: str | None = None) -> WrittenReport:
    """Write run-<ids>.html, .md and .json into `directory`. `ending`: the status the runs
    are given once it is written (a run is finished only when its report is), as it shows."""
    data = build_report_data(store, run_ids, speed)
    if ending is not None and data.comparison is not None:
        ended = time.time() if ending == "finished" else None
        data.comparison.runs = [replace(run, status=ending, finished_at=ended)
                                for run in data.comparison.runs]
    report = decide(data, profiles)
    stem = directory / f"run-{'-'.join(str(r) for r in run_ids)}"
    return WrittenReport(report, write_files(report, stem))


def report_from_cards(names: list[str], directory: Path, profiles: Path | None = None,
                      config: Config | None = None) -> WrittenReport:
    """A report of published figures only; a name that is a model of `config` shows its
    configured figures (prices, published speeds, spec) over its card's."""
    report = decide(cards_report_data(names, config=config), profiles)
    return WrittenReport(report, write_files(report, directory / f"cards-{'-'.join(names)}"))


def render_report(data: ReportData, profiles: Path | None = None,
                  html_name: str = "") -> dict[str, str]:
    """The report's three files as text by suffix (.html, .md, .json); `html_name` is what
    the Markdown links to for charts and transcripts."""
    return render_files(decide(data, profiles), html_name)


@dataclass(frozen=True)
class Answer:
    """One model's answer to `ask`: a completion, or the error it ended in."""

    model: ModelConfig
    completion: Completion | None
    error: ErrorRecord | None

    @property
    def cut_off(self) -> bool:
        """The answer stopped at max_tokens, not where the model ended it."""
        return self.completion is not None and self.completion.finish_reason == "length"

    @property
    def cost_usd(self) -> float | None:
        rates = rates_for(self.model)  # the model's prices, else its linked card's
        if self.completion is None or not rates.has_token_prices:
            return None
        usage = self.completion.usage
        return rates.token_cost(usage.input_tokens, usage.output_tokens)


ASK_TASK = "ask"  # the task an `ask` run stores its prompt and answers under


@dataclass(frozen=True)
class AskResult:
    answers: list[Answer]
    run_id: int  # the run holding the prompt and the answers (see `bakeoff runs`)


def ask(config: Config, model_names: list[str], prompt: str,
        generation: GenerationConfig | None = None, system: str | None = None, *,
        store_file: Path | str | None = None,
        on_start: Callable[[str], None] | None = None,
        on_text: Callable[[str, str], None] | None = None,
        on_done: Callable[[Answer], None] | None = None) -> AskResult:
    """Send the same chat prompt to each model, one after another, streamed: `on_start(model)`
    before a model is asked, `on_text(model, text)` for each piece of its answer as it comes,
    `on_done(answer)` once it is stored.

    The prompt and the answers are stored as a run of their own (task "ask", metric
    "answered": 1 for a non-empty answer), so `bakeoff runs` and `bakeoff view` show them."""
    models = select_models(config, model_names)
    messages = ((Message("system", system),) if system else ()) + (Message("user", prompt),)
    request = GenerationRequest(config=generation or GenerationConfig(), messages=messages)
    sample = Sample(id="prompt-" + hashlib.sha256(
        f"{system or ''}\n{prompt}".encode()).hexdigest()[:12], input=prompt, target="",
        metadata=(("system", system),) if system else ())
    store = open_store(store_path(config, store_file))
    try:
        store.put_samples(ASK_TASK, [sample])
        run_id = store.create_run(
            f"ask:{uuid.uuid4().hex}", ASK_TASK,
            {"suite": ASK_TASK, "benchmarks": [{"name": ASK_TASK}],
             "models": [m.model_dump(mode="json", exclude_defaults=True) for m in models],
             "request": request.as_dict()}, environment())

        async def main() -> list[Answer]:
            answers = []
            for model in models:
                if on_start is not None:
                    on_start(model.name)
                answer, kind = await _ask_one(model, request, on_text)
                _store_answer(store, run_id, sample.id, kind, request, answer)
                answers.append(answer)
                if on_done is not None:
                    on_done(answer)
            return answers

        try:
            answers = asyncio.run(main())
        except KeyboardInterrupt:
            store.set_run_status(run_id, "interrupted")
            raise KeyboardInterrupt(run_id) from None
        store.set_run_status(run_id, "finished")
    finally:
        store.close()
    return AskResult(answers, run_id)


async def _ask_one(model: ModelConfig, request: GenerationRequest,
                   on_text: Callable[[str, str], None] | None) -> tuple[Answer, str]:
    """The model's answer, streamed through `on_text`; and its provider's kind (for the key)."""
    provider = model.build()
    try:
        completion = None
        async for event in provider.stream(request):
            if isinstance(event, Completion):
                completion = event
            elif on_text is not None and event.text:
                on_text(model.name, event.text)
        if completion is None:
            raise ProviderError("bad_response", f"{model.name}: the stream ended with no answer")
        return Answer(model, completion, None), provider.kind
    except ProviderError as error:
        return Answer(model, None, error.record()), provider.kind
    finally:
        await provider.aclose()


def _store_answer(store: Store, run_id: int, sample_id: str, kind: str,
                  request: GenerationRequest, answer: Answer) -> None:
    """The answer as a score ("answered") with its completion, or its error record."""
    if answer.completion is None:
        assert answer.error is not None
        store.put_error(run_id, answer.model.name, ASK_TASK, sample_id, answer.error)
        return
    identity = answer.model.identity()
    key = request_key(kind, identity, request)
    answered = 1.0 if answer.completion.text.strip() else 0.0
    store.put_scores(run_id, answer.model.name, ASK_TASK, "generative", 0,
                     [Score(sample_id, "answered", answered)], [key],
                     [NewCompletion(key, kind, identity, request, answer.completion)])


__all__ = [
    "ASK_TASK",
    "Answer",
    "AskResult",
    "ExportFormat",
    "JudgeResult",
    "RunResult",
    "WrittenReport",
    "ask",
    "benchmark_listing",
    "data_statuses",
    "estimate_suite",
    "export_run",
    "judge",
    "load_config",
    "prepare_run",
    "render_report",
    "report_from_cards",
    "reports_dir",
    "run_suite",
    "select_models",
    "store_exists",
    "store_path",
    "trial_listing",
    "write_report",
]
