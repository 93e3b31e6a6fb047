"""The viewer's pages: the runs, a run with its report and tasks, a task's items with filters,
one item answered by every model side by side, and two runs compared."""

from __future__ import annotations

from datetime import UTC, datetime

from bakeoff.report.data import build_report_data, latest_speed_figures
from bakeoff.report.html import render_html
from bakeoff.report.insights import decide
from bakeoff.store import RunRow, ScoreRow, Store
from bakeoff.web.app import App
from bakeoff.web.compare import RunDifference, compare_runs
from bakeoff.web.exchange import HttpError, Request, Response
from bakeoff.web.items import FILTERS, Item, model_means, task_items, tasks_of
from bakeoff.web.layout import esc, href, page, segment, table, text_block, turns

_SHORT = 80  # characters of an extracted answer shown in a list
_LONG = 20_000  # characters of a prompt or answer shown on an item page
_PAGE = 200  # items a list shows at once


def runs_page(app: App, request: Request) -> Response:
    with app.store() as store:
        runs = store.runs()
    rows = [[f"<a href=\"/runs/{r.id}\">{r.id}</a>", esc(_date(r.created_at)), esc(r.suite),
             esc(", ".join(_models(r))), esc(r.status)] for r in runs]
    body = (table(["run", "started (UTC)", "suite", "models", "status"], rows)
            + _compare_form(runs, None, None))
    return Response(200, page("Runs", body))


def run_page(app: App, request: Request, run_id: int) -> Response:
    with app.store() as store:
        run = _run(store, run_id)
        scores, errors = store.scores(run_id), store.errors(run_id)
    rows = []
    for task in tasks_of(scores, errors):
        items = task_items(scores, errors, task)
        links = " ".join(f"<a href=\"{href(_task_path(run_id, task), filter=name)}\">"
                         f"{esc(label)} ({sum(1 for i in items if keep(i))})</a>"
                         for name, (label, keep) in FILTERS.items())
        means = "<br>".join(f"{esc(model)}: " + ", ".join(f"{esc(metric)} {mean:.3f}"
                                                        for metric, mean in by_metric.items())
                            for model, by_metric in model_means(items).items())
        rows.append([esc(task), means, f"<span class=\"filters\">{links}</span>"])
    body = (f"<p>{esc(run.suite)} · {esc(run.status)} · started {esc(_date(run.created_at))}"
            f" UTC · models {esc(', '.join(_models(run)))}</p><h2>Tasks</h2>"
            + table(["task", "mean per model", "items"], rows)
            + f"<h2>Report</h2><p><a href=\"/runs/{run_id}/report\">Open the report alone</a>"
            f"</p><iframe title=\"report\" src=\"/runs/{run_id}/report\"></iframe>")
    return Response(200, page(f"Run {run_id}", body))


def report_page(app: App, request: Request, run_id: int) -> Response:
    """The run's HTML decision report, rendered as `bakeoff report` writes it (with the
    latest finished speed run)."""
    with app.store() as store:
        _run(store, run_id)
        if not store.scores(run_id):
            raise HttpError(404, f"run {run_id} has no scores yet: no report")
        report = decide(build_report_data(store, [run_id],
                                          speed=latest_speed_figures(store)))
    return Response(200, render_html(report.data, report.verdict, report.recommendations,
                                     report.faq))


def items_page(app: App, request: Request, run_id: int, task: str) -> Response:
    chosen = request.query.get("filter", "all")
    if chosen not in FILTERS:
        raise HttpError(400, f"unknown filter {chosen!r}: one of {', '.join(FILTERS)}")
    with app.store() as store:
        _run(store, run_id)
        items = task_items(store.scores(run_id), store.errors(run_id), task)
    if not items:
        raise HttpError(404, f"run {run_id} has no task {task!r}")
    models = sorted({m for item in items for m in item.models})
    kept = [item for item in items if FILTERS[chosen][1](item)]
    number = _page_number(request, len(kept))
    shown = kept[(number - 1) * _PAGE:number * _PAGE]
    links = " ".join(f"<b>{esc(label)}</b>" if name == chosen else
                     f"<a href=\"{href(_task_path(run_id, task), filter=name)}\">{esc(label)}</a>"
                     for name, (label, _) in FILTERS.items())
    rows = [[f"<a class=\"item\" href=\"{href(_task_path(run_id, task) + '/item', id=i.sample_id)}"
             f"\">{esc(i.sample_id)}</a>", *(_item_cell(i, m) for m in models)] for i in shown]
    body = (f"<p><a href=\"/runs/{run_id}\">run {run_id}</a></p>"
            f"<p class=\"filters\">{links}</p><p>{len(kept)} of {len(items)} items</p>"
            + table(["item", *models], rows)
            + _pages(_task_path(run_id, task), chosen, number, len(kept)))
    return Response(200, page(f"{task} · run {run_id}", body))


def item_page(app: App, request: Request, run_id: int, task: str) -> Response:
    sample_id = request.param("id")
    with app.store() as store:
        _run(store, run_id)
        item = next((i for i in task_items(store.scores(run_id), store.errors(run_id), task)
                     if i.sample_id == sample_id), None)
        if item is None:
            raise HttpError(404, f"run {run_id} has no item {sample_id!r} in {task!r}")
        sample = store.sample(task, sample_id)
        columns = "".join(_answer_column(store, run_id, task, item, m) for m in item.models)
    head = ""
    if sample is not None:
        head = (f"<h2>Prompt</h2>{text_block(sample.input[:_LONG])}"
                f"<p>Expected: <code>{esc(sample.target[:_LONG])}</code></p>")
    body = (f"<p><a href=\"{href(_task_path(run_id, task))}\">all items of {esc(task)}</a></p>"
            f"{head}<div class=\"side\">{columns}</div>")
    return Response(200, page(f"{sample_id} · run {run_id}", body))


def compare_page(app: App, request: Request) -> Response:
    with app.store() as store:
        runs = store.runs()
        if "a" not in request.query and "b" not in request.query:
            return Response(200, page("Compare runs", _compare_form(runs, None, None)))
        first, second = _run_number(request, "a"), _run_number(request, "b")
        for run_id in (first, second):
            _run(store, run_id)
        differences = compare_runs(store.scores(first), store.scores(second))
    rows = [_difference_row(d) for d in differences]
    body = (_compare_form(runs, first, second)
            + f"<p>Run {first} is A, run {second} is B; the difference is B − A. The test pairs "
            "the items both runs scored; bold: p &lt; 0.05.</p>"
            + table(["model", "task", "metric", f"run {first}", f"run {second}", "difference",
                     "shared items", "test", "p"], rows))
    return Response(200, page(f"Run {first} against run {second}", body))


def _difference_row(d: RunDifference) -> list[str]:
    p = "—" if d.p_value is None else f"{d.p_value:.4g}"
    mark = " class=\"sig\"" if d.significant else ""
    return [esc(d.model), esc(d.task), esc(d.metric), f"{d.mean_a:.3f} (n={d.n_a})",
            f"{d.mean_b:.3f} (n={d.n_b})", f"<span{mark}>{d.difference:+.3f}</span>",
            str(d.shared), esc(d.test or "—"),
            f"<span{mark}>{p}{' significant' if d.significant else ''}</span>"]


def _compare_form(runs: list[RunRow], first: int | None, second: int | None) -> str:
    def select(name: str, chosen: int | None) -> str:
        options = "".join(f"<option value=\"{r.id}\"{' selected' if r.id == chosen else ''}>"
                          f"{r.id} · {esc(r.suite)} · {esc(_date(r.created_at))}</option>"
                          for r in runs)
        return f"<select name=\"{name}\">{options}</select>"

    return ("<h2>Compare two runs</h2><form method=\"get\" action=\"/compare\">"
            f"A {select('a', first)} B {select('b', second)} "
            "<button type=\"submit\">Compare</button></form>")


def _page_number(request: Request, items: int) -> int:
    text = request.query.get("page", "1")
    last = max(1, -(-items // _PAGE))
    if not text.isdigit() or not 1 <= int(text) <= last:
        raise HttpError(400, f"page={text!r}: a page from 1 to {last}, please")
    return int(text)


def _pages(path: str, chosen: str, number: int, items: int) -> str:
    """Links to the other pages of a long list."""
    last = -(-items // _PAGE)
    if last <= 1:
        return ""
    links = [f"<b>{n}</b>" if n == number else
             f"<a href=\"{href(path, filter=chosen, page=n)}\">{n}</a>"
             for n in range(1, last + 1)]
    return f"<p class=\"filters\">pages: {' '.join(links)}</p>"


def _item_cell(item: Item, model: str) -> str:
    if model in item.errors:
        return f"<span class=\"err\">error: {esc(item.errors[model].kind)}</span>"
    by_metric = item.scores.get(model)
    if not by_metric:
        return "<span class=\"muted\">—</span>"
    parts = [f"<span class=\"{'pass' if row.value >= 1 else 'fail'}\">"
             f"{esc(metric)} {row.value:g}</span>" for metric, row in sorted(by_metric.items())]
    extracted = next(iter(by_metric.values())).extracted
    if extracted:
        parts.append(f"<span class=\"muted\">{esc(_clip(extracted, _SHORT))}</span>")
    return "<br>".join(parts)


def _answer_column(store: Store, run_id: int, task: str, item: Item, model: str) -> str:
    parts = [f"<h2>{esc(model)}</h2>"]
    if model in item.errors:
        error = item.errors[model]
        parts.append(f"<p class=\"err\">error ({esc(error.kind)}, {error.attempts} attempts): "
                     f"{esc(error.message)}</p>")
    rows = item.scores.get(model, {})
    if rows:
        parts.append(table(["metric", "score", "extracted / reason"],
                           [[esc(m), f"{r.value:g}", esc(r.extracted or "—")]
                            for m, r in sorted(rows.items())]))
        parts.append(_answer_text(store, run_id, task, item.sample_id, model, rows))
    return f"<div class=\"answer\">{''.join(parts)}</div>"


def _answer_text(store: Store, run_id: int, task: str, sample_id: str, model: str,
                 rows: dict[str, ScoreRow]) -> str:
    """A trial's whole chat, else the completions behind the score (a benchmark's answer)."""
    chat = store.transcript(run_id, model, task, sample_id)
    if chat is not None:
        return "<h3>Transcript</h3>" + turns(chat)
    keys = list(dict.fromkeys(k for row in rows.values() for k in row.completion_keys))
    found = store.completions(keys)
    texts = [found[k].text for k in keys if k in found]
    if not texts:
        return "<p class=\"muted\">no stored answer text</p>"
    return "<h3>Answer</h3>" + "".join(text_block(_clip(t, _LONG)) for t in texts)


def _run(store: Store, run_id: int) -> RunRow:
    run = store.run(run_id)
    if run is None:
        raise HttpError(404, f"no run {run_id} in this store")
    return run


def _run_number(request: Request, name: str) -> int:
    value = request.param(name)
    if not value.isdigit():
        raise HttpError(400, f"{name}={value!r}: a run number, please")
    return int(value)


def _task_path(run_id: int, task: str) -> str:
    return f"/runs/{run_id}/tasks/{segment(task)}"


def _models(run: RunRow) -> list[str]:
    return [str(m.get("name", "?")) for m in run.plan.get("models", [])]


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more)"
