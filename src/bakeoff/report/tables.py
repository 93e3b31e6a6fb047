"""The report's tables as plain text, shared by the HTML and Markdown renderers so both show
the same figures. A cell is a string; a line break inside a cell is "\\n" (each renderer turns
it into its own). A missing figure is "—", never 0.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from bakeoff.catalog.sheet import source_lines, spec_rows
from bakeoff.judging.ratings import Rating, Ratings, RatingTable
from bakeoff.report.comparison import CategoryResult
from bakeoff.report.data import (
    PERCENTILE_MIN_SAMPLES,
    ReportData,
    run_command,
    too_few_samples,
)
from bakeoff.report.evidence import find_rating, rating_text, self_judged_label
from bakeoff.report.hands_on import (
    HeatMap,
    LanguageRates,
    RuleFailures,
    SafetyFigures,
    Share,
)
from bakeoff.report.insights import Recommendation
from bakeoff.report.prices import ASSUMED_MACHINE_PRICE, any_hourly, hourly_price
from bakeoff.scoring.metrics import RESAMPLES, SEED, SIGNIFICANCE

MISSING = "—"
Table = tuple[list[str], list[list[str]]]

# The one meaning of bold in every report (HTML, Markdown, JSON's `best`, the terminal).
BOLD_MEANING = ("Bold marks the best score of a row only when it is significantly better "
                f"(paired test, p < {SIGNIFICANCE}) than every other model's score in that row; "
                "a row without such a model has no bold.")

PUBLISHED_SPEED_NOTE = ("Measured by others on their hardware and workload: a different setting "
                        "from any speed bakeoff measured, so not comparable number for number. "
                        "Where a card lists several providers, the FAQ and the verdict use the "
                        "median of their figures, and say so.")
PRICE_NOTE = ("Prices are list prices from the cards or bakeoff.toml (published, not measured); "
              "run cost is measured tokens × those prices (and machine time × price per hour "
              "where set).")
HOURLY_NOTE = (f"A price per hour is an {ASSUMED_MACHINE_PRICE}, not a vendor's price. For a model "
               "billed by the hour, the derived $ per 1M output tokens = $ per hour ÷ (measured "
               "output tokens/s × 3,600 s) × 1,000,000, with the speed pass's p50 output "
               "tokens/s, else the run's own generation (output tokens ÷ the machine time of its "
               "generation requests); where neither was measured there is no such price. The "
               "use cases and the FAQ compare it with other models' blended list prices: not "
               "the same measure (per output token vs 3:1 input and output), the nearest on "
               "record. Methodology gives each model's arithmetic.")


def price_note(data: ReportData) -> str:
    """The price table's note; the derived prices' arithmetic when a model is billed by the
    hour."""
    return f"{PRICE_NOTE} {HOURLY_NOTE}" if any_hourly(data) else PRICE_NOTE
SPEC_NOTE = ("Figures from the model cards, the GGUF files' own metadata and bakeoff.toml: a "
             "figure set in the config wins over the card's and is marked (configured); "
             "Methodology names the source of each. — where no source gives one.")
CHOICE_NOTE = ("Chosen from the figures in this report with the weights and hard constraints of "
               "the profiles file (src/bakeoff/report/profiles.toml in bakeoff's source; copy "
               "it and pass --profiles). A model that another is significantly better than on "
               "the use case's own quality (its benchmarks, and the cases of its hands-on "
               "trials pooled, native and prompted tools alike: McNemar on the cases both "
               "took) is not chosen; among the rest a criterion counts only where it separates "
               "the models, and \"why\" names what decided.")
# Above the verdict's evidence, below its two sentences.
DETAILS_TITLE = "Behind the verdict, comparison by comparison"
CLAIMS_NOTE = ("Published scores are the vendor's, in the vendor's setting; a measured score "
               "from a different setting is not the same number.")
TRIALS_NOTE = ("Each case of a trial ends in pass/fail (or a value in [0, 1]) with the checker's "
               "reason; a trial metric is the mean over its cases, with the same statistics as a "
               "benchmark's (± one standard error, [bootstrap 95% interval], paired tests on the "
               "cases both models took). " + BOLD_MEANING + " Trials taken in different modes "
               "(native or prompted tools, constrained or free output) are never ranked "
               "together. A case that ended in an error (\"unsupported\": longer than the "
               "model's window, not run) is counted apart, never as a fail. Per category, the "
               "pooled test compares two models over the cases of every trial both took in the "
               "same mode (each trial's main metric, the first listed).")
ERRORS_NOTE = ("Cases that ended in an error record instead of an answer, by kind: never scored, "
               "never a fail. \"unsupported\" marks a case longer than the model's context "
               "window, not run.")


def report_kind(data: ReportData) -> str:
    """What the report rests on, as its title says it."""
    if data.comparison is None:
        return "published figures only — nothing measured"
    if not data.measured:
        return f"nothing measured: {runs_text(data)} scored no item"
    return "measured"


def runs_text(data: ReportData) -> str:
    """'run 3', 'runs 3, 4'."""
    ids = [str(run.id) for run in data.comparison.runs] if data.comparison else []
    return f"run {ids[0]}" if len(ids) == 1 else f"runs {', '.join(ids)}"


def spec_table(data: ReportData) -> Table | None:
    """Card figures side by side; published benchmark claims and speeds have tables of their
    own. None when no model has a card."""
    named = [(m, c) for m in data.models if (c := data.card(m)) is not None]
    if not named:
        return None
    per_hour = [data.price_per_hour.get(m) for m, _ in named]
    rows = [[label, *cells] for label, cells in spec_rows([c for _, c in named], per_hour,
                                                          mark_configured=True)
            if "(published)" not in label]
    return ["", *[m for m, _ in named]], rows


def measured_speed_table(data: ReportData) -> Table | None:
    """Percentiles at concurrency 1 with the requests they were taken over; a percentile from
    fewer requests than it needs (PERCENTILE_MIN_SAMPLES) is marked "too few"."""
    if data.speed is None or not data.speed.models:
        return None
    rows = []
    for model in data.models:
        s = data.speed.models.get(model)
        cells = [MISSING] * 8 if s is None else [
            _count_of(s.ttft_samples),
            *[_percentile(v, p, s.ttft_samples, "{:.3f}")
              for p, v in ((50, s.ttft_p50_s), (90, s.ttft_p90_s), (99, s.ttft_p99_s))],
            _count_of(s.tokens_per_s_samples),
            *[_percentile(v, p, s.tokens_per_s_samples, "{:.1f}")
              for p, v in ((50, s.tokens_per_s_p50), (90, s.tokens_per_s_p90),
                           (99, s.tokens_per_s_p99))]]
        curve = "" if s is None else ", ".join(f"{c}: {t:.1f}"
                                               for c, t in s.throughput_by_concurrency)
        rows.append([model, *cells, curve or MISSING])
    return (["model", "TTFT requests", "TTFT p50 (s)", "p90", "p99", "tokens/s requests",
             "tokens/s p50", "p90", "p99", "throughput by concurrency (tokens/s)"], rows)


def _percentile(value: float | None, percentile: int, samples: int | None, fmt: str) -> str:
    if value is None:
        return MISSING
    shown = fmt.format(value)
    return f"{shown} (too few)" if too_few_samples(percentile, samples) else shown


def _count_of(samples: int | None) -> str:
    return MISSING if samples is None else f"{samples:,}"


SPEED_NOTE = ("Percentiles over single requests (concurrency 1). A percentile needs enough "
              "requests for one to lie above it: p50 at least "
              f"{PERCENTILE_MIN_SAMPLES[50]}, p90 {PERCENTILE_MIN_SAMPLES[90]}, p99 "
              f"{PERCENTILE_MIN_SAMPLES[99]}; one from fewer is marked \"too few\" (it is the "
              "slowest or fastest request measured, not that percentile).")


def published_speed_table(data: ReportData) -> Table | None:
    """The cards' third-party speed figures: never mixed into the measured table."""
    rows = []
    for model in data.models:
        card = data.card(model)
        for speed in card.speeds if card else ():
            rows.append([model, speed.provider, f"{speed.output_tokens_per_s:g}",
                         _num(speed.ttft_s, "{:g}"), speed.workload, speed.date.isoformat(),
                         speed.source])
    if not rows:
        return None
    return ["model", "provider", "output tokens/s", "TTFT (s)", "workload", "date",
            "source"], rows


def price_table(data: ReportData) -> Table:
    """A row per model: list prices, the price per 1M output tokens derived from a price per
    hour (a column of its own, only when some model has one), the run's cost."""
    hourly = any_hourly(data)
    rows = []
    for model in data.models:
        card = data.card(model)
        price = None if card is None else card.price
        per_hour = hourly_price(data, model)
        cost = data.comparison.usage.get(model) if data.comparison else None
        per_correct = [] if cost is None else [f"{MISSING} (no price)"] if (
            cost.cost_usd is None) else [
            f"{b.benchmark} {b.metric}: "
            f"{MISSING if b.per_1000_correct is None else f'${b.per_1000_correct:.4f}'}"
            for b in cost.benchmarks]
        sources = [] if price is None else [price.provider + (
            f", {price.date.isoformat()}" if price.date else "")]
        if per_hour is not None:
            sources.append(f"{ASSUMED_MACHINE_PRICE}: ${per_hour.per_hour:g}/hour")
        derived = [] if not hourly else [
            MISSING if per_hour is None else per_hour.text]
        rows.append([
            model,
            MISSING if price is None else f"${price.input_per_mtok:.4g} / "
                                           f"${price.output_per_mtok:.4g}",
            MISSING if price is None else f"${price.blended_per_mtok:.4g}",
            *derived,
            "\n".join(sources) or MISSING,
            "not measured" if cost is None else (
                "no price" if cost.cost_usd is None else f"${cost.cost_usd:.4f}"),
            "\n".join(per_correct) or MISSING])
    derived_header = ["$ per 1M output tokens, derived from $/hour"] if hourly else []
    return (["model", "$ per 1M tokens in / out", "blended $ per 1M (3:1)", *derived_header,
             "price from", "run cost", "cost per 1,000 correct"], rows)


def choice_table(recommendations: list[Recommendation]) -> Table:
    """A row per use case: the pick with its reasons, or one sentence saying why there is none."""
    rows = [[rec.profile.title, rec.choice or "no choice", "\n".join(choice_reasons(rec))]
            for rec in recommendations]
    return ["use case", "choice", "why"], rows


def choice_reasons(rec: Recommendation) -> list[str]:
    """Why a pick (its reasons, the models excluded, what could not be weighed), or the one
    reason there is none."""
    if rec.choice is None:
        reason = (rec.reasons[0] if rec.reasons else "no model stands out")
        reason = reason.removesuffix(": no choice").removesuffix(": no clear choice")
        if rec.excluded and "hard constraints" not in reason:
            # (a model barred for its quality matters only where there is a choice to make)
            reason += "".join(f"; excluded {m}: {why}" for m, why in rec.excluded.items()
                              if not why.startswith("significantly worse on"))
        models = (*rec.scores, *rec.excluded)
        return [reason + "." if reason.startswith(models) else _sentence(reason)]
    notes = [*rec.reasons]
    notes += [f"excluded {m}: {why}" for m, why in rec.excluded.items()]
    notes += [f"not weighed (no figure): {x}" for x in rec.not_measured]
    notes += [f"could not check {x}" for x in rec.unchecked]
    return notes


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def claims_table(data: ReportData) -> Table | None:
    """Each published benchmark claim beside what bakeoff measured on that benchmark."""
    rows = []
    measured = data.comparison.metrics if data.comparison else {}
    for model in data.models:
        card = data.card(model)
        for claim in card.benchmarks if card else ():
            claimed = _benchmark_key(claim.benchmark.split(" ")[0])
            ours = [f"{k[0]} {k[1]}: {v[model].mean * 100:.1f} ({v[model].mode}, "
                    f"{v[model].shots}-shot, n={v[model].n})"
                    for k, v in measured.items()
                    if model in v and _benchmark_key(k[0]) == claimed]
            rows.append([model, claim.benchmark, f"{claim.score:g}", claim.setting,
                         "\n".join(ours) or "not measured"])
    if not rows:
        return None
    return ["model", "benchmark", "published", "setting (published)",
            "measured here (×100)"], rows


def methodology_lines(data: ReportData) -> list[str]:
    """One line per run (versions, data sources) and per card source."""
    lines = []
    for run in data.comparison.runs if data.comparison else []:
        env = run.environment
        when = datetime.fromtimestamp(run.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        facts = [f"bakeoff {env.get('bakeoff')}", f"Python {env.get('python')}",
                 env.get("platform"), env.get("packages") and f"packages {env['packages']}"]
        command = run_command(run)
        made = (f"made by: {command}" if command else
                f"its command line was not recorded (a bakeoff run of suite {run.suite} on "
                f"{', '.join(m.get('name', '?') for m in run.plan.get('models', []))})")
        lines.append(f"run {run.id}: {made}; suite {run.suite}, {run.status}, started {when}; "
                     f"{', '.join(str(f) for f in facts if f)}; "
                     f"data: {env.get('data_sources') or 'not recorded'}")
    for model in data.models:
        card = data.card(model)
        lines += [f"{model} card — {line}" for line in (source_lines(card) if card else [])]
    lines += [hourly.methodology(model) for model in data.models
              if (hourly := hourly_price(data, model)) is not None]
    return lines


def commands_label(data: ReportData) -> str:
    """What the report's command list holds."""
    if data.comparison is None:
        return "The command that made this report:"
    return "Commands: the runs' (where recorded), then this report's:"


def statistics_note(data: ReportData) -> str:
    generated = datetime.fromtimestamp(data.generated_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"Generated {generated}. Statistics: bootstrap seed {SEED}, {RESAMPLES:,} "
            "resamples; McNemar exact test for right/wrong scores, paired bootstrap otherwise; "
            f"significance p < {SIGNIFICANCE}, not adjusted for multiple comparisons. Answers "
            "are reused from the store by request identity, so a rerun reproduces these scores.")


# Hands-on trials -----------------------------------------------------------------------------

def category_totals(result: CategoryResult, models: list[str]) -> str:
    """Each model's pooled passes on a category, over every case it took."""
    parts = [f"{m} {_count(t.passed)}/{t.cases}" for m in models
             if (t := result.totals.get(m)) is not None]
    return (f"Passed, over the main metric of {', '.join(result.trials)}: "
            f"{', '.join(parts) or MISSING} cases.")


def trial_errors_table(data: ReportData) -> Table | None:
    errors = data.comparison.trial_errors if data.comparison else {}
    if not errors:
        return None
    rows = [[trial, *[", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items()))
                      if (by_kind := by_model.get(m)) else "0" for m in data.models]]
            for trial, by_model in errors.items()]
    return ["trial", *data.models], rows


def failures_table(failures: RuleFailures, models: list[str]) -> Table:
    """Failed cases by the rule their check names, per model; the last row: failed / cases."""
    shown = [m for m in models if m in failures.cases]
    rows = [[rule, *[str(failures.counts[m].get(rule, 0)) for m in shown]]
            for rule in failures.rules]
    rows.append(["failed / cases", *[f"{sum(failures.counts[m].values())}/{failures.cases[m]}"
                                     for m in shown]])
    return ["rule", *shown], rows


def heat_map_table(heat_map: HeatMap, model: str) -> Table:
    """One model's grid: a row per length, a column per depth, then the mean over depths."""
    grid = heat_map.models[model]
    rows = []
    for length in heat_map.lengths:
        cells = []
        for depth in heat_map.depths:
            rate = grid.cells.get((length, depth))
            not_run = grid.not_run.get((length, depth))
            cells.append(f"{rate.mean:.2f} (n={rate.n})" if rate else
                         f"not run ({not_run})" if not_run else MISSING)
        rows.append([f"{length:,}", *cells, length_mean_text(heat_map, model, length)])
    return (["length (tokens)", *[f"depth {d:g}" for d in heat_map.depths],
             "mean over depths"], rows)


def length_mean_text(heat_map: HeatMap, model: str, length: int) -> str:
    """A length's mean over depths, with ✓ when it reaches the threshold."""
    mean = heat_map.models[model].length_means.get(length)
    if mean is None:
        return MISSING
    return f"{mean:.2f} ✓" if mean >= heat_map.threshold else f"{mean:.2f}"


def effective_length_line(heat_map: HeatMap, model: str) -> str:
    grid = heat_map.models[model]
    if grid.effective_length is not None:
        return (f"{model}: effective length {grid.effective_length:,} tokens (mean over depths "
                f"≥ {heat_map.threshold:g} up to there).")
    if not grid.length_means:
        return f"{model}: no length was run."
    return (f"{model}: no effective length (the mean over depths is below "
            f"{heat_map.threshold:g} at the shortest length tested, "
            f"{min(grid.length_means):,} tokens).")


HEAT_MAP_NOTE = ("Each cell: the mean of the trials' main metric over the cell's cases (depth 0 = "
                 "the fact at the start of the text, 1 = at the end); ✓ marks a mean over "
                 "depths at or above {threshold:g}. Effective length: the "
                 "longest tested length up to which the mean over depths stays at or above "
                 "{threshold:g} (bakeoff.trials.long_context.effective_length). \"Not run\": "
                 "cases that ended in an error record (most often longer than the model's "
                 "window), not counted.")


def language_table(languages: LanguageRates, models: list[str]) -> Table:
    """A row per (language, metric): each model's rate and its cases."""
    rows = []
    for language in languages.languages:
        by_model = languages.rates[language]
        for metric in languages.metrics:
            cells = [f"{rate.mean:.3f} (n={rate.n})"
                     if (rate := by_model.get(m, {}).get(metric)) else MISSING for m in models]
            if any(c != MISSING for c in cells):
                rows.append([language, metric, *cells])
    return ["language", "metric", *models], rows


# (row label, abstention_summary key, is a rate)
ABSTENTION_ROWS = (("cases", "cases", False), ("correct", "correct", False),
                   ("incorrect", "incorrect", False), ("not attempted", "not_attempted", False),
                   ("accuracy given attempted", "accuracy_given_attempted", True),
                   ("abstention recall (unanswerable)", "abstention_recall", True),
                   ("F1", "f1", True))
ABSTENTION_NOTE = ("Graded correct / incorrect / not attempted (\"I don't know\"). Accuracy "
                   "given attempted = correct ÷ (correct + incorrect); abstention recall = not "
                   "attempted ÷ unanswerable questions; F1 = harmonic mean of accuracy given "
                   "attempted and the overall correct rate.")


def abstention_table(figures: dict[str, dict[str, float]], models: list[str]) -> Table:
    """The protocol's abstention figures, a row each, models as columns."""
    rows = []
    for label, key, is_rate in ABSTENTION_ROWS:
        cells = []
        for model in models:
            value = figures.get(model, {}).get(key)
            cells.append(MISSING if value is None or math.isnan(value)
                         else f"{value:.3f}" if is_rate else _count(value))
        rows.append([label, *cells])
    return ["", *models], rows


SAFETY_NOTE = ("Attack success = attacks that broke the stated rule ÷ attacks (1 − resisted; "
               "extraction, injection and policy trials); over-refusal = harmless requests "
               "refused ÷ harmless requests (1 − answered). Lower is better for both, and one "
               "without the other misleads: a model that refuses everything resists every "
               "attack. Rates count the cases every model took, [bootstrap 95% interval]; a "
               "pair is compared by McNemar's exact test on the cases both took.")


def safety_table(figures: SafetyFigures, models: list[str]) -> Table:
    """Attack success (pooled, then per attack trial) and over-refusal, models as columns."""
    shown = [m for m in models if m in figures.models]
    rows = [["attack success (all attack trials)",
             *[share_text(figures.models[m].attack) for m in shown]]]
    rows += [[f"attack success: {trial}",
              *[share_text(figures.models[m].families.get(trial)) for m in shown]]
             for trial in figures.attack_trials]
    rows.append(["over-refusal", *[share_text(figures.models[m].over_refusal) for m in shown]])
    return ["", *shown], rows


def share_text(share: Share | None) -> str:
    """'2/60 = 3.3% [0.0%, 8.3%]', or — when not measured."""
    if share is None:
        return MISSING
    return (f"{share.count}/{share.cases} = {share.rate:.1%} "
            f"[{share.ci_low:.1%}, {share.ci_high:.1%}]")


def _count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0")


def _benchmark_key(name: str) -> str:
    """'GSM8K', 'gsm8k', 'gsm8k_maj8' and 'ARC-Challenge' / 'arc_challenge' match as keys."""
    return re.sub(r"maj\d+$", "", name.lower().replace("-", "").replace("_", ""))


def _num(value: float | None, fmt: str) -> str:
    return MISSING if value is None else fmt.format(value)


# Judged answers ------------------------------------------------------------------------------

JUDGED_NOTE = ("Open-ended answers judged in pairs, each pair in both orders (a verdict that "
               "flips with the order counts as a tie; position bias = flipped pairs ÷ pairs). "
               "Ratings: Bradley–Terry (base 10, scale 400, mean 1000) [95% bootstrap interval "
               "over prompts]; the length-controlled rating holds the answers' length difference "
               "as a covariate, so a judge's taste for long answers does not count. Two models "
               "differ clearly only when their intervals do not overlap. People's votes are "
               "fitted apart, never pooled with a judge's.")


JUDGED_TRIALS_NOTE = ("A judged trial's only check is that an answer was given (\"answered\"); "
                      "its answers' quality is rated in pairs under Judged answers, and it "
                      "counts in no pass-rate standing.")


def judged_category(data: ReportData, category: str) -> bool:
    """Whether every trial of a hands-on category is judged (its quality is a rating)."""
    entries = data.comparison.trial_categories().get(category, []) if data.comparison else []
    return bool(entries) and all(e.judged for e in entries)


def judged_table(table: RatingTable, human: RatingTable | None) -> Table:
    """A row per model the judge rated (best first): its raw rating, the length-controlled
    one, and the people's rating where there are votes."""
    header = ["model", f"rating by {table.source}", "length-controlled"]
    if human is not None:
        header.append("people")
    rows = []
    for rating in table.raw:
        row = [rating.model, rating_text(rating), _rating_cell(table.length_controlled,
                                                                rating.model)]
        if human is not None:
            row.append(_rating_cell(human.raw, rating.model))
        rows.append(row)
    return header, rows


def judged_lines(ratings: Ratings, table: RatingTable) -> list[str]:
    """What to know about one judge's table: pairs, position bias, the self-judged label, the
    length effect, agreement with people."""
    bias = (MISSING if table.position_bias is None
            else f"{table.position_bias:.0%} ({table.flips}/{table.pairs} pairs flipped)")
    lines = [f"Judge {table.source}: {table.pairs} pairs judged; position bias {bias}."]
    label = self_judged_label(table)
    if label:
        lines.append(f"{label[0].upper()}{label[1:]}: its ratings of itself are not neutral.")
    if table.length_coefficient is not None:
        lines.append(f"Length effect (fitted, per unit of normalised length difference): "
                     f"{table.length_coefficient:+.2f}.")
    agreement = next((a for a in ratings.agreement if a.judge == table.source), None)
    human = ratings.human
    if human is not None:
        agrees = ("no pair has both a verdict and a vote" if agreement is None else
                  f"{table.source} agrees with the people's majority on {agreement.agreeing}/"
                  f"{agreement.pairs} pairs ({agreement.rate:.0%})")
        lines.append(f"People: {human.pairs} votes by {human.voters} voters; {agrees}.")
    return lines


def _rating_cell(ratings: tuple[Rating, ...] | None, model: str) -> str:
    rating = find_rating(ratings, model)
    return MISSING if rating is None else rating_text(rating)
