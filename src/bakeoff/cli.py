"""The `bakeoff` command: a thin typer layer over bakeoff.api."""

from __future__ import annotations

import errno
import os
import shlex
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

# Everything else is imported by the command that needs it, so that `bakeoff --help` and
# `bakeoff models` start fast (tests/test_startup.py keeps the heavy packages out of this list).
if TYPE_CHECKING:
    from rich.progress import Progress, TaskID
    from rich.status import Status

    from bakeoff import api
    from bakeoff.catalog import ModelCard
    from bakeoff.config import Config
    from bakeoff.engine.executor import Executor
    from bakeoff.judging.judge import JudgeSummary
    from bakeoff.judging.ratings import Rating, Ratings, RatingTable
    from bakeoff.outline import Outline
    from bakeoff.report.insights import DecisionReport
    from bakeoff.store import ErrorRow, RunRow, Store

app = typer.Typer(
    help="Compare large language models head to head: quality, speed and cost.",
    no_args_is_help=True,
    add_completion=False,
    # Never print locals in a traceback: they could hold secrets.
    pretty_exceptions_enable=False,
)
# Width when no terminal says it (a log, a pipe) and COLUMNS is not set: rich's 80 folds the
# tables' headers mid-word; a log is read in a wider window.
PLAIN_WIDTH = 120


def _width(stream: object) -> int | None:
    """None (rich asks the terminal or reads COLUMNS), else PLAIN_WIDTH."""
    is_terminal = getattr(stream, "isatty", None)
    if (callable(is_terminal) and is_terminal()) or os.environ.get("COLUMNS", "").isdigit():
        return None
    return PLAIN_WIDTH


console = Console(width=_width(sys.stdout))
errors = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="bakeoff.toml to use (default: ./bakeoff.toml "
                              "if present, else the three bundled models).")]
ModelsOption = Annotated[
    list[str] | None, typer.Option("--model", "-m", help="A model name (repeat for several).")]


def _refuse(message: str) -> NoReturn:
    """A flag's value is wrong: one line and exit code 2 while the flags are read, as a user
    error later gives (click's usage box is not one line)."""
    errors.print(f"bakeoff: error: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def _store_file(value: str | None) -> str | None:
    """A SQLite file's path or a postgresql:// URL (kept a string: a Path would fold its //)."""
    if value is not None and not value.lower().startswith(("postgresql://", "postgres://")) \
            and Path(value).is_dir():
        _refuse(f"--store {value}: a folder; give the store's file, such as "
                f"{Path(value) / 'bakeoff.sqlite'}")
    return value


def _shown(location: str | Path) -> str:
    """A store's location as it may be printed or recorded: a URL without its password."""
    from bakeoff.store.locations import redacted

    return redacted(location)


def _profiles_file(value: Path | None) -> Path | None:
    if value is not None and not value.is_file():
        _refuse(f"--profiles {value}: {'a folder' if value.is_dir() else 'no such file'}")
    return value


def _report_folder(value: Path | None) -> Path | None:
    if value is not None and value.exists() and not value.is_dir():
        _refuse(f"--output {value}: a file, not a folder")
    return value


StoreOption = Annotated[str | None, typer.Option(
    "--store", callback=_store_file,
    help="SQLite file, or postgresql://user@host/db (default: the config's store, else "
         "<output dir>/bakeoff.sqlite).")]


class UserError(Exception):
    """Bad input a user can fix: printed as one line, exit code 2."""


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one clear line and exit code 2."""
    try:
        yield
    except _user_errors() as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        errors.print(f"bakeoff: error: {message}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except _data_errors() as exc:
        errors.print(f"bakeoff: error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        # A folder the user named that cannot be made or written (a file in the way, /proc,
        # read-only, a full disk): the path and the reason. Others are bugs: a traceback.
        if exc.filename is None and exc.errno not in USER_ERRNOS:
            raise
        errors.print(f"bakeoff: error: {_os_problem(exc)}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _os_problem(exc: OSError) -> str:
    """`path: what is wrong` for a file or folder bakeoff could not make, read or write."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        problem = "a file is where a folder is needed"
    else:
        problem = exc.strerror or str(exc)
    return f"{exc.filename}: {problem}" if exc.filename is not None else problem


# What a full disk or a read-only folder raises when no file is named.
USER_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)


def _user_errors() -> tuple[type[Exception], ...]:
    """The error classes, imported only once an exception is on its way."""
    from bakeoff.cache import FetchError, IntegrityError
    from bakeoff.catalog import CardError, GGUFError
    from bakeoff.config import ConfigError
    from bakeoff.engine.executor import ExecutorError
    from bakeoff.store import StoreError

    return (UserError, ConfigError, StoreError, IntegrityError, FetchError, LookupError,
            CardError, GGUFError, ExecutorError)


def _data_errors() -> tuple[type[Exception], ...]:
    from bakeoff.benchmarks.data import DataUnavailable

    return (DataUnavailable,)


def load_config(path: Path | None) -> Config:
    """bakeoff.toml (or the embedded default) with every benchmark it names checked."""
    from bakeoff import api

    return api.load_config(path)


class RunProgress:
    """A bar per model and one for the whole run (a ProgressSink).

    The run's ETA is steady: the plan's estimate counting down until enough items finished,
    then the remaining items at the average pace since the start (not a recent window, which
    jumps as tasks of different cost pass).

    Where no terminal shows the bars (a log, a pipe), `plain` gets a line now and then instead:
    every `every_s` seconds at most and whenever a model finishes a task."""

    OVERALL = "all models"
    # Items finished before the pace so far replaces the plan's estimate.
    SETTLED = 10
    # Seconds between plain progress lines (a task's end prints one sooner).
    PLAIN_EVERY_S = 30.0

    def __init__(self, progress: Progress, clock: Callable[[], float] = time.monotonic,
                 plain: Callable[[str], None] | None = None,
                 every_s: float = PLAIN_EVERY_S) -> None:
        self._progress = progress
        self._clock = clock
        self._started = clock()
        self._estimate_s: float | None = None
        self._finished_here = 0
        self._overall = progress.add_task(self.OVERALL, total=0, note="")
        self._models: dict[str, TaskID] = {}
        self._errors: dict[str, int] = {}
        self._plain = plain
        self._every_s = every_s
        self._last_plain = self._started
        self._left: Counter[tuple[str, str]] = Counter()  # (model, task) -> items to go

    def set_estimate(self, seconds: float | None) -> None:
        """The plan's estimate of the whole run (None: unknown)."""
        self._estimate_s = seconds
        self._started = self._last_plain = self._clock()
        self._progress.update(self._overall, note=self.eta_text())

    def start(self, model: str, benchmark: str, total: int, done: int) -> None:
        if model not in self._models:
            self._errors[model] = 0
            self._models[model] = self._progress.add_task(model, total=0, note="")
        for task in (self._models[model], self._overall):
            current = self._progress.tasks[task]
            self._progress.update(task, total=(current.total or 0) + total,
                                  completed=current.completed + done)
        self._left[(model, benchmark)] += total - done

    def advance(self, model: str, benchmark: str, *, error: bool) -> None:
        self._finished_here += 1
        if error:
            self._errors[model] += 1
        count = self._errors[model]
        self._progress.update(self._models[model], advance=1,
                              description=f"{model} · {benchmark}",
                              note=f"{count} errors" if count else "")
        self._progress.update(self._overall, advance=1)
        self._progress.update(self._overall, note=self.eta_text())  # counting this item
        self._left[(model, benchmark)] -= 1
        self._maybe_plain(task_ended=self._left[(model, benchmark)] == 0)

    def _maybe_plain(self, *, task_ended: bool) -> None:
        now = self._clock()
        if self._plain is None or not (task_ended or now - self._last_plain >= self._every_s):
            return
        self._last_plain = now
        self._plain(self.plain_line())

    def plain_line(self) -> str:
        """'progress: 212/561 items, 0:12:05 elapsed, about 20 min left'."""
        overall = self._progress.tasks[self._overall]
        elapsed = int(max(0.0, self._clock() - self._started))
        clock = f"{elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
        return (f"progress: {overall.completed:,.0f}/{overall.total or 0:,.0f} items, "
                f"{clock} elapsed, {self.eta_text()}")

    def eta_text(self) -> str:
        """'about 12 min left', from the pace so far or (early on) the plan's estimate."""
        from bakeoff.outline import duration

        overall = self._progress.tasks[self._overall]
        remaining = max(0.0, (overall.total or 0) - overall.completed)
        elapsed = self._clock() - self._started
        if remaining == 0 and overall.total:
            return "done"
        if self._finished_here >= self.SETTLED and elapsed > 0:
            left = remaining * elapsed / self._finished_here
        elif self._estimate_s is not None:
            left = max(0.0, self._estimate_s - elapsed)
        else:
            return "time left: estimating"
        return f"about {duration(left)} left"


@app.command()
def run(config: ConfigOption = None, model: ModelsOption = None,
        suite: Annotated[str | None, typer.Option("--suite", "-s",
                                                  help="Suite name: quick, full or one "
                                                       "from the config.")] = None,
        store: StoreOption = None,
        estimate: Annotated[bool, typer.Option(
            "--estimate", help="Print the tokens and cost the run would need, call no model, "
                               "and exit.")] = False,
        max_cost: Annotated[float | None, typer.Option(
            "--max-cost", min=0.0, help="Stop before a call would take this command's spending "
                                        "past USD; rerun with a higher cap to resume.")] = None,
        executor: Annotated[str, typer.Option(
            "--executor", help="Who does the work: local (this process) or ray (the workers "
                               "of a Ray cluster).")] = "local",
        ray_address: Annotated[str | None, typer.Option(
            "--ray-address", help="The Ray cluster to use (default: start a local one).")] = None,
        ray_workers: Annotated[int | None, typer.Option(
            "--ray-workers", min=1, max=4096, help="Ray worker processes (default: one per CPU "
                                                   "of the cluster).")] = None,
        ray_shard_size: Annotated[int | None, typer.Option(
            "--ray-shard-size", min=1, max=100_000, help="Items per unit of Ray work "
                                                          "(default 16).")] = None,
        ) -> None:
    """Run a suite on the models and write a report. Re-running resumes or reuses answers."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from bakeoff import api

    if estimate:
        _print_estimate(config, model, suite, store)
        return
    chosen = _executor(executor, ray_address, ray_workers, ray_shard_size, max_cost)
    with user_errors():
        settings = load_config(config)
        columns = (TextColumn("{task.description}", markup=False), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[note]}", markup=False))
        try:
            with Progress(*columns, console=console) as progress:
                # No terminal (a log, a pipe): rich draws no bars, so plain lines say it.
                sink = RunProgress(progress, plain=None if console.is_terminal else _print_line)

                def announce(outline: Outline) -> None:
                    _print_line(outline.line())
                    sink.set_estimate(outline.seconds)

                result = api.run_suite(settings, model, suite, store, sink, max_cost, announce,
                                       _run_command(config, model, suite, store, max_cost,
                                                    _executor_args(executor, ray_address,
                                                                   ray_workers, ray_shard_size)),
                                       executor=chosen)
        except KeyboardInterrupt as interrupt:
            run_id = interrupt.args[0] if interrupt.args else "?"
            errors.print(f"interrupted: run {run_id} keeps what finished; "
                         "run the same command again to resume")
            raise typer.Exit(130) from None
    verb = "resumed" if result.resumed else "finished"
    counts = result.counts
    _print_line(f"run {result.run_id} {verb}: {counts.scored} samples scored, "
                f"{counts.calls} calls made, {counts.cache_hits} answers reused from the "
                f"store, {counts.errors} errors")
    if result.judging is not None:
        _print_judging(result.judging)
    _print_summary(result.report.report)
    _print_line(f"report: {_report_files(result.report_path)}")
    if result.budget is not None and result.budget.exhausted:
        budget = result.budget
        errors.print(f"budget reached: run {result.run_id} spent ${budget.spent_usd:.4f} of "
                     f"--max-cost ${budget.limit_usd:.4f}; the next call was estimated at "
                     f"${budget.refused_estimate_usd or 0:.4f}. Finished work is stored; run "
                     "the same command with a higher --max-cost to resume.", markup=False)
        raise typer.Exit(3)
    if result.errors:
        errors.print(_errors_line(result.errors, every=counts.scored == 0), markup=False,
                     highlight=False, soft_wrap=True)
        raise typer.Exit(RUN_WITH_ERRORS)


def _executor(name: str, address: str | None, workers: int | None, shard_size: int | None,
              max_cost: float | None) -> Executor | None:
    """The executor the flags ask for (None: the local one); a wrong combination refused."""
    if name not in ("local", "ray"):
        _refuse(f"--executor {name}: unknown (known: local, ray)")
    ray_flags = [flag for flag, value in (("--ray-address", address), ("--ray-workers", workers),
                                          ("--ray-shard-size", shard_size)) if value is not None]
    if name == "local":
        if ray_flags:
            _refuse(f"{ray_flags[0]} needs --executor ray")
        return None
    if max_cost is not None:
        _refuse("--max-cost is not available with --executor ray (the cap is kept in one "
                "process); use the local executor for a capped run")
    if address is not None and workers is not None:
        _refuse("--ray-workers sizes a local Ray; with --ray-address the cluster's CPUs decide")
    from bakeoff.engine.ray_executor import SHARD_SIZE, RayExecutor

    return RayExecutor(address, workers, shard_size or SHARD_SIZE)


# `bakeoff run`'s exit code when the run finished but some samples ended in an error record.
RUN_WITH_ERRORS = 4


def _errors_line(records: tuple[ErrorRow, ...], every: bool) -> str:
    """The samples left without a score, counted by kind with the first message of each; a
    reason shared by every failure is said once."""
    samples = f"{len(records)} sample{'s' if len(records) != 1 else ''}"
    messages = {record.message for record in records}
    if len(messages) == 1:
        scope = f"every call failed ({samples})" if every else f"{samples} ended in an error"
        return f"{scope}: {_first_line(records[0].message)}"
    first: dict[str, str] = {}
    tally: Counter[str] = Counter()
    for record in records:
        first.setdefault(record.kind, record.message)
        tally[record.kind] += 1
    kinds = "; ".join(f"{count} {kind} (first: {_first_line(first[kind])})"
                      for kind, count in tally.most_common())
    return f"{samples} ended in an error: {kinds}"


def _first_line(message: str, limit: int = 200) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "(no message)"
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _run_command(config: Path | None, models: list[str] | None, suite: str | None,
                 store: str | None, max_cost: float | None,
                 executor: list[str] | None = None) -> str:
    """The command line of a run as given (normalised: long options, in one order), recorded
    with the run so its report can say how it was made."""
    parts = ["bakeoff", "run"]
    parts += ["--config", str(config)] if config else []
    for name in models or []:
        parts += ["--model", name]
    parts += ["--suite", suite] if suite else []
    parts += ["--store", _shown(store)] if store else []
    parts += ["--max-cost", f"{max_cost:g}"] if max_cost is not None else []
    parts += executor or []
    return shlex.join(parts)


def _executor_args(name: str, address: str | None, workers: int | None,
                   shard_size: int | None) -> list[str]:
    """--executor and its flags as given, for the recorded command (none for the default)."""
    if name == "local":
        return []
    given = (("--ray-address", address), ("--ray-workers", workers),
             ("--ray-shard-size", shard_size))
    return ["--executor", name, *(part for flag, value in given if value is not None
                                  for part in (flag, str(value)))]


def _print_estimate(config: Path | None, model: list[str] | None, suite: str | None,
                                    store: str | None) -> None:
    from bakeoff import api

    with user_errors():
        rows = api.estimate_suite(load_config(config), model, suite, store)
    table = Table(title="estimate (no model called)")
    for column in ("model", "benchmark", "requests", "in store", "input tokens",
                   "output tokens (max / typical)", "cost $ (max / typical)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        counted = "" if row.input_counted_by == "tokenizer" else " (chars/4 estimate)"
        typical = "—" if row.output_tokens_typical is None else f"{row.output_tokens_typical:,}"
        table.add_row(row.model, row.benchmark, f"{row.requests:,}", f"{row.cached:,}",
                      f"{row.input_tokens:,}{counted}", f"{row.output_tokens_max:,} / {typical}",
                      f"{_usd(row.cost_max_usd)} / {_usd(row.cost_typical_usd)}")
    console.print(table)
    known = [r.cost_max_usd for r in rows if r.cost_max_usd is not None]
    console.print(f"total upper bound: ${sum(known):.4f}" + (
        "" if len(known) == len(rows) else " (models without a token price not included)"))


def _usd(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


@app.command()
def ask(prompt: Annotated[str, typer.Argument(help="The prompt to send to every model.")],
        model: ModelsOption = None, config: ConfigOption = None,
        system: Annotated[str | None, typer.Option(help="A system message.")] = None,
        max_tokens: Annotated[int, typer.Option(min=1)] = 256,
        temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
        store: StoreOption = None) -> None:
    """Send one prompt to each model in turn, showing each answer as it comes; the answers are
    stored as a run (see `bakeoff runs`, `bakeoff view`)."""
    from bakeoff import api
    from bakeoff.types import GenerationConfig

    waiting: list[Status] = []  # a terminal's spinner until the model's first words

    def stop_waiting() -> None:
        while waiting:
            waiting.pop().stop()

    def started(name: str) -> None:
        stop_waiting()
        console.print()
        console.rule(Text(name), align="left")
        if console.is_terminal:
            waiting.append(console.status(f"waiting for {escape(name)} (loading it, or its "
                                          "first token)"))
            waiting[0].start()

    def text(name: str, piece: str) -> None:
        stop_waiting()
        console.print(piece, end="", markup=False, highlight=False, soft_wrap=True)

    def done(answer: api.Answer) -> None:
        if answer.cut_off:  # the limit ended it, not the model: say so where the text stops
            stop_waiting()
            console.print(f"\n[cut off at {max_tokens} tokens; --max-tokens to raise it]",
                          end="", markup=False, highlight=False, soft_wrap=True)

    with user_errors():
        settings = load_config(config)
        if not model:
            raise UserError("ask needs at least one --model/-m")
        try:
            result = api.ask(settings, model, prompt,
                             GenerationConfig(max_tokens=max_tokens, temperature=temperature),
                             system, store_file=store, on_start=started, on_text=text,
                             on_done=done)
        except KeyboardInterrupt as interrupt:
            run_id = interrupt.args[0] if interrupt.args else "?"
            errors.print(f"\ninterrupted: run {run_id} keeps the answers that finished")
            raise typer.Exit(130) from None
        finally:
            stop_waiting()
    console.print()
    answers = result.answers
    for answer in answers:
        if answer.error is not None:
            errors.print(f"{answer.model.name}: {_answer_text(answer)}", markup=False,
                         highlight=False, soft_wrap=True)
    table = Table(title="answers")
    table.add_column("")
    for answer in answers:
        table.add_column(Text(answer.model.name), overflow="fold")
    table.add_row("latency", *[_latency(a) for a in answers])
    table.add_row("tokens in / out", *[_tokens(a) for a in answers])
    table.add_row("cost", *[_ask_cost(a) for a in answers])
    console.print(table)
    _print_line(f"stored as run {result.run_id}: `bakeoff runs` lists it, `bakeoff view` shows "
                "the answers side by side")
    if any(a.error for a in answers):
        raise typer.Exit(1)


def _answer_text(answer: api.Answer) -> str:
    if answer.error is not None:
        return (f"error ({answer.error.kind}, {answer.error.attempts} attempts): "
                f"{answer.error.message}")
    assert answer.completion is not None
    return answer.completion.text.strip() or "(empty answer)"


def _latency(answer: api.Answer) -> str:
    if answer.completion is None:
        return "—"
    timing = answer.completion.timing
    ttft = "—" if timing.ttft_s is None else f"{timing.ttft_s:.2f} s"
    return f"{timing.latency_s:.2f} s (first token {ttft})"


def _tokens(answer: api.Answer) -> str:
    if answer.completion is None:
        return "—"
    usage = answer.completion.usage
    label = {"tokenizer": " (tokenizer count)", "estimate": " (estimate)"}.get(usage.source, "")
    cut = " (cut off at --max-tokens)" if answer.cut_off else ""
    return f"{usage.input_tokens} / {usage.output_tokens}{label}{cut}"


def _ask_cost(answer: api.Answer) -> str:
    cost = answer.cost_usd
    return "— (no price)" if cost is None else f"${cost:.6f}"


@app.command()
def models(config: ConfigOption = None,
           cards: Annotated[str | None, typer.Option(
               "--cards", help="Shipped cards to add to the spec sheet, comma-separated "
                               "(e.g. llama-3.1-405b-instruct,mixtral-8x22b-instruct).")] = None,
           all_cards: Annotated[bool, typer.Option(
               "--all-cards", help="Add every shipped card to the spec sheet.")] = False) -> None:
    """List the models, then their spec sheets side by side (with any cards asked for)."""
    from bakeoff.catalog.sheet import source_lines, spec_rows
    from bakeoff.config import load_config as read_config

    with user_errors():
        # The file itself only: its benchmark names are checked by the commands that use
        # them, as that needs every benchmark and trial imported (seconds, not milliseconds).
        settings = read_config(config)
        sheet, per_hour = _spec_cards(settings, cards, all_cards)
    table = Table(title="models")
    table.add_column("name", no_wrap=True)
    for column in ("served by", "context", "$/1M in / out", "notes"):
        table.add_column(column, overflow="fold")
    for entry in _model_rows(settings):
        table.add_row(*entry)
    console.print(table)
    spec = Table(title="spec sheets (— : not published or not verified)", show_lines=True)
    spec.add_column("", no_wrap=True)
    for card in sheet:
        spec.add_column(card.display_name, overflow="fold")
    for label, cells in spec_rows(sheet, per_hour):
        spec.add_row(label, *[escape(cell) for cell in cells])
    console.print(spec)
    for card in sheet:
        console.print(f"sources for {card.name}:", markup=False, soft_wrap=True)
        for line in source_lines(card):
            console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


def _spec_cards(settings: Config, cards: str | None,
                all_cards: bool) -> tuple[list[ModelCard], list[float | None]]:
    """Cards of the listed models (bundled GGUFs read only if already downloaded), then the
    shipped cards asked for; and each column's configured price per hour."""
    from bakeoff.catalog import card_names, load_card
    from bakeoff.catalog.resolve import model_card
    from bakeoff.config import bundled_model_config
    from bakeoff.providers.bundled import BUNDLED_MODELS

    user_models = [] if settings.source == "<embedded default>" else list(settings.models)
    listed = user_models + [bundled_model_config(n) for n in BUNDLED_MODELS
                            if n not in {m.name for m in user_models}]
    sheet: list[ModelCard] = []
    per_hour: list[float | None] = []
    for m in listed:
        card = model_card(m, settings.source, read_files=m.gguf_file(download=False) is not None)
        if card is not None:
            sheet.append(card)
            per_hour.append(m.price_per_hour)
    wanted = card_names() if all_cards else [n.strip() for n in (cards or "").split(",")
                                             if n.strip()]
    for name in wanted:
        if name not in {c.name for c in sheet}:
            sheet.append(load_card(name))
            per_hour.append(None)
    return sheet, per_hour


def _model_rows(settings: Config) -> list[list[str]]:
    from bakeoff.catalog.resolve import context_window
    from bakeoff.config import bundled_model_config
    from bakeoff.providers.bundled import BUNDLED_MODELS

    rows = []
    user_models = [] if settings.source == "<embedded default>" else settings.models
    for m in user_models:
        # The spec sheet's figure (configured, else the card's or GGUF's), else the kind's.
        context = context_window(m, settings.source,
                                 read_files=m.gguf_file(download=False) is not None)
        context = context or m.context_window()
        rows.append([m.name, m.served_by(), f"{context:,}" if context else "—",
                     f"{_price(m.price_input_per_mtok)} / {_price(m.price_output_per_mtok)}",
                     "configured"])
    configured = {m.name for m in user_models}
    for name in BUNDLED_MODELS:
        if name in configured:
            continue
        bundled = bundled_model_config(name)
        cached = bundled.gguf_file(download=False) is not None
        state = "cached" if cached else "downloaded on first use"
        context = context_window(bundled, read_files=cached)
        rows.append([name, "in-process GGUF (bundled)", f"{context:,}" if context else "—", "—",
                     state])
    return rows


def _price(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


@app.command()
def benchmarks(config: ConfigOption = None) -> None:
    """List the benchmarks: shots, scoring modes, metrics and data sources (in order tried)."""
    from bakeoff import api
    from bakeoff.benchmarks.listing import source_names

    with user_errors():
        settings = load_config(config)
        infos = api.benchmark_listing(settings)
    table = Table(title="benchmarks")
    table.add_column("name", no_wrap=True)
    for column in ("shots", "modes", "metrics", "data sources (in order tried)", "description"):
        table.add_column(column, overflow="fold")
    for info, user_file in infos:
        table.add_row(info.name, str(info.shots), ", ".join(info.modes) or "—",
                      ", ".join(info.metrics or (info.metric,)),
                      escape("\n".join(source_names(info, user_file))), escape(info.description))
    console.print(table)


@app.command()
def tasks(config: ConfigOption = None) -> None:
    """List the hands-on trials: category, how answers are checked, languages, case counts."""
    from bakeoff import api

    with user_errors():
        trials = api.trial_listing(load_config(config))
    table = Table(title="hands-on trials (suites name them like benchmarks)")
    table.add_column("name", no_wrap=True)
    for column in ("category", "checker", "metrics", "languages", "cases quick / full"):
        table.add_column(column, overflow="fold")
    for trial in trials:
        info = trial.info
        table.add_row(info.name, escape(info.category), escape(info.checker),
                      ", ".join(info.metrics), ", ".join(info.languages) or "—",
                      f"{info.quick_count} / {info.full_count}")
    console.print(table)
    console.print("Cases are generated from the suite's seed (`seed = N` in a suite); a limit "
                  "in the suite sets how many. Custom trials ([trials.NAME] in bakeoff.toml) "
                  "are read from their file.", markup=False)


@app.command()
def data(config: ConfigOption = None,
         timeout: Annotated[float, typer.Option(
             min=0.1, help="Seconds to wait for the Hugging Face hub.")] = 3.0) -> None:
    """Show each benchmark's data sources and whether each is usable on this machine now."""
    from bakeoff import api

    with user_errors():
        settings = load_config(config)
        statuses = api.data_statuses(settings, timeout)
    table = Table(title="benchmark data (→: the source a run reads now)")
    for column in ("benchmark", "", "source", "available", "detail"):
        table.add_column(column, overflow="fold")
    for status in statuses:
        table.add_row(status.benchmark, "→" if status.used else "", escape(status.source),
                      status.available, escape(status.detail))
    console.print(table)


@app.command()
def runs(config: ConfigOption = None, store: StoreOption = None,
         all_tasks: Annotated[bool, typer.Option(
             "--all-tasks", help="Name every task of each run (default: the first few).")
         ] = False) -> None:
    """List the runs in the store, with the items each has scored (so far, for one running)."""
    from bakeoff import api
    from bakeoff.store import open_store

    with user_errors():
        settings = load_config(config)
        path = api.store_path(settings, store)
        if not api.store_exists(path):
            raise UserError(f"{path}: no store yet; `bakeoff run` creates it")
        opened = open_store(path)
        try:
            rows = opened.runs()
            scored = {row.id: _items_scored(opened, row) for row in rows}
        finally:
            opened.close()
    table = Table(title=opened.location)
    for column in ("run", "started", "status", "items"):  # items scored, so far if running
        table.add_column(column, no_wrap=True)
    for column in ("suite", "models", "tasks"):
        table.add_column(column, overflow="fold")
    for row in rows:
        started = datetime.fromtimestamp(row.created_at, UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(str(row.id), started, row.status, f"{scored[row.id]:,}", row.suite,
                      ", ".join(m["name"] for m in row.plan["models"]),
                      _task_list([b["name"] for b in row.plan["benchmarks"]], all_tasks))
    console.print(table)
    if not all_tasks and any(len(row.plan["benchmarks"]) > SHOWN_TASKS for row in rows):
        _print_line(f"tasks: the first {SHOWN_TASKS} of each run; --all-tasks names them all")


# Tasks `bakeoff runs` names before it counts the rest.
SHOWN_TASKS = 4


def _task_list(names: list[str], every: bool) -> str:
    """'36 tasks: mmlu, gsm8k, …, … (+32)'; every name with `every` or when there are few."""
    if every or len(names) <= SHOWN_TASKS:
        return ", ".join(names)
    return f"{len(names)} tasks: {', '.join(names[:SHOWN_TASKS])}, … (+{len(names) - SHOWN_TASKS})"


def _items_scored(store: Store, row: RunRow) -> int:
    """Items (benchmark samples, trial cases) the run scored, all models together."""
    return sum(len(store.scored_sample_ids(row.id, m["name"], b["name"]))
               for m in row.plan["models"] for b in row.plan["benchmarks"])


@app.command()
def judge(run_id: Annotated[int, typer.Argument(help="Run number (see `bakeoff runs`).")],
          judge_model: Annotated[str | None, typer.Option(
              "--judge", help="The judge: a configured or bundled model (default: [judge] "
                              "model in the config).")] = None,
          config: ConfigOption = None, store: StoreOption = None) -> None:
    """Judge a run's open-ended answers in pairs (both orders) and print the ratings."""
    from bakeoff import api

    with user_errors():
        settings = load_config(config)
        path = api.store_path(settings, store)
        if not api.store_exists(path):
            raise UserError(f"{path}: no store yet; `bakeoff run` creates it")
        result = api.judge(settings, run_id, judge_model, store)
    _print_judging(result.summary)
    if result.ratings is not None:
        _print_ratings(result.ratings)


def _print_judging(summary: JudgeSummary) -> None:
    """What the judge did: verdicts, flips, and the pairs left out (never counted as ties)."""
    console.print(
        f"judge {summary.judge}: {summary.verdicts} pairs judged in both orders "
        f"({summary.flips} flipped with the order: ties), {summary.unparsable} left out with "
        f"no verdict line, {summary.failed} left out after a failed call"
        f"{f', {summary.capped} left out at the --max-cost cap' if summary.capped else ''}; "
        f"{summary.calls} "
        f"calls made, {summary.cache_hits} reused from the store", markup=False)
    for failure in summary.failures:
        errors.print(f"judge error: {failure}", markup=False, highlight=False)


def _print_ratings(ratings: Ratings) -> None:
    """Each source's Bradley–Terry table, raw and length-controlled, with its bias figures."""
    from bakeoff.store import HUMAN

    for table in (*ratings.judges, *([ratings.human] if ratings.human else [])):
        human = table.source == HUMAN
        grid = Table(title=("people's votes" if human else f"judge {table.source}")
                     + " — Bradley–Terry ratings (mean 1000)")
        grid.add_column("model", overflow="fold")
        for column in ("rating (95% interval)", "length-controlled (95% interval)"):
            grid.add_column(column)
        controlled = {r.model: r for r in table.length_controlled or ()}
        for rating in table.raw:
            label = " (judged by itself)" if rating.model in table.self_judged else ""
            other = controlled.get(rating.model)
            grid.add_row(rating.model + label, _rating_cell(rating),
                         _rating_cell(other) if other else "—")
        console.print(grid)
        console.print(_rating_notes(table), markup=False)
    for agreement in ratings.agreement:
        console.print(f"judge {agreement.judge} agrees with people's majority on "
                      f"{agreement.agreeing} of {agreement.pairs} pairs "
                      f"({agreement.rate:.0%})", markup=False)


def _rating_cell(rating: Rating) -> str:
    return f"{rating.rating:.0f} ({rating.low:.0f}–{rating.high:.0f})"


def _rating_notes(table: RatingTable) -> str:
    if table.position_bias is None:
        counted = f"{table.pairs} votes by {table.voters} voters (both bad counts as a tie)"
    else:
        counted = (f"{table.pairs} pairs; position bias {table.position_bias:.0%} "
                   f"({table.flips} verdicts flipped with the order)")
    length = ("" if table.length_coefficient is None else
              f"; length coefficient {table.length_coefficient:+.2f} per unit of "
              "(len A - len B) / (len A + len B) in characters")
    self_judged = (f"; {', '.join(table.self_judged)} is the judge itself: its own rating is "
                   "labelled" if table.self_judged else "")
    return counted + length + self_judged


@app.command()
def report(run_ids: Annotated[list[int] | None, typer.Argument(
               help="Run numbers (see `bakeoff runs`).")] = None,
           config: ConfigOption = None, store: StoreOption = None,
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", callback=_report_folder,
               help="Directory for the report files.")] = None,
           models: Annotated[str | None, typer.Option(
               "--models", help="Comma-separated model or card names: a report of published "
                                "figures only, no run needed (a configured model shows its "
                                "configured figures over its card's).")] = None,
           profiles: Annotated[Path | None, typer.Option(
               "--profiles", callback=_profiles_file,
               help="Use-case profiles file (TOML) for 'Which should you "
                                  "choose?'.")] = None,
           speed: Annotated[int | None, typer.Option(
               "--speed", help="A speed run (see `bakeoff speed`) to show in the speed "
                               "section; default: the latest finished one, if any.")] = None
           ) -> None:
    """Write the report of one or more runs (HTML, Markdown, JSON) and print its summary."""
    from bakeoff import api
    from bakeoff.report.insights import ProfileError
    from bakeoff.store import open_store

    with user_errors():
        settings = load_config(config)
        path = api.store_path(settings, store)
        directory = output or api.reports_dir(settings, path)
        if models:
            names = [n.strip() for n in models.split(",") if n.strip()]
            try:
                written = api.report_from_cards(names, directory, profiles, settings)
            except ProfileError as exc:
                raise UserError(str(exc)) from None
            _print_line(f"report (published figures only): {written.files['.html']} (and "
                        ".md, .json beside it)")
            return
        if not run_ids:
            raise UserError("give run numbers (see `bakeoff runs`) or --models")
        if not api.store_exists(path):
            raise UserError(f"{path}: no store yet; `bakeoff run` creates it")
        opened = open_store(path)
        try:
            written = api.write_report(opened, run_ids, directory,
                                       api.speed_for_report(opened, speed), profiles)
        except ProfileError as exc:
            raise UserError(str(exc)) from None
        finally:
            opened.close()
    _print_summary(written.report)
    _print_line(f"report: {_report_files(written.files['.md'])}")


def _print_summary(report: DecisionReport) -> None:
    """The report's summary as tables; its prose lines never wrapped by rich, so piped output
    keeps each sentence on one line."""
    from bakeoff.report.terminal import Line, summary_parts

    for part in summary_parts(report):
        if isinstance(part, Line):
            _print_line(part.text)
        else:
            console.print()
            console.print(part)


def _print_line(text: str) -> None:
    """Text as is: no markup, no highlighting, no line break added (a path stays whole)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _report_files(markdown: Path) -> str:
    """'DIR/run-1.html (and run-1.md, run-1.json)': the page first, it has everything."""
    stem = markdown.name.removesuffix(".md")
    return f"{markdown.with_name(stem + '.html')} (and {stem}.md, {stem}.json)"


@app.command()
def speed(
    model: ModelsOption = None, config: ConfigOption = None, store: StoreOption = None,
    workload: Annotated[list[str] | None, typer.Option(
        "--workload", "-w", help="short (~100 input tokens), medium (~1k) or long (~10k, "
                                 "clipped to the context); repeat for several.")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Measured requests per level.")] = 5,
    warmup: Annotated[int, typer.Option(min=0, help="Uncounted requests first.")] = 1,
    concurrency: Annotated[str, typer.Option(help="Concurrency levels, e.g. 1,2,4.")] = "1",
    rate: Annotated[float | None, typer.Option(
        help="Also send Poisson arrivals at this many requests per second.")] = None,
    requests: Annotated[int, typer.Option(min=1, help="Poisson: requests to send.")] = 20,
    max_duration: Annotated[float, typer.Option(
        min=1.0, help="Poisson: seconds after which no new request is sent.")] = 300.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Output tokens asked for.")] = 128,
) -> None:
    """Measure TTFT, output speed, TPOT and load behaviour, one model after another."""
    from bakeoff import api
    from bakeoff.speed.api import run_speed, speed_settings
    from bakeoff.speed.table import percentile_note, speed_tables
    from bakeoff.speed.workloads import SpeedSettingsError
    from bakeoff.store import open_store

    with user_errors():
        settings = load_config(config)
        models = api.select_models(settings, model)
        try:
            options = speed_settings(workload, runs, warmup, concurrency, rate, requests,
                                     max_duration, max_tokens)
        except SpeedSettingsError as exc:
            raise UserError(str(exc)) from None
        opened = open_store(api.store_path(settings, store))
        try:
            result = run_speed(settings, models, options, opened,
                               progress=lambda line: console.print(line, markup=False))
        except SpeedSettingsError as exc:
            raise UserError(str(exc)) from None
        except KeyboardInterrupt as interrupt:
            run_id = interrupt.args[0] if interrupt.args else "?"
            errors.print(f"interrupted: speed run {run_id} keeps the levels that finished")
            raise typer.Exit(130) from None
        finally:
            opened.close()
    for table in speed_tables(result.summary):
        console.print(table)
    note = percentile_note(result.summary)
    if note:
        _print_line(note)


@app.command()
def export(run_id: Annotated[int, typer.Argument(help="Run number (see `bakeoff runs`).")],
           output: Annotated[Path, typer.Option(
               "--output", "-o", help="File to write; csv also writes <stem>.pairwise.csv "
                                      "beside it.")],
           export_format: Annotated[str | None, typer.Option(
               "--format", "-f", help="json or csv (default: the file's extension).")] = None,
           config: ConfigOption = None, store: StoreOption = None) -> None:
    """Export a run's per-sample scores and pairwise tests as JSON or CSV."""
    from bakeoff import api
    from bakeoff.report.export import ExportFormatError, format_for
    from bakeoff.store import open_store

    with user_errors():
        try:
            chosen = format_for(output, export_format)
        except ExportFormatError as exc:
            raise UserError(str(exc)) from None
        settings = load_config(config)
        path = api.store_path(settings, store)
        if not api.store_exists(path):
            raise UserError(f"{path}: no store yet; `bakeoff run` creates it")
        opened = open_store(path)
        try:
            written = api.export_run(opened, run_id, chosen, output)
        finally:
            opened.close()
    for file in written:
        console.print(f"wrote {file}")


@app.command()
def init(local: Annotated[bool, typer.Option(
             "--local", help="Bundled GGUF models run in this process (the default).")] = False,
         gateway: Annotated[bool, typer.Option(
             "--gateway", help="Models behind an OpenAI-compatible API (base_url, "
                               "api_key_env).")] = False,
         both: Annotated[bool, typer.Option("--both", help="Local and gateway models.")] = False,
         output: Annotated[Path, typer.Option(
             "--output", "-o", help="File to write.")] = Path("bakeoff.toml"),
         force: Annotated[bool, typer.Option("--force", help="Overwrite the file.")] = False,
         ) -> None:
    """Write a commented bakeoff.toml to start from."""
    from bakeoff.init_config import InitError, Setup, write_config

    with user_errors():
        chosen = [name for name, wanted in (("local", local), ("gateway", gateway),
                                            ("both", both)) if wanted]
        if len(chosen) > 1:
            flags = " and ".join(f"--{name}" for name in chosen)
            raise UserError(f"give one of --local, --gateway, --both (not {flags})")
        setup: Setup = "gateway" if gateway else "both" if both else "local"
        try:
            written = write_config(output, setup, force=force)
        except InitError as exc:
            raise UserError(str(exc)) from None
    kind = {"local": "bundled GGUF", "gateway": "gateway", "both": "GGUF and gateway"}[setup]
    console.print(f"wrote {written} ({kind} models); next: `bakeoff models`, then "
                  f"`bakeoff run --estimate`", markup=False, highlight=False, soft_wrap=True)


PortOption = Annotated[int, typer.Option(
    "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")]


@app.command()
def arena(config: ConfigOption = None, store: StoreOption = None,
          run: Annotated[list[int] | None, typer.Option(
              "--run", help="A run whose judged answers people vote on (repeat for several; "
                            "default: every run).")] = None,
          port: PortOption = 8765) -> None:
    """Serve a local page where people vote blind on pairs of stored answers."""
    _serve(config, store, run or [], port, "/arena")


@app.command()
def view(config: ConfigOption = None, store: StoreOption = None,
         port: PortOption = 8765) -> None:
    """Serve a local viewer of the store: runs, reports, answers side by side, comparisons."""
    _serve(config, store, [], port, "/runs")


def _serve(config: Path | None, store: str | None, run_ids: list[int], port: int,
           landing: str) -> None:
    from bakeoff import api, web

    with user_errors():
        path = api.store_path(load_config(config), store)
        try:
            web.check_setup(path, run_ids)
            server = web.make_server(web.App(path, landing, tuple(run_ids) or None), port)
        except web.SetupError as exc:
            raise UserError(str(exc)) from None
    console.print(f"serving {_shown(path)} at {web.url_of(server, landing)} (Ctrl-C stops)",
                  markup=False, highlight=False, soft_wrap=True)
    web.serve_until_interrupted(server)
    console.print("stopped", markup=False)


def main() -> None:
    try:
        app()
    except _damaged_store() as exc:  # a damaged or unwritable store file, met mid-command
        if _is_sqlite_error(exc):
            errors.print(f"bakeoff: error: the store cannot be read or written: {exc} (if the "
                         "file is damaged, `sqlite3 FILE 'PRAGMA integrity_check'` shows where)",
                         markup=False, highlight=False)
        else:  # a PostgreSQL store: the server went away, a disk filled up
            errors.print("bakeoff: error: the PostgreSQL store failed: "
                         f"{' '.join(str(exc).split())}", markup=False, highlight=False)
        raise SystemExit(2) from None


def _damaged_store() -> tuple[type[Exception], ...]:
    """The store's database errors, imported only once an exception is on its way: sqlite3's,
    and psycopg's where a PostgreSQL store loaded it."""
    import sqlite3

    psycopg = sys.modules.get("psycopg")
    return (sqlite3.DatabaseError, *((psycopg.Error,) if psycopg is not None else ()))


def _is_sqlite_error(error: BaseException) -> bool:
    import sqlite3

    return isinstance(error, sqlite3.DatabaseError)
