"""The decision report as ONE self-contained HTML page: inline CSS, a few lines of inline JS,
charts as inline SVG drawn here. Nothing is fetched: the page works offline.

Sections (each a <section id=...>): headline, spec, benchmarks, transcripts, trials, judged,
speed, price, charts, choose, faq, published, methodology. A benchmark score opens its items in the
transcripts section: each leads with its question (few-shot examples folded away), then every
model's answer side by side in columns long text wraps within (a multiple-choice item scored by
log-likelihood shows every choice's log p); a trial score opens the
trial's cases in the trials section, each with every model's whole chat (turns, tool calls,
tool results) and checks. Charts: axes from 0, labels kept apart, a "mean score" that counts
each benchmark once (its primary metric), per-category bars for every category with its n. The
long-context heat map is a coloured table; the Safety category
plots attack success against over-refusal (an SVG scatter, both 0–100%, bottom left best).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

from bakeoff.report.comparison import Comparison, Pairwise
from bakeoff.report.data import Answer, CategoryScore, ReportData, TranscriptGroup
from bakeoff.report.evidence import safety_pair_lines, self_judged_label
from bakeoff.report.hands_on import (
    ABSTENTION,
    FUNCTION_CALLING,
    LANGUAGES,
    LONG_CONTEXT,
    SAFETY,
    CaseResult,
    HeatMap,
    SafetyFigures,
    TrialCase,
    TrialTranscripts,
    Turn,
)
from bakeoff.report.insights import FaqEntry, Recommendation
from bakeoff.report.prices import price_axis, price_per_mtok
from bakeoff.report.tables import (
    ABSTENTION_NOTE,
    BOLD_MEANING,
    CHOICE_NOTE,
    CLAIMS_NOTE,
    DETAILS_TITLE,
    ERRORS_NOTE,
    HEAT_MAP_NOTE,
    JUDGED_NOTE,
    JUDGED_TRIALS_NOTE,
    PUBLISHED_SPEED_NOTE,
    SAFETY_NOTE,
    SPEC_NOTE,
    SPEED_NOTE,
    TRIALS_NOTE,
    Table,
    abstention_table,
    category_totals,
    choice_table,
    claims_table,
    commands_label,
    effective_length_line,
    failures_table,
    judged_category,
    judged_lines,
    judged_table,
    language_table,
    length_mean_text,
    measured_speed_table,
    methodology_lines,
    price_note,
    price_table,
    published_speed_table,
    report_kind,
    safety_table,
    spec_table,
    statistics_note,
    trial_errors_table,
)
from bakeoff.scoring.metrics import RESAMPLES, SEED

MISSING = "—"
SECTIONS = ("headline", "spec", "benchmarks", "transcripts", "trials", "judged", "speed",
            "price", "charts", "choose", "faq", "published", "methodology")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")

CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;
color:#222}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.3em .6em;
vertical-align:top;text-align:left}th{background:#f4f4f4}.best{font-weight:700;
background:#e8f5e9}.muted{color:#777}.label{font-size:.75em;background:#fff3cd;
padding:0 .4em;border-radius:3px}.verdict{font-size:1.1em;background:#f0f6ff;padding:.8em 1em;
border-left:4px solid #1f77b4}.pair{margin:.2em 0}.side{display:grid;gap:.6em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:.5em;
margin:.2em 0;max-height:20em;overflow:auto}.side>div{min-width:0}details{margin:.3em 0}
summary{cursor:pointer}svg{background:#fff;
border:1px solid #eee;margin:.5em .5em 0 0}.charts{display:flex;flex-wrap:wrap}
.pass{color:#1b5e20;font-weight:600}.fail{color:#b71c1c;font-weight:600}.turn{margin:.3em 0;
padding-left:.5em;border-left:3px solid #ddd}.turn.assistant{border-color:#1f77b4}
.turn.tool{border-color:#2ca02c}.turn.system{border-color:#999}table.heat td{text-align:center;
min-width:4.5em}
"""

JS = """
function openTranscript(id){var d=document.getElementById(id);if(!d)return false;
var p=d;while(p){if(p.tagName==='DETAILS')p.open=true;p=p.parentElement;}
d.scrollIntoView();return false;}
"""


def render_html(data: ReportData, verdict: list[str], recommendations: list[Recommendation],
                faq: list[FaqEntry], *, details: Sequence[str] = ()) -> str:
    """The page; `details` are the verdict's evidence, folded below its two sentences."""
    title = "bakeoff report — " + " vs ".join(data.models)
    body = "".join([
        _headline(data, verdict, details), _spec(data), _benchmarks(data), _transcripts(data),
        _trials(data), _judged(data), _speed(data), _price(data), _charts(data),
        _choose(recommendations), _faq(faq), _published(data), _methodology(data)])
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{CSS}</style>"
            f"<script>{JS}</script></head><body>{body}</body></html>\n")


def _e(text: object) -> str:
    return html.escape(str(text))


def _section(key: str, heading: str, content: str) -> str:
    return f"<section id={key}><h2>{_e(heading)}</h2>{content}</section>"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Cells are HTML already (escape before)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


# Sections ------------------------------------------------------------------------------------

def _headline(data: ReportData, verdict: list[str], details: Sequence[str]) -> str:
    kind = report_kind(data)
    sentences = " ".join(_e(s) for s in verdict)
    behind = (f"<details class=verdict-details><summary>{_e(DETAILS_TITLE)}</summary><ul>"
              + "".join(f"<li>{_e(d)}</li>" for d in details) + "</ul></details>"
              if details else "")
    return (f"<section id=headline><h1>{_e(' vs '.join(data.models))}</h1>"
            f"<p class=muted>bakeoff decision report ({kind})</p>"
            f"<p class=verdict>{sentences}</p>{behind}</section>")


def _spec(data: ReportData) -> str:
    table = spec_table(data)
    if table is None:
        return _section("spec", "Spec sheet", "<p class=muted>No model card for these models."
                        "</p>")
    return _section("spec", "Spec sheet", _text_table(table) +
                    f"<p class=muted>{_e(SPEC_NOTE)}</p>")


def _text_table(table: Table) -> str:
    """A shared plain-text table, escaped; line breaks inside a cell become <br>."""
    header, rows = table
    return _table([_e(h) for h in header],
                  [[_e(cell).replace("\n", "<br>") for cell in row] for row in rows])


def _benchmarks(data: ReportData) -> str:
    comparison = data.comparison
    keys = comparison.benchmark_keys() if comparison else []
    if comparison is None or not keys:
        why = ("No item was scored." if comparison is not None and not comparison.metrics
               else "No benchmark was run.")
        return _section("benchmarks", "Standard benchmarks",
                        f"<p><span class=label>not measured</span> {why}</p>")
    table = _score_table(comparison, keys, "benchmark",
                         lambda key: f"tx-{key[0]}-{key[1]}", shots=True)
    return _section("benchmarks", "Standard benchmarks", table + _pairwise(comparison, keys) + (
        "<p class=muted>Mean ± one standard error [95% bootstrap interval, "
        f"{RESAMPLES:,} resamples, seed {SEED}]. {_e(BOLD_MEANING)} (Bold is green here.) "
        "Click a score to see the answers.</p>"))


def _score_table(comparison: Comparison, keys: list[tuple[str, str]], first: str,
                 target: Callable[[tuple[str, str]], str], *, shots: bool) -> str:
    """A row per (benchmark or trial, metric): each model's mean (a link that opens `target`),
    interval, mode and n; bold green when significantly better than every other model."""
    rows = []
    for key in keys:
        by_model = comparison.metrics.get(key, {})
        best = comparison.significant_best(key)
        ident = target(key)
        cells = []
        for model in comparison.models:
            s = by_model.get(model)
            if s is None:
                cells.append(f"<span class=muted>{MISSING}</span>")
                continue
            stderr = "" if math.isnan(s.stderr) else f" ± {s.stderr:.3f}"
            interval = "" if math.isnan(s.ci_low) else f" [{s.ci_low:.3f}, {s.ci_high:.3f}]"
            link = (f"<a href='#{_e(ident)}' onclick=\"return "
                    f"openTranscript('{_e(ident)}')\">{s.mean:.3f}</a>")
            css = " class=best" if model == best else ""
            setting = f", {s.shots}-shot" if shots else ""
            cells.append(f"<span{css}>{link}</span>{stderr}{interval}<br><span class=muted>"
                         f"{_e(s.mode)}{setting}, n={s.n}</span>")
        rows.append([_e(key[0]), _e(key[1]), *cells])
    return _table([first, "metric", *map(_e, comparison.models)], rows)


def _pairwise(comparison: Comparison, keys: list[tuple[str, str]],
              heading: str = "Pairwise significance") -> str:
    lines = []
    for benchmark, metric in keys:
        for pair in comparison.pairwise.get((benchmark, metric), []):
            lines.append(f"<li class=pair><b>{_e(benchmark)} {_e(metric)}</b>: "
                         f"{_e(_pair_text(pair.model_a, pair.model_b, pair))}</li>")
    if not lines:
        return "<p class=muted>Fewer than two models on any metric: no pairwise tests.</p>"
    return f"<h3>{_e(heading)}</h3><ul>" + "".join(lines) + "</ul>"


def _pair_text(a: str, b: str, pair: Pairwise) -> str:
    if pair.test is None:
        return f"{a} vs {b}: not compared ({pair.not_compared})"
    t = pair.test
    p = "< 0.001" if t.p_value < 0.001 else f"= {t.p_value:.3g}"
    diff = f"{a} − {b} = {t.difference:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}], p {p}, n={t.n}"
    if not t.significant:
        return f"{a} vs {b}: not significantly different ({diff})"
    winner, loser = (a, b) if t.difference > 0 else (b, a)
    return f"{winner} significantly better than {loser} ({diff})"


def _transcripts(data: ReportData) -> str:
    if not data.transcripts:
        return _section("transcripts", "Transcripts",
                        "<p><span class=label>not measured</span> No answers stored.</p>")
    return _section("transcripts", "Transcripts",
                    "".join(_transcript_group(g, data.models) for g in data.transcripts))


def _transcript_group(group: TranscriptGroup, models: list[str]) -> str:
    """Each item leads with its question and expected answer; few-shot examples and
    instructions are folded away; then every model's answer side by side (columns that long
    unbroken text cannot widen)."""
    ident = f"tx-{group.benchmark}-{group.metric}"
    shown = (f"{len(group.items)} of {group.total_items} items"
             if len(group.items) < group.total_items else f"{group.total_items} items")
    items = []
    for item in group.items:
        columns = "".join(_answer_column(m, item.answers.get(m)) for m in models)
        question = item.question or item.prompt
        examples = (f"<details class=shots><summary>Few-shot examples and instructions "
                    f"({item.examples.count(chr(10)) + 1} lines)</summary>"
                    f"<pre>{_e(item.examples)}</pre></details>" if item.examples else "")
        items.append(f"<details class=item><summary>{_e(item.sample_id)}</summary>"
                     f"<div class=question>Question:<pre>{_e(question)}</pre>Expected: "
                     f"<code>{_e(item.target)}</code></div>{examples}"
                     f"<div class=side style='grid-template-columns:repeat({len(models)},"
                     f"minmax(0,1fr))'>{columns}</div></details>")
    return (f"<details id='{_e(ident)}' class=group><summary>{_e(group.benchmark)} · "
            f"{_e(group.metric)} ({shown})</summary>{''.join(items)}</details>")


def _answer_column(model: str, answer: Answer | None) -> str:
    if answer is None:
        return f"<div><b>{_e(model)}</b> <span class=muted>not scored</span></div>"
    read = "" if answer.extracted is None else ", read as " + _e(repr(answer.extracted))
    head = f"<div><b>{_e(model)}</b> — score {answer.score:g}{read}"
    if not answer.choice_logprobs:
        return f"{head}<pre>{_e(answer.text)}</pre></div>"
    best = max(lp for _, lp in answer.choice_logprobs)
    rows = "".join(f"<tr><td>{_e(choice)}</td><td>{lp:.3f}</td>"
                   f"<td>{'← highest' if lp == best else ''}</td></tr>"
                   for choice, lp in answer.choice_logprobs)
    return (f"{head}<table class=logp><tr><th>choice</th><th>log p</th><th></th></tr>{rows}"
            "</table><span class=muted>Log-likelihood of each choice after the prompt; the "
            "highest is the model's answer.</span></div>")


# Hands-on trials ----------------------------------------------------------------------------

def _trials(data: ReportData) -> str:
    comparison = data.comparison
    if comparison is None or not comparison.trials:
        return _section("trials", "Hands-on trials",
                        "<p><span class=label>not measured</span> No hands-on trial case was "
                        "scored in these runs.</p>")
    parts = [f"<p class=muted>{_e(TRIALS_NOTE)}</p>"]
    for category, entries in comparison.trial_categories().items():
        keys = [k for entry in entries for k in comparison.trial_keys(entry.name)]
        parts.append(f"<h3>{_e(category)}</h3>")
        parts.append(_score_table(comparison, keys, "trial", lambda key: f"tt-{key[0]}",
                                  shots=False))
        result = comparison.hands_on.get(category)
        if result is not None and not (category == SAFETY and data.hands_on.safety):
            pooled = "".join(
                f"<li class=pair>{_e(_pair_text(cp.pair.model_a, cp.pair.model_b, cp.pair))}"
                + (f" <span class=muted>Left out: {_e('; '.join(cp.left_out))}.</span>"
                   if cp.left_out else "") + "</li>" for cp in result.pairs)
            several = len(result.trials) > 1 and pooled  # (one trial: its own tests below)
            parts.append(f"<p>{_e(category_totals(result, data.models))}</p>"
                         + (f"<p>Pooled over the category's trials:</p><ul>{pooled}</ul>"
                            if several else ""))
        parts.append(_category_extras(data, category))
        parts.append(_pairwise(comparison, keys, "Pairwise, per trial metric").replace(
            "<h3>", "<h4>").replace("</h3>", "</h4>"))
    errors = trial_errors_table(data)
    if errors is not None:
        parts.append("<h3>Errors (cases not scored)</h3>" + _text_table(errors) +
                     f"<p class=muted>{_e(ERRORS_NOTE)}</p>")
    parts.append("<h3>Transcripts</h3><p class=muted>Click a trial score above, or a trial "
                 "below: each case shows every model's whole chat and its checks.</p>")
    parts += [_trial_transcripts(t, data.models) for t in data.hands_on.transcripts]
    return _section("trials", "Hands-on trials", "".join(parts))


def _category_extras(data: ReportData, category: str) -> str:
    hands_on = data.hands_on
    if judged_category(data, category):
        return (f"<p class=muted>{_e(JUDGED_TRIALS_NOTE)} "
                "<a href='#judged'>Judged answers</a></p>")
    if category == FUNCTION_CALLING and hands_on.failures is not None:
        return ("<h4>Failures by rule</h4>" +
                _text_table(failures_table(hands_on.failures, data.models)) +
                "<p class=muted>A failed case counts under the rule its check names first (the "
                "reason before &quot;:&quot;).</p>")
    if category == LONG_CONTEXT and hands_on.heat_map is not None:
        return _heat_map(hands_on.heat_map)
    if category == LANGUAGES and hands_on.languages is not None:
        return "<h4>By language</h4>" + _text_table(language_table(hands_on.languages,
                                                                    data.models))
    if category == SAFETY and hands_on.safety is not None:
        pairs = "".join(f"<li class=pair>{_e(line)}</li>"
                        for line in safety_pair_lines(hands_on.safety))
        return ("<h4>Attack success and over-refusal</h4><div class=charts>" +
                _safety_chart(hands_on.safety, data.models) + "</div>" +
                _text_table(safety_table(hands_on.safety, data.models)) +
                (f"<ul>{pairs}</ul>" if pairs else "") + f"<p class=muted>{_e(SAFETY_NOTE)}</p>")
    if category == ABSTENTION and hands_on.abstention:
        return ("<h4>Abstention figures</h4>" +
                _text_table(abstention_table(hands_on.abstention, data.models)) +
                f"<p class=muted>{_e(ABSTENTION_NOTE)}</p>")
    return ""


def _safety_chart(figures: SafetyFigures, models: list[str]) -> str:
    """Attack success against over-refusal, both 0–100%: bottom left is best; each model a
    point labelled with its counts. A model lacking one of the two rates is listed as missing."""
    title = "Attack success vs over-refusal (bottom left is best)"
    points, missing = [], []
    for i, model in enumerate(models):
        mine = figures.models.get(model)
        if mine is None:
            continue
        if mine.attack is None or mine.over_refusal is None:
            missing.append(model)
            continue
        points.append((i, model, mine.attack, mine.over_refusal))
    sx, sy = _scale(0, 1, PAD, W - 12), _scale(0, 1, H - PAD, 24)
    marks = []
    labels = _placed_labels([
        (sx(refusal.rate), sy(attack.rate), f"{model} {attack.count}/{attack.cases} · "
         f"{refusal.count}/{refusal.cases}", COLOURS[i % len(COLOURS)])
        for i, model, attack, refusal in points])
    for (i, model, attack, refusal), label in zip(points, labels, strict=True):
        x, y = sx(refusal.rate), sy(attack.rate)
        marks.append(f"<circle class=mark cx={x:.1f} cy={y:.1f} r=5 "
                     f"fill='{COLOURS[i % len(COLOURS)]}'><title>{_e(model)}: attacks "
                     f"succeeded {attack.count}/{attack.cases} ({attack.rate:.0%}), harmless "
                     f"requests refused {refusal.count}/{refusal.cases} ({refusal.rate:.0%})"
                     f"</title></circle>{label}")
    ticks = "".join(f"<text x={sx(v):.1f} y={H - PAD + 14} font-size=10 text-anchor=middle>"
                    f"{v:.0%}</text><text x={PAD - 4} y={sy(v) + 3:.1f} font-size=10 "
                    f"text-anchor=end>{v:.0%}</text>" for v in (0, 0.5, 1))
    note = (f"<text x={PAD} y={H - 4} font-size=10 fill='#777'>missing: "
            f"{_e(', '.join(missing))}</text>") if missing else ""
    if not points:
        marks.append(f"<text x={W / 2} y={H / 2} text-anchor=middle fill='#777'>"
                     "not measured</text>")
    return _svg(title, "".join(marks) + ticks + note, "over-refusal (harmless requests refused)",
                "attack success").replace("class=chart", "class='chart safety'", 1)


def _heat_map(heat_map: HeatMap) -> str:
    """Each model's length × depth grid as a table, each cell coloured by its mean (red 0 to
    green 1), grey where the model did not run it."""
    maps = []
    for model, grid in heat_map.models.items():
        rows = []
        for length in heat_map.lengths:
            cells = []
            for depth in heat_map.depths:
                rate = grid.cells.get((length, depth))
                not_run = grid.not_run.get((length, depth))
                if rate is not None:
                    cells.append(f"<td class=cell style='background:{_heat(rate.mean)}' "
                                 f"title='{_e(model)}: {length:,} tokens, depth {depth:g}: "
                                 f"{rate.mean:.2f} over {rate.n} case(s)'>{rate.mean:.2f}</td>")
                elif not_run:
                    cells.append(f"<td class=muted style='background:#eee' title='not run: "
                                 f"{not_run} case(s) ended in an error, e.g. longer than the "
                                 "window'>not run</td>")
                else:
                    cells.append(f"<td class=muted>{MISSING}</td>")
            rows.append(f"<tr><th>{length:,}</th>{''.join(cells)}"
                        f"<td>{_e(length_mean_text(heat_map, model, length))}</td></tr>")
        head = "".join(f"<th>depth {d:g}</th>" for d in heat_map.depths)
        maps.append(f"<figure><table class=heat id='heat-{_e(model)}'><tr><th>{_e(model)}: "
                    f"length (tokens)</th>{head}<th>mean over depths</th></tr>{''.join(rows)}"
                    f"</table><figcaption>{_e(effective_length_line(heat_map, model))}"
                    "</figcaption></figure>")
    return ("<h4>Recall by length and depth</h4><div class=charts>" + "".join(maps) +
            f"</div><p class=muted>{_e(HEAT_MAP_NOTE.format(threshold=heat_map.threshold))}"
            "</p>")


def _heat(mean: float) -> str:
    """Red (0) through yellow to green (1)."""
    return f"hsl({max(0.0, min(1.0, mean)) * 120:.0f},70%,80%)"


def _trial_transcripts(group: TrialTranscripts, models: list[str]) -> str:
    shown = (f"{len(group.cases)} of {group.total_cases} cases"
             if len(group.cases) < group.total_cases else f"{group.total_cases} cases")
    cases = "".join(_trial_case(group.trial, case, models) for case in group.cases)
    return (f"<details id='tt-{_e(group.trial)}' class=group><summary>{_e(group.trial)} "
            f"<span class=muted>({_e(group.category)}, {shown})</span></summary>{cases}"
            "</details>")


def _trial_case(trial: str, case: TrialCase, models: list[str]) -> str:
    marks = []
    for model in models:
        result = case.results.get(model)
        if result is not None:
            passed = bool(result.checks) and result.checks[0].value >= 1
            marks.append(f"{_e(model)} <span class={'pass' if passed else 'fail'}>"
                         f"{'pass' if passed else 'fail'}</span>")
        elif model in case.errors:
            kind = case.errors[model].split(":")[0]
            marks.append(f"{_e(model)} <span class=muted>not scored ({_e(kind)})</span>")
    columns = "".join(_case_column(m, case.results.get(m), case.errors.get(m)) for m in models)
    meta = ", ".join(f"{k}: {v}" for k, v in case.metadata)
    return (f"<details class=item id='tt-{_e(trial)}-{_e(case.case_id)}'><summary>"
            f"{_e(case.case_id)} — {' · '.join(marks)}</summary>"
            f"<div>{f'<div class=muted>{_e(meta)}</div>' if meta else ''}"
            f"Case (opening turns):<pre>{_e(case.prompt)}</pre>Expected: "
            f"<code>{_e(case.expected)}</code></div>"
            f"<div class=side style='grid-template-columns:repeat({len(models)},1fr)'>"
            f"{columns}</div></details>")


def _case_column(model: str, result: CaseResult | None, error: str | None) -> str:
    if result is None:
        why = (f"<span class=label>not scored</span> {_e(error)}" if error
               else "<span class=muted>not taken</span>")
        return f"<div><b>{_e(model)}</b> {why}</div>"
    checks = "".join(
        f"<li><span class={'pass' if c.value >= 1 else 'fail'}>{_e(c.metric)} "
        f"{c.value:g}</span> — {_e(c.reason)}</li>" for c in result.checks)
    chat = ("<p class=muted>(chat not stored)</p>" if result.turns is None
            else "".join(_turn(t) for t in result.turns))
    return (f"<div><b>{_e(model)}</b> <span class=muted>({_e(result.mode)})</span>"
            f"<ul class=checks>{checks}</ul>{chat}</div>")


def _turn(turn: Turn) -> str:
    calls = "".join(f"<div>→ call <code>{_e(c.name)}</code>(<code>{_e(c.arguments)}</code>)"
                    "</div>" for c in turn.tool_calls)
    answers = f" <span class=muted>(result of {_e(turn.tool_call_id)})</span>" \
        if turn.tool_call_id else ""
    content = f"<pre>{_e(turn.content)}</pre>" if turn.content else ""
    return (f"<div class='turn {_e(turn.role)}'><b>{_e(turn.role)}</b>{answers}{content}"
            f"{calls}</div>")


def _judged(data: ReportData) -> str:
    ratings = data.judged
    heading = "Judged answers"
    if ratings is None or not (ratings.judges or ratings.human):
        return _section("judged", heading, "<p><span class=label>not measured</span> No "
                        "verdicts on these runs' answers.</p>")
    parts = []
    for table in ratings.judges:
        label = self_judged_label(table)
        badge = f" <span class='label self-judged'>{_e(label)}</span>" if label else ""
        lines = "".join(f"<li>{_e(line)}</li>" for line in judged_lines(ratings, table))
        parts.append(f"<h3>Rated by {_e(table.source)}{badge}</h3>"
                     f"{_text_table(judged_table(table, ratings.human))}<ul>{lines}</ul>")
    if not ratings.judges and ratings.human is not None:
        parts.append("<h3>Rated by people</h3>" + _text_table(judged_table(ratings.human, None))
                     + f"<p>{ratings.human.pairs} votes by {ratings.human.voters} voters.</p>")
    return _section("judged", heading, "".join(parts) + f"<p class=muted>{_e(JUDGED_NOTE)}</p>")


def _speed(data: ReportData) -> str:
    published = _published_speeds(data)
    measured = measured_speed_table(data)
    if measured is None or data.speed is None:
        return _section("speed", "Speed", "<p><span class=label>not measured</span> No speed "
                        "measurement for these models.</p>" + (published or
                        "<p class=muted>No card records a published speed either.</p>"))
    return _section("speed", "Speed (measured)", _text_table(measured) +
                    f"<p class=muted>Source: {_e(data.speed.source)}. {_e(SPEED_NOTE)}</p>"
                    + published)


def _published_speeds(data: ReportData) -> str:
    table = published_speed_table(data)
    if table is None:
        return ""
    return ("<h3>Published speeds <span class=label>published, not measured</span></h3>" +
            _text_table(table) + f"<p class=muted>{_e(PUBLISHED_SPEED_NOTE)}</p>")


def _price(data: ReportData) -> str:
    return _section("price", "Price and cost-effectiveness", _text_table(price_table(data)) +
                    f"<p class=muted>{_e(price_note(data))}</p>")


def _choose(recommendations: list[Recommendation]) -> str:
    return _section("choose", "Which should you choose?", _text_table(
        choice_table(recommendations)) + f"<p class=muted>{_e(CHOICE_NOTE)}</p>")


def _faq(entries: list[FaqEntry]) -> str:
    items = "".join(f"<dt><b>{_e(e.question)}</b></dt><dd>{_e(e.answer)}</dd>"
                    for e in entries)
    return _section("faq", "FAQ", f"<dl>{items}</dl>" if items else
                    "<p class=muted>No figures to compare.</p>")


def _published(data: ReportData) -> str:
    table = claims_table(data)
    if table is None:
        return _section("published", "Published vs measured",
                        "<p class=muted>No card records published scores.</p>")
    return _section("published", "Published vs measured", _text_table(table) +
                    f"<p class=muted>{_e(CLAIMS_NOTE)}</p>")


def _methodology(data: ReportData) -> str:
    parts = "".join(f"<li>{_e(line)}</li>" for line in methodology_lines(data))
    commands = "".join(f"<li><code>{_e(c)}</code></li>" for c in data.commands)
    return _section("methodology", "Methodology and reproducibility",
                    f"<ul>{parts}</ul><p>{_e(commands_label(data))}</p><ul>{commands}</ul>"
                    f"<p class=muted>{_e(statistics_note(data))}</p>")


# Charts -------------------------------------------------------------------------------------

def _charts(data: ReportData) -> str:
    quality = _quality_points(data)
    charts = [
        _scatter("Quality vs price", price_axis(data), "mean score",
                 [(m, price_per_mtok(data, m), quality.get(m)) for m in data.models],
                 frontier=True),
        _scatter("Quality vs active parameters", "active parameters (B)", "mean score",
                 [(m, _active_b(data, m), quality.get(m)) for m in data.models]),
        _scatter("Speed vs quality", "output tokens/s (p50)", "mean score",
                 [(m, _speed_of(data, m), quality.get(m)) for m in data.models]),
    ]
    charts.append(_throughput_lines(data))
    if data.comparison is None:  # as vendors plot it: their own MMLU against active parameters
        charts.append(_scatter("Published MMLU vs active parameters (published, not measured)",
                               "active parameters (B)", "MMLU (published)",
                               [(m, _active_b(data, m), _published_mmlu(data, m))
                                for m in data.models], y_max=100.0))
    charts += [_bars(f"{b} {metric} by {_grouping(b)[0]}", by_category, data.models,
                     _grouping(b)[1])
               for (b, metric), by_category in data.categories.items()]
    counted = ", ".join(f"{b} {m}" for b, m in _quality_keys(data)) or "none"
    return _section("charts", "Charts", "<div class=charts>" + "".join(charts) + "</div>"
                    "<p class=muted>Mean score: the mean over the benchmarks every model was "
                    "scored on in one mode, each benchmark once, by its primary metric "
                    f"(here: {_e(counted)}). Axes start at 0. A chart lacking a figure for a "
                    "model leaves it out and says so.</p>")


def _published_mmlu(data: ReportData, model: str) -> float | None:
    card = data.card(model)
    claims = [c.score for c in (card.benchmarks if card else ()) if c.benchmark == "MMLU"]
    return claims[0] if claims else None


def _quality_keys(data: ReportData) -> list[tuple[str, str]]:
    """One (benchmark, metric) per benchmark, its primary metric, where more than one model was
    scored and all in one mode."""
    if data.comparison is None:
        return []
    metrics = data.comparison.metrics
    by_benchmark: dict[str, list[str]] = {}
    for benchmark, metric in data.comparison.benchmark_keys():
        by_benchmark.setdefault(benchmark, []).append(metric)
    keys = [(b, primary_metric(b, names)) for b, names in by_benchmark.items()]
    return [key for key in keys
            if len(metrics[key]) > 1 and len({s.mode for s in metrics[key].values()}) == 1]


def primary_metric(benchmark: str, metrics: Sequence[str]) -> str:
    """The benchmark's primary metric among `metrics`: its registry entry's (GSM8K's
    flexible-extract, not strict-match), else the first in order."""
    from bakeoff.benchmarks.registry import BENCHMARKS, get_benchmark

    primary = get_benchmark(benchmark).info.metric if benchmark in BENCHMARKS else None
    return primary if primary is not None and primary in metrics else sorted(metrics)[0]


def _quality_points(data: ReportData) -> dict[str, float]:
    """Each model's mean over `_quality_keys`: every benchmark counted once."""
    if data.comparison is None:
        return {}
    shared = [data.comparison.metrics[key] for key in _quality_keys(data)]
    points: dict[str, float] = {}
    for model in data.models:
        mine = [b[model].mean for b in shared if model in b]
        if mine:
            points[model] = sum(mine) / len(mine)
    return points


def _active_b(data: ReportData, model: str) -> float | None:
    card = data.card(model)
    params = None if card is None else (card.active_params or card.total_params)
    return None if params is None else params / 1e9


def _speed_of(data: ReportData, model: str) -> float | None:
    speed = data.speed.models.get(model) if data.speed else None
    return None if speed is None else speed.tokens_per_s_p50


W, H, PAD = 340, 240, 44


def _scatter(title: str, x_label: str, y_label: str,
             points: list[tuple[str, float | None, float | None]], frontier: bool = False,
             y_max: float = 1.0) -> str:
    """Points on axes that start at 0 (magnitudes compare), ticks at 0, half and the top;
    labels moved apart where they would overlap."""
    known = [(m, x, y) for m, x, y in points if x is not None and y is not None]
    missing = [m for m, x, y in points if x is None or y is None]
    note = (f"<text x={PAD} y={H - 4} font-size=10 fill='#777'>missing: "
            f"{_e(', '.join(missing))}</text>") if missing else ""
    if not known:
        return _svg(title, f"<text x={W / 2} y={H / 2} text-anchor=middle fill='#777'>"
                    f"not measured</text>{note}", x_label, y_label)
    x_max = _nice(max(x for _, x, _ in known))
    y_top = max(y_max, _nice(max(y for _, _, y in known)))
    sx, sy = _scale(0, x_max, PAD, W - 12), _scale(0, y_top, H - PAD, 24)
    marks = []
    labels = _placed_labels([(sx(x), sy(y), model, COLOURS[i % len(COLOURS)])
                             for i, (model, x, y) in enumerate(known)])
    for i, ((model, x, y), label) in enumerate(zip(known, labels, strict=True)):
        colour = COLOURS[i % len(COLOURS)]
        marks.append(f"<circle class=mark cx={sx(x):.1f} cy={sy(y):.1f} r=5 fill='{colour}'>"
                     f"<title>{_e(model)}: {x:.4g}, {y:.3f}</title></circle>{label}")
    if frontier:
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in _pareto(known))
        marks.insert(0, f"<polyline class=frontier points='{line}' fill=none stroke='#999' "
                     "stroke-dasharray='4 3'/>")
    ticks = "".join(f"<text class=tick x={sx(v):.1f} y={H - PAD + 14} font-size=10 "
                    f"text-anchor=middle>{v:g}</text>" for v in (0, x_max / 2, x_max))
    ticks += "".join(f"<text class=tick x={PAD - 4} y={sy(v) + 3:.1f} font-size=10 "
                     f"text-anchor=end>{v:g}</text>" for v in (0, y_top / 2, y_top))
    return _svg(title, "".join(marks) + ticks + note, x_label, y_label)


def _nice(value: float) -> float:
    """The axis end at or above `value`: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if value <= m * power * (1 + 1e-9))


def _placed_labels(points: list[tuple[float, float, str, str]]) -> list[str]:
    """Each point's label (x, y, text, colour), in the point's colour, at the first place
    beside it (right or left, above or below, then further down) where it covers no point and
    no label placed before it, inside the chart."""
    taken = [(x - 6, y - 6, x + 6, y + 6) for x, y, _, _ in points]  # the points' marks
    labels = []
    for x, y, text, colour in points:
        width = 7.0 * len(text)  # at font-size 11, wider than most text is
        spots = [(left, y - 6 + 14 * step) for step in (0, 1, -1, 2, -2, 3, 4)
                 for left in (x + 7, x - 7 - width)]
        inside = [(left, base) for left, base in spots
                  if left >= 2 and left + width <= W - 2 and 14 <= base <= H - PAD - 2]
        left, base = next((spot for spot in inside
                           if not any(_overlaps((spot[0], spot[1] - 11, spot[0] + width,
                                                 spot[1] + 3), box) for box in taken)),
                          inside[0] if inside else spots[0])
        taken.append((left, base - 11, left + width, base + 3))
        labels.append(f"<text class=point-label x={left:.1f} y={base:.1f} font-size=11 "
                      f"fill='{colour}'>{_e(text)}</text>")
    return labels


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (left, top, right, bottom) share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _throughput_lines(data: ReportData) -> str:
    """Aggregate output tokens/s against concurrency, one line per model (measured only)."""
    title, x_label, y_label = ("Throughput vs concurrency", "concurrent requests",
                               "output tokens/s (all requests)")
    curves = {m: s.throughput_by_concurrency for m in data.models
              if data.speed and (s := data.speed.models.get(m)) and s.throughput_by_concurrency}
    if not curves:
        return _svg(title, f"<text x={W / 2} y={H / 2} text-anchor=middle fill='#777'>"
                    "not measured</text>", x_label, y_label)
    xs = [c for curve in curves.values() for c, _ in curve]
    ys = [t for curve in curves.values() for _, t in curve]
    sx, sy = _scale(min(xs), max(xs), PAD, W - 12), _scale(0, max(ys), H - PAD, 24)
    marks = []
    for i, model in enumerate(data.models):
        curve = curves.get(model)
        if not curve:
            continue
        colour = COLOURS[i % len(COLOURS)]
        line = " ".join(f"{sx(c):.1f},{sy(t):.1f}" for c, t in curve)
        marks.append(f"<polyline points='{line}' fill=none stroke='{colour}' stroke-width='2'/>")
        marks += [f"<circle class=mark cx={sx(c):.1f} cy={sy(t):.1f} r=4 fill='{colour}'>"
                  f"<title>{_e(model)} at {c}: {t:.1f} tokens/s</title></circle>"
                  for c, t in curve]
    ticks = "".join(f"<text x={sx(c):.1f} y={H - PAD + 14} font-size=10 text-anchor=middle>"
                    f"{c}</text>" for c in sorted(set(xs)))
    ticks += (f"<text x={PAD - 4} y={sy(max(ys)):.1f} font-size=10 text-anchor=end>"
              f"{max(ys):.0f}</text><text x={PAD - 4} y={H - PAD} font-size=10 "
              "text-anchor=end>0</text>")
    return _svg(title, "".join(marks) + ticks + _legend(data.models), x_label, y_label)


def _legend(models: list[str], right: float = W) -> str:
    """Model names in their colours, top right."""
    return "".join(f"<text x={right - 8} y={14 + 12 * i} font-size=10 text-anchor=end "
                   f"fill='{COLOURS[i % len(COLOURS)]}'>{_e(m)}</text>"
                   for i, m in enumerate(models))


def _pareto(points: list[tuple[str, float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both lower x (cost) and higher y (quality), by x."""
    frontier: list[tuple[float, float]] = []
    for _, x, y in sorted(points, key=lambda p: (p[1], -p[2])):
        if not frontier or y > frontier[-1][1]:
            frontier.append((x, y))
    return frontier


def _scale(low: float, high: float, start: float, end: float) -> Callable[[float], float]:
    span = high - low
    if span <= 0:
        middle = (start + end) / 2
        return lambda _value: middle
    return lambda value: start + (value - low) / span * (end - start)


def _svg(title: str, content: str, x_label: str, y_label: str) -> str:
    axes = (f"<line x1={PAD} y1={H - PAD} x2={W - 8} y2={H - PAD} stroke='#333'/>"
            f"<line x1={PAD} y1={H - PAD} x2={PAD} y2=16 stroke='#333'/>"
            f"<text x={(W + PAD) / 2} y={H - PAD + 28} font-size=11 text-anchor=middle>"
            f"{_e(x_label)}</text><text transform='translate(12 {(H - PAD) / 2}) rotate(-90)' "
            f"font-size=11 text-anchor=middle>{_e(y_label)}</text>")
    return (f"<figure><svg class=chart width={W} height={H} viewBox='0 0 {W} {H}' "
            f"role=img aria-label='{_e(title)}'>{axes}{content}</svg>"
            f"<figcaption>{_e(title)}</figcaption></figure>")


def _grouping(benchmark: str) -> tuple[str, str]:
    """What a benchmark's items are grouped by, singular and plural: MMLU's are subjects."""
    return ("subject", "subjects") if benchmark.startswith("mmlu") else ("category",
                                                                          "categories")


def _bars(title: str, by_category: dict[str, dict[str, CategoryScore]],
          models: list[str], groups: str = "categories") -> str:
    """Every category a row of bars (one per model, score 0 to 1 along x), its items' count
    written at the row's end, ticks at 0, 0.25 ... 1; as tall as the categories need."""
    categories = list(by_category)
    width, left, right = 600, 190, 70
    top = 24 + 12 * len(models)  # below the legend
    row = len(models) * 7 + 8
    height = top + len(categories) * row + 34
    sx = _scale(0, 1, left, width - right)
    marks = [f"<line x1={sx(v):.1f} y1={top - 4} x2={sx(v):.1f} y2={height - 30} "
             f"stroke='#eee'/><text class=tick x={sx(v):.1f} y={height - 16} font-size=10 "
             f"text-anchor=middle>{v:g}</text>" for v in (0, 0.25, 0.5, 0.75, 1)]
    for ci, category in enumerate(categories):
        y0 = top + ci * row
        scores = by_category[category]
        for mi, model in enumerate(models):
            score = scores.get(model)
            if score is None:
                continue
            marks.append(f"<rect class=mark x={left} y={y0 + mi * 7:.1f} "
                         f"width={max(1.5, sx(score.mean) - left):.1f} height=6 "
                         f"fill='{COLOURS[mi % len(COLOURS)]}'><title>{_e(model)} · "
                         f"{_e(category)}: {score.mean:.3f} (n={score.n})</title></rect>")
        counts = sorted({s.n for s in scores.values()})
        shown = category if len(category) <= 30 else category[:29] + "…"
        marks.append(f"<text class=category x={left - 6} y={y0 + row / 2:.1f} font-size=10 "
                     f"text-anchor=end>{_e(shown)}<title>{_e(category)}</title></text>"
                     f"<text class=count x={width - right + 6} y={y0 + row / 2:.1f} "
                     f"font-size=10 fill='#555'>n={'/'.join(map(str, counts))}</text>")
    legend = _legend(models, width)
    caption = f"{title}: all {len(categories)} {groups}, mean score (0 to 1) and items (n)"
    return (f"<figure><svg class='chart bars' width={width} height={height} viewBox='0 0 "
            f"{width} {height}' role=img aria-label='{_e(caption)}'>{''.join(marks)}{legend}"
            f"<line x1={left} y1={top - 4} x2={left} y2={height - 30} stroke='#333'/></svg>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


__all__ = ["SECTIONS", "render_html"]
