"""The report's words: the verdict, the FAQ ratios and a recommendation per use-case profile.

Rules the text keeps (and tests check):
- a quality difference counts only when its paired test is significant (Comparison.pairwise,
  p < 0.05); otherwise the models are "not significantly different", never a winner;
- scores of different modes or shot counts are never ranked together (their pair has no test);
- a missing figure is "not measured" / "unknown", never zero, and a ratio needs both figures;
- ratios are computed from the rounded numbers the sentence shows, so the reader can check them.
- a price per hour becomes a price per token only through a measured speed, and every sentence
  that compares it says it is derived and from what (bakeoff.report.prices).

Hands-on trials: the verdict's quality sentence is about standard benchmarks; a hands-on sentence
follows it, one clause per trial category, from the Comparison's pooled category tests ("For
function calling, choose alpha: it passed 34/40 cases vs 12/40 for beta (McNemar exact
p < 0.001)" only when that test gives p < 0.05; otherwise the difference is not significant).
Profiles weigh trial categories with the `hands_on` criterion (see profiles.toml).

Safety is never one pooled pass count: the Safety category's clause gives way to a safety
sentence that keeps attack success and over-refusal apart (the customer-facing pick with its
evidence, or each pair's two rates), and the FAQ asks about each separately. Judged trials count
in no pass-rate standing; their ratings get a sentence of their own that cites intervals and
calls two models apart only when their 95% intervals do not overlap. The `safety`,
`over_refusal`, `abstention` and `rating` criteria and their evidence clauses are in
bakeoff.report.evidence.
"""

from __future__ import annotations

import statistics
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bakeoff.catalog import PublishedSpeed
from bakeoff.catalog.resolve import figure_origin
from bakeoff.report.comparison import OTHER, CategoryPair, CategoryResult
from bakeoff.report.data import ReportData
from bakeoff.report.evidence import (
    TEST_NAMES,
    abstention_clause,
    attack_clause,
    attack_success,
    judged_rating,
    no_information,
    over_refusal,
    over_refusal_clause,
    p_text,
    paired_text,
    rating_clause,
    rating_source,
    rating_text,
    safety_pair_lines,
    self_judged_label,
    shared_counts,
    significantly_better,
)
from bakeoff.report.hands_on import SAFETY
from bakeoff.report.pooled import PooledQuality, count_text, pooled_quality, profile_trials
from bakeoff.report.prices import (
    any_hourly,
    compared_price,
    no_price_reason,
    price_per_mtok,
)

CRITERIA = ("quality", "hands_on", "speed", "latency", "price", "context", "languages",
            "safety", "over_refusal", "abstention", "rating")
CONSTRAINTS = ("min_context", "max_blended_price_per_mtok", "min_tokens_per_s", "max_ttft_s",
               "languages")


class ProfileError(ValueError):
    """A profiles file is invalid; the message names the file and the problem."""


@dataclass(frozen=True)
class Profile:
    key: str
    title: str
    benchmarks: tuple[str, ...]
    weights: dict[str, float]
    constraints: dict[str, Any]
    # The hands-on categories the `hands_on` criterion weighs (all trials when empty).
    trial_categories: tuple[str, ...] = ()
    # How the verdict's one-line choice names the use case ("" : from the title).
    short: str = ""


@dataclass(frozen=True)
class Recommendation:
    profile: Profile
    # None when no model qualifies or the top scores tie.
    choice: str | None
    scores: dict[str, float]
    reasons: list[str]
    excluded: dict[str, str] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)
    not_measured: list[str] = field(default_factory=list)
    # The criteria weighed: those of the profile that were measured.
    weighed: list[str] = field(default_factory=list)
    # What decided the choice, short, with its figures ("" without a choice): the verdict's
    # headline cites it.
    decided: str = ""


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str
    # The figures the answer is computed from, as shown.
    evidence: dict[str, Any]


@dataclass(frozen=True)
class DecisionReport:
    """A report's data and its words, computed from it once: what every renderer formats."""

    data: ReportData
    # The headline: two sentences (verdict()).
    verdict: list[str]
    recommendations: list[Recommendation]
    faq: list[FaqEntry]
    # The evidence below the headline, a sentence per item (verdict_details()).
    details: list[str] = field(default_factory=list)


def decide(data: ReportData, profiles: Path | None = None) -> DecisionReport:
    """The verdict, the recommendations (with `profiles`, or the shipped ones) and the FAQ."""
    recommendations = recommend(data, load_profiles(profiles))
    return DecisionReport(data, verdict(data, recommendations), recommendations, faq(data),
                          verdict_details(data, recommendations))


# Profiles -------------------------------------------------------------------------------------

def load_profiles(path: Path | None = None) -> list[Profile]:
    """The profiles in `path`, or the shipped ones."""
    if path is None:
        text = resources.files("bakeoff.report").joinpath("profiles.toml").read_text("utf-8")
        source = "bakeoff/report/profiles.toml"
    else:
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from None
    return [_profile(source, key, table) for key, table in data.items()]


def _profile(source: str, key: str, table: Any) -> Profile:
    if not isinstance(table, dict):
        raise ProfileError(f"{source}: {key}: expected a table")
    weights = table.get("weights", {})
    constraints = table.get("constraints", {})
    unknown = sorted(set(weights) - set(CRITERIA)) + sorted(set(constraints) - set(CONSTRAINTS))
    if unknown:
        raise ProfileError(f"{source}: {key}: unknown keys {', '.join(unknown)} (criteria: "
                           f"{', '.join(CRITERIA)}; constraints: {', '.join(CONSTRAINTS)})")
    if not weights or any(not isinstance(w, int | float) or w < 0 for w in weights.values()):
        raise ProfileError(f"{source}: {key}: weights must be non-negative numbers")
    categories = table.get("trial_categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ProfileError(f"{source}: {key}: trial_categories must be a list of category names")
    return Profile(key=key, title=str(table.get("title", key)),
                   benchmarks=tuple(table.get("benchmarks", ())),
                   weights={k: float(v) for k, v in weights.items()}, constraints=constraints,
                   trial_categories=tuple(categories), short=str(table.get("short", "")))


# Figures per model ---------------------------------------------------------------------------

def context_window(data: ReportData, model: str) -> int | None:
    card = data.card(model)
    return None if card is None else card.context_window


def languages(data: ReportData, model: str) -> tuple[str, ...] | None:
    card = data.card(model)
    return None if card is None else card.languages


def tokens_per_s(data: ReportData, model: str) -> float | None:
    speed = data.speed.models.get(model) if data.speed else None
    return None if speed is None else speed.tokens_per_s_p50


def ttft(data: ReportData, model: str) -> float | None:
    speed = data.speed.models.get(model) if data.speed else None
    return None if speed is None else speed.ttft_p50_s


@dataclass(frozen=True)
class PublishedRate:
    """The published output speed the report uses for a model: the median of the figures its
    card lists (one per provider), so that no provider is picked over another."""

    tokens_per_s: float
    speeds: tuple[PublishedSpeed, ...]

    @property
    def basis(self) -> str:
        """Whose figure it is: "on Azure", or "the median of the 2 providers' figures on
        its card, Azure 29.4 and Bedrock 73.7"."""
        if len(self.speeds) == 1:
            return f"on {self.speeds[0].provider}"
        listed = [f"{s.provider} {s.output_tokens_per_s:g}" for s in self.speeds]
        return (f"the median of the {len(listed)} providers' figures on its card, "
                f"{', '.join(listed[:-1])} and {listed[-1]}")


def published_speed(data: ReportData, model: str) -> PublishedRate | None:
    """The median of the card's published output speeds; None when it lists none."""
    card = data.card(model)
    if card is None or not card.speeds:
        return None
    return PublishedRate(statistics.median(s.output_tokens_per_s for s in card.speeds),
                         card.speeds)


def quality_standing(data: ReportData, model: str, benchmarks: tuple[str, ...] = (),
                     among: list[str] | None = None) -> tuple[int, int] | None:
    """(quality measures where no other model is significantly better, measures counted), or
    None.

    The measures: each standard benchmark metric of `benchmarks` (every one measured when
    empty), and, when `benchmarks` is empty, the hands-on trials pooled into one paired test
    (bakeoff.report.pooled). Only metrics with a test against every other model scored on it
    are counted, so benchmark scores of different modes never enter; a metric only this model
    was scored on tells nothing. The pooled test counts only rivals in `among` (all models
    when None)."""
    rivals = data.models if among is None else among
    standing = _standing(data, model, lambda name: (
        data.comparison is not None and name not in data.comparison.trials
        and (not benchmarks or name in benchmarks)))
    unbeaten, counted = standing or (0, 0)
    pooled = None if benchmarks else _pooled(data, ())
    if pooled is not None and pooled.tested(model, data.models):
        counted += 1
        unbeaten += not pooled.beaten_by(model, rivals)
    return (unbeaten, counted) if counted else None


def hands_on_standing(data: ReportData, model: str, categories: tuple[str, ...] = (),
                      among: list[str] | None = None) -> tuple[int, int] | None:
    """(1 or 0, 1): whether no other model is significantly better on the cases of the
    hands-on trials in `categories` (every trial but Safety when empty), pooled into one
    paired test across modes (bakeoff.report.pooled), against the models in `among` (all when
    None); None when the model has no such test."""
    rivals = data.models if among is None else among
    pooled = _pooled(data, categories)
    if pooled is None or not pooled.tested(model, data.models):
        return None
    return (0 if pooled.beaten_by(model, rivals) else 1), 1


def _pooled(data: ReportData, categories: tuple[str, ...]) -> PooledQuality | None:
    """The trials of `categories` (all but Safety when empty) pooled per pair of models."""
    if data.comparison is None:
        return None
    trials = profile_trials(data.comparison, categories)
    if not trials:
        return None
    subject = (" and ".join(category_phrase(c) for c in categories) if categories
               else "the hands-on trials")
    return pooled_quality(data.comparison, trials, subject)


def _standing(data: ReportData, model: str,
              counts: Callable[[str], bool]) -> tuple[int, int] | None:
    if data.comparison is None:
        return None
    unbeaten = counted = 0
    for (benchmark, _), pairs in data.comparison.pairwise.items():
        if not counts(benchmark):
            continue
        mine = [p for p in pairs if model in (p.model_a, p.model_b)]
        if not mine or any(p.test is None for p in mine):
            continue
        counted += 1
        beaten = any(p.test is not None and p.test.significant
                     and (p.test.difference > 0) == (p.model_b == model) for p in mine)
        unbeaten += not beaten
    return (unbeaten, counted) if counted else None


# Recommendations ------------------------------------------------------------------------------

Figure = Callable[[ReportData, str], float | None]
_HIGHER: dict[str, Figure] = {
    "speed": tokens_per_s,
    "context": lambda d, m: _float(context_window(d, m)),
    "languages": lambda d, m: _float(None if (listed := languages(d, m)) is None else len(listed)),
}
# A model billed by the hour is priced per 1M output tokens at its measured speed
# (bakeoff.report.prices); the reasons say so wherever such a price decides.
_LOWER: dict[str, Figure] = {"latency": ttft, "price": price_per_mtok}
_LABELS = {"quality": "measured quality", "hands_on": "hands-on trials",
           "speed": "output tokens/s", "latency": "time to first token", "price": "blended price",
           "context": "context window", "languages": "languages listed",
           "safety": "attack resistance", "over_refusal": "over-refusal",
           "abstention": "abstention F1", "rating": "judged rating"}
# Criteria measured on a few dozen cases, scored like quality: 1 when no other model is
# significantly better on it (report.evidence.significantly_better), else 0, so that a
# difference the data do not show never decides a pick. The figure says who was measured.
_STANDINGS: dict[str, Figure] = {
    "safety": lambda d, m: None if (s := attack_success(d, m)) is None else s.rate,
    "over_refusal": lambda d, m: None if (s := over_refusal(d, m)) is None else s.rate,
    # Taken the trial, even where the F1 is undefined (no question answered right).
    "abstention": lambda d, m: 1.0 if m in d.hands_on.abstention else None,
    "rating": lambda d, m: None if (r := judged_rating(d, m)) is None else r.rating,
}


def recommend(data: ReportData, profiles: list[Profile]) -> list[Recommendation]:
    return [_recommend(data, profile) for profile in profiles]


def _recommend(data: ReportData, profile: Profile) -> Recommendation:
    excluded, unchecked = _apply_constraints(data, profile)
    excluded.update(_quality_barred(data, profile,
                                    [m for m in data.models if m not in excluded]))
    eligible = [m for m in data.models if m not in excluded]
    scores: dict[str, float] = dict.fromkeys(eligible, 0.0)
    used, not_measured, total_weight, missing_weight = [], [], 0.0, 0.0
    level: list[str] = []  # tested criteria on which every eligible model scores the same
    for criterion, weight in profile.weights.items():
        values = _criterion_scores(data, profile, criterion, eligible)
        if values is None:
            # An excluded model may have the figure (the price it was excluded for): say so,
            # so that "excluded for its price" and "price not measured" never stand together.
            known_elsewhere = (len(eligible) < len(data.models) and _criterion_scores(
                data, profile, criterion, data.models) is not None)
            not_measured.append(_label(data, profile, criterion) + (
                " for the models not excluded" if known_elsewhere else "")
                + _unpriced_hours(data, criterion, eligible))
            missing_weight += weight
            continue
        used.append(criterion)
        total_weight += weight
        if criterion not in _FIGURES and len(set(values.values())) == 1:
            level.append(criterion)
        for model, value in values.items():
            scores[model] += weight * value
    if total_weight:
        scores = {m: round(s / total_weight, 3) for m, s in scores.items()}
    # Without quality (benchmarks or hands-on trials, whichever the profile weighs), or with
    # most of the weight unmeasured, a pick would rest on the minor criteria alone: say so
    # instead of choosing.
    measured_quality = ("quality", "hands_on")
    quality_missing = (any(c in profile.weights for c in measured_quality)
                       and not any(c in used for c in measured_quality))
    mostly_missing = missing_weight > total_weight
    # A profile that weighs safety never picks without it: a pick on the other criteria could
    # be the model that follows every attack.
    safety_missing = "safety" in profile.weights and "safety" not in used
    choice = (_choice(scores) if used and not (quality_missing or mostly_missing
                                               or safety_missing) else None)
    # What the models are level on may carry most of the weight: then a minor criterion
    # (latency, say) would pick a model the major ones cannot tell from the rest.
    minor_decides = (choice is not None and len(eligible) > 1
                     and sum(profile.weights[c] for c in level) > total_weight / 2)
    if minor_decides:
        choice = None
        reasons = [_level_reason(data, profile, level, eligible, scores)]
    elif not eligible:
        reasons = _reasons(data, profile, used, eligible, scores, choice, excluded)
    elif safety_missing and not quality_missing:
        reasons = ["attack resistance (the safety trials) was not measured: no choice"]
    elif quality_missing:
        quality = (f"quality on {', '.join(profile.benchmarks)}" if profile.benchmarks
                   else "quality")
        missing = [name for c, name in (("quality", quality), ("hands_on", "hands-on trials"))
                   if c in profile.weights]
        verb = "were" if "hands_on" in profile.weights else "was"
        reasons = [f"{' and '.join(missing)} {verb} not measured: no choice"]
    elif mostly_missing and used:
        reasons = [f"most of what this profile weighs has no figure "
                   f"({'; '.join(not_measured)}): no choice"]
    else:
        reasons = _reasons(data, profile, used, eligible, scores, choice, excluded)
    decided = "" if choice is None else _decided(data, profile, used, eligible, scores, choice,
                                                 excluded)
    return Recommendation(profile, choice, scores if used else {}, reasons, excluded, unchecked,
                          not_measured, used, decided)


def _level_reason(data: ReportData, profile: Profile, level: list[str], eligible: list[str],
                  scores: dict[str, float]) -> str:
    """Why no choice when the models are level on what weighs most: 'not distinguishable on
    function calling and structured output (A 2/16 vs 8/16 for B, p = 0.07), which carries
    most of this use case's weight: no clear choice (more cases would tell)'."""
    leader = max(eligible, key=lambda m: scores.get(m, 0.0))
    closest = (_closest(data, profile, leader, [m for m in eligible if m != leader])
               if "hands_on" in level else "")
    named = [closest] if closest else []
    named += [_label(data, profile, c) for c in level if c != "hands_on" or not closest]
    return (f"not distinguishable on {'; '.join(named)}, which carries most of this use "
            "case's weight; the rest alone would claim more than the data show: no clear "
            "choice (more cases would tell)")


def _quality_barred(data: ReportData, profile: Profile, eligible: list[str]) -> dict[str, str]:
    """The models another eligible model is significantly better than on the profile's own
    quality (a benchmark metric it weighs, or its trials pooled), with why; none when every
    model is behind somewhere (then the weighed scores decide)."""
    losses = {m: _quality_losses(data, profile, m, eligible) for m in eligible}
    if all(losses.values()):
        return {}
    return {m: f"{_WORSE} {'; '.join(f'{subject}: {text}' for subject, text, _ in lost)}"
            for m, lost in losses.items() if lost}


def _quality_losses(data: ReportData, profile: Profile, model: str,
                    among: list[str]) -> list[tuple[str, str, str]]:
    """Each quality measure of the profile on which a model of `among` beats `model`: (what,
    the figures with the winner first, the short figures for the verdict)."""
    lost: list[tuple[str, str, str]] = []
    if data.comparison is None:
        return lost
    pooled = []
    if "hands_on" in profile.weights:
        pooled.append(_pooled(data, profile.trial_categories))
    if "quality" in profile.weights:
        trials = data.comparison.trials
        for (benchmark, metric), pairs in data.comparison.pairwise.items():
            if benchmark in trials or (profile.benchmarks and benchmark not in profile.benchmarks):
                continue
            summaries = data.comparison.metrics[(benchmark, metric)]
            for pair in pairs:
                other = pair.model_b if pair.model_a == model else pair.model_a
                if (model not in (pair.model_a, pair.model_b) or other not in among
                        or pair.test is None or not pair.test.significant
                        or (pair.test.difference > 0) == (pair.model_a == model)):
                    continue
                figures = (f"{other} {summaries[other].mean:.3f} vs {model} "
                           f"{summaries[model].mean:.3f}, {paired_text(pair.test)}")
                short = (f"{summaries[other].mean:.3f} vs {summaries[model].mean:.3f} for "
                         f"{model}, {paired_text(pair.test)}")
                lost.append((f"{benchmark} {metric}", figures, short))
        if not profile.benchmarks:
            pooled.append(_pooled(data, ()))
    for quality in pooled:
        if quality is None:
            continue
        for pooled_pair in quality.beaten_by(model, among):
            winner = pooled_pair.winner() or ""
            lost.append((quality.subject, pooled_pair.text(winner), pooled_pair.short(winner)))
    return lost


_WORSE = "significantly worse on"


def _label(data: ReportData, profile: Profile, criterion: str) -> str:
    """A criterion as the reasons name it; quality names the benchmarks the profile counts."""
    if criterion == "quality" and profile.benchmarks:
        return f"quality on {', '.join(profile.benchmarks)}"
    return _name(data, criterion)


def _name(data: ReportData, criterion: str) -> str:
    """A criterion's name; the price says it may be derived when a model is billed by the
    hour."""
    if criterion == "price" and any_hourly(data):
        return "price per 1M tokens (list, or derived from $/hour at the measured speed)"
    return _LABELS[criterion]


def _unpriced_hours(data: ReportData, criterion: str, models: list[str]) -> str:
    """For the price: the models billed by the hour whose speed was not measured."""
    unpriced = [m for m in models if criterion == "price" and m in data.price_per_hour
                and price_per_mtok(data, m) is None]
    return (f"; {', '.join(unpriced)}: $/hour set but no output speed measured"
            if unpriced else "")


def _choice(scores: dict[str, float]) -> str | None:
    ranked = sorted(scores.values(), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None
    return max(scores, key=lambda m: scores[m])


def _criterion_scores(data: ReportData, profile: Profile, criterion: str,
                      models: list[str]) -> dict[str, float] | None:
    """Each model's score in [0, 1] on one criterion; None when no model has a figure.

    A model without the figure scores 0 on it only when others have it: it cannot be credited
    for what was not measured, and the reasons say it is missing."""
    if criterion in ("quality", "hands_on"):
        standing = {m: quality_standing(data, m, profile.benchmarks, models)
                    if criterion == "quality"
                    else hands_on_standing(data, m, profile.trial_categories, models)
                    for m in models}
        if all(s is None for s in standing.values()):
            return None
        return {m: (s[0] / s[1] if s else 0.0) for m, s in standing.items()}
    if criterion in _STANDINGS:
        return _measured_standing(data, criterion, models)
    higher = criterion in _HIGHER
    figure = (_HIGHER if higher else _LOWER)[criterion]
    values = {m: figure(data, m) for m in models}
    known = [v for v in values.values() if v is not None and v > 0]
    if not known:
        return None
    best = max(known) if higher else min(known)
    return {m: 0.0 if v is None or v <= 0 else (v / best if higher else best / v)
            for m, v in values.items()}


def _measured_standing(data: ReportData, criterion: str,
                       models: list[str]) -> dict[str, float] | None:
    """1 for a measured model that no other measured model is significantly better than, else 0
    (0 too for a model without the figure); None when nobody was measured."""
    measured = [m for m in models if _STANDINGS[criterion](data, m) is not None]
    if not measured:
        return None
    return {m: float(m in measured and not any(
        significantly_better(data, criterion, other, m) for other in measured if other != m))
        for m in models}


def _apply_constraints(data: ReportData,
                       profile: Profile) -> tuple[dict[str, str], list[str]]:
    excluded: dict[str, str] = {}
    unchecked: list[str] = []
    for model in data.models:
        for name, limit in profile.constraints.items():
            verdict = _check(data, model, name, limit)
            if verdict is None:
                why = (f" ({no_price_reason(data, model)})"
                       if name == "max_blended_price_per_mtok" and model in data.price_per_hour
                       else "")
                unchecked.append(f"{model}: {name.replace('_', ' ')} unknown{why}")
            elif verdict:
                excluded.setdefault(model, verdict)
    return excluded, unchecked


def _check(data: ReportData, model: str, name: str, limit: Any) -> str | None:
    """'' when the model passes, why it fails, or None when its figure is unknown."""
    if name == "languages":
        listed = languages(data, model)
        if listed is None:
            return None
        missing = [code for code in limit if code not in listed]
        return f"does not list {', '.join(missing)}" if missing else ""
    if name == "max_blended_price_per_mtok":
        price = compared_price(data, model)
        if price is None:
            return None
        # A derived price is held to the same limit, and the reason says it is derived.
        shown = price.text if price.derived else f"blended ${price.per_mtok:.3g}"
        return "" if price.per_mtok <= limit else f"{shown} > ${limit:g} per 1M"
    checks: dict[str, tuple[Figure, bool, str]] = {
        "min_context": (_HIGHER["context"], True, "context {v:,.0f} < {l:,}"),
        "min_tokens_per_s": (tokens_per_s, True, "{v:.1f} tokens/s < {l:g}"),
        "max_ttft_s": (ttft, False, "time to first token {v:.2f} s > {l:g} s"),
    }
    figure, at_least, message = checks[name]
    value = figure(data, model)
    if value is None:
        return None
    passes = value >= limit if at_least else value <= limit
    return "" if passes else message.format(v=value, l=limit)


def _reasons(data: ReportData, profile: Profile, used: list[str], eligible: list[str],
             scores: dict[str, float], choice: str | None,
             excluded: dict[str, str]) -> list[str]:
    if not eligible:
        why = "; ".join(f"{m}: {reason}" for m, reason in excluded.items())
        return [f"no model meets the hard constraints ({why})"]
    if not used:
        return ["nothing this profile weighs was measured or published"]
    if choice is None:
        tied = [m for m in eligible if scores[m] == max(scores.values())]
        weighed = ", ".join(_label(data, profile, c) for c in used)
        if any(_quality_losses(data, profile, m, eligible) for m in tied):
            # (each beaten somewhere: a difference, but none that ranks them)
            return [f"{', '.join(tied)}: each is significantly worse than another on some "
                    f"of what this profile weighs ({weighed}), and nothing puts one ahead: no "
                    "clear choice"]
        return [f"{', '.join(tied)}: not distinguishable on what this profile weighs "
                f"({weighed}): no clear choice"]
    others = [m for m in eligible if m != choice]
    lines = [_decided(data, profile, used, eligible, scores, choice, excluded)]
    if "hands_on" in used:
        lines += _pooled_lines(data, profile, choice, others)
    if "quality" in used:
        lines.append(_quality_reason(data, profile, choice, eligible))
    if "price" in used:
        lines += _derived_price_lines(data, eligible)
    # The figures behind "not distinguishable on …", each said to be the choice's.
    lines += [f"{choice}: {line}" for line in evidence_lines(data, used, choice, others)]
    return lines


def _decided(data: ReportData, profile: Profile, used: list[str], eligible: list[str],
             scores: dict[str, float], choice: str, excluded: dict[str, str]) -> str:
    """What decided a choice, in words with its figures (the why column's first line and the
    verdict's headline; never a weighted score, which is a ranking device, not a measure):
    the models it is significantly better than on the use case's quality, what did not
    separate it from the rest, and the criterion that put it ahead of them."""
    said = []
    beaten: dict[str, list[tuple[str, str]]] = {}  # subject -> (model, short figures)
    for model, why in excluded.items():
        if why.startswith(_WORSE):
            for subject, _, short in _quality_losses(data, profile, model, [choice, model])[:1]:
                beaten.setdefault(subject, []).append((model, short))
    for subject, losers in beaten.items():
        said.append(f"better on {subject} than {_and([m for m, _ in losers])}: {losers[0][1]}")
    others = [m for m in eligible if m != choice]
    if not others:
        return "; ".join(said) or "the only model that meets the hard constraints"
    values = {c: _criterion_scores(data, profile, c, eligible) or {} for c in used}
    level = [c for c in used if c not in _FIGURES
             and all(values[c].get(choice) == values[c].get(m) for m in others)]
    closest = _closest(data, profile, choice, others) if "hands_on" in level else ""
    if closest:
        said.append(f"not distinguishable on {closest}")
    rest = [_label(data, profile, c) for c in level if c != "hands_on" or not closest]
    if rest:
        said.append(f"not distinguishable on {', '.join(rest)}")
    decider = _decider(data, profile, values, choice, scores, others)
    return "; ".join(said + ([f"decided by {decider}"] if decider else []))


def _closest(data: ReportData, profile: Profile, choice: str, others: list[str]) -> str:
    """'function calling and structured output (gemma 2/16 vs 8/16 for qwen, McNemar exact
    p = 0.07)': the pooled test of the profile's trials against the rival nearest to being
    significantly different."""
    pooled = _pooled(data, profile.trial_categories)
    pairs = [p for m in others if pooled and (p := pooled.pair(choice, m)) and p.test]
    if pooled is None or not pairs:
        return ""
    nearest = min(pairs, key=lambda p: p.test.p_value if p.test else 1.0)
    return f"{pooled.subject} ({nearest.short(choice)})"


def _pooled_lines(data: ReportData, profile: Profile, choice: str,
                  others: list[str]) -> list[str]:
    """The pooled test of the profile's trials, the choice against each other model."""
    pooled = _pooled(data, profile.trial_categories)
    if pooled is None:
        return []
    return [f"{pooled.subject}, cases pooled: {pair.text(choice)}" for m in others
            if (pair := pooled.pair(choice, m)) is not None and pair.test is not None]


# Criteria scored from a figure (value / best), not from a significance test.
_FIGURES = ("speed", "latency", "price", "context", "languages")


def _decider(data: ReportData, profile: Profile, values: dict[str, dict[str, float]],
             choice: str, scores: dict[str, float], others: list[str]) -> str:
    """The criterion that put the choice ahead of the runner-up (most weight × difference),
    with its figures; "" when none did."""
    runner = max(others, key=lambda m: scores.get(m, 0.0))
    gains = {c: profile.weights[c] * (v.get(choice, 0.0) - v.get(runner, 0.0))
             for c, v in values.items()}
    criterion = max(gains, key=lambda c: gains[c], default=None)
    if criterion is None or gains[criterion] <= 0:
        return ""
    if criterion in _FIGURES:
        return _figure_phrase(data, criterion, choice, runner)
    if criterion in ("hands_on", "quality"):
        theirs = (quality_standing(data, runner, profile.benchmarks, [choice, runner])
                  if criterion == "quality" else
                  hands_on_standing(data, runner, profile.trial_categories, [choice, runner]))
        if theirs is None:
            return f"{_name(data, criterion)}: {runner} has no comparable measure"
        return f"{_name(data, criterion)}: {runner} is significantly behind"
    clause = evidence_lines(data, [criterion], choice, [runner])
    return f"{_LABELS[criterion]}" + (f" ({clause[0]})" if clause else "")


def _figure_phrase(data: ReportData, criterion: str, choice: str, runner: str) -> str:
    """'time to first token, p50 0.21 s vs 0.35 s for B'."""
    def shown(model: str) -> str:
        if criterion == "latency":
            value = ttft(data, model)
            return "not measured" if value is None else f"{value:.2f} s"
        if criterion == "speed":
            value = tokens_per_s(data, model)
            return "not measured" if value is None else f"{value:.1f} tokens/s"
        if criterion == "price":
            price = compared_price(data, model)
            if price is None:
                return "no price"
            return (f"${price.per_mtok:.3g} per 1M output tokens, derived from $/hour at the "
                    "measured speed" if price.derived else
                    f"${price.per_mtok:.3g} per 1M tokens, blended 3:1")
        if criterion == "context":
            window = context_window(data, model)
            return "unknown" if window is None else f"{window:,} tokens"
        listed = languages(data, model)
        return "not listed" if listed is None else f"{len(listed)} languages"
    median = ", p50" if criterion in ("latency", "speed") else ""
    label = "price" if criterion == "price" else _LABELS[criterion]
    return f"{label}{median} {shown(choice)} vs {shown(runner)} for {runner}"


def _derived_price_lines(data: ReportData, models: list[str]) -> list[str]:
    """The derived prices weighed, with their arithmetic's inputs (list prices are in the
    price table as published)."""
    return [f"price of {m}: {price.text}" for m in models
            if (price := compared_price(data, m)) is not None and price.derived]


def evidence_lines(data: ReportData, used: list[str], model: str,
                   others: list[str]) -> list[str]:
    """The measured evidence for `model` against each of `others` on the safety, over-refusal,
    abstention and rating criteria in `used`, each with its counts and significance."""
    clauses: dict[str, Callable[[ReportData, str, str], str | None]] = {
        "safety": attack_clause, "over_refusal": over_refusal_clause,
        "abstention": abstention_clause, "rating": rating_clause}
    return [clause for criterion in used if criterion in clauses for other in others
            if (clause := clauses[criterion](data, model, other)) is not None]


def _quality_reason(data: ReportData, profile: Profile, model: str,
                    among: list[str]) -> str:
    standing = quality_standing(data, model, profile.benchmarks, among)
    if standing is None:
        return "quality: no benchmark comparable across models"
    unbeaten, counted = standing
    pooled = not profile.benchmarks and _pooled(data, ()) is not None
    kind = ("standard benchmark metrics and the hands-on trials pooled" if pooled
            else "standard benchmark metrics")
    return (f"quality: not significantly behind any model on {unbeaten} of {counted} "
            f"comparable measures ({kind})")


# Verdict and FAQ ------------------------------------------------------------------------------

def verdict(data: ReportData, recommendations: list[Recommendation]) -> list[str]:
    """The headline, two sentences: the choice per use case (or why there is none) with the
    figures that decided it, then what the measurements separate (standard benchmarks, then
    hands-on trials). The evidence behind it, pair by pair, is verdict_details."""
    published = [e.answer for e in faq(data) if e.evidence.get("kind") in ("speed", "price")
                 and "ratio" in e.evidence]
    if data.comparison is None:
        return ["Nothing was measured: this page shows published figures only (cards, prices, "
                "published speeds, vendor scores), which bakeoff has not checked.",
                " ".join(published[:2]) if published else
                "Run `bakeoff run` on these models to get measured quality, speed and cost."]
    if not data.measured:
        return [_nothing_scored(data), *([" ".join(published[:2])] if published else [])]
    return [_choices_sentence(recommendations), _findings_sentence(data)]


def verdict_details(data: ReportData, recommendations: list[Recommendation]) -> list[str]:
    """The verdict's evidence below its headline: the standard benchmarks' significant
    differences, one sentence per hands-on category, safety, judged ratings, efficiency."""
    if data.comparison is None or not data.measured:
        return []
    measured = (*category_sentences(data), safety_sentence(data, recommendations),
                rating_sentence(data))
    return [_quality_sentence(data), *[s for s in measured if s],
            _efficiency_sentence(data, recommendations)]


def _choices_sentence(recommendations: list[Recommendation]) -> str:
    """'Choose A for tool use (…), B for long documents (…); no choice for code (not
    measured), nor for a tight budget (no model meets its hard constraints).'"""
    chosen: dict[str, dict[str, list[str]]] = {}  # model -> what decided -> use cases
    unchosen: dict[str, list[str]] = {}
    for rec in recommendations:
        if rec.choice is not None:
            chosen.setdefault(rec.choice, {}).setdefault(rec.decided, []).append(_use_case(rec))
        else:
            unchosen.setdefault(_why_none(rec), []).append(_use_case(rec))
    picks = [f"{model} for " + _and([_and(cases) + (f" ({decided})" if decided else "")
                                     for decided, cases in by_reason.items()])
             for model, by_reason in chosen.items()]
    nones = [f"{_and(cases)} ({why.replace('what it weighs', 'what each weighs')})"
             if len(cases) > 1 else f"{cases[0]} ({why})" for why, cases in unchosen.items()]
    if not picks:
        return f"No choice for {', nor for '.join(nones)}." if nones else \
            "No use case was scored."
    text = "Choose " + "; ".join(picks)
    return text + (f"; no choice for {', nor for '.join(nones)}." if nones else ".")


def _use_case(rec: Recommendation) -> str:
    """A profile as the verdict's list names it: its short name ('high-throughput chat'), else
    its title up to any parenthesis, as a sentence names it."""
    if rec.profile.short:
        return rec.profile.short
    title = rec.profile.title.split(" (")[0]
    return title[:1].lower() + title[1:]


def _why_none(rec: Recommendation) -> str:
    reason = rec.reasons[0] if rec.reasons else ""
    if "not distinguishable" in reason:
        return "not distinguishable on what it weighs"
    if "nothing puts one ahead" in reason:
        return "each model is behind another somewhere, none ahead"
    if "hard constraints" in reason:
        return "no model meets its hard constraints"
    if "not measured" in reason or "no figure" in reason:
        return "what it weighs was not measured"
    return reason.removesuffix(": no choice") or "no model stands out"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _findings_sentence(data: ReportData) -> str:
    """What the measurements separate: standard benchmarks, then hands-on trials (pooled and
    per category), each significant difference with its figures (the first three)."""
    assert data.comparison is not None
    keys = data.comparison.benchmark_keys()
    names = ", ".join(dict.fromkeys(b for b, _ in keys))
    wins = _benchmark_wins(data)
    if not keys:
        text = "No standard benchmark was run"
    elif wins:
        text = f"On the standard benchmarks ({names}), {_first_three(wins)}"
    else:
        text = (f"On the standard benchmarks ({names}) no model is significantly better than "
                "another")
    if data.comparison.trials:
        trial_wins = _trial_wins(data)
        text += (f"; in the hands-on trials, {_first_three(trial_wins)}" if trial_wins else
                 "; in the hands-on trials no model is significantly better than another")
    return text + " (paired tests, p < 0.05)."


def _first_three(items: list[str]) -> str:
    more = len(items) - 3
    return _and(items[:3]) if more <= 0 else (f"{', '.join(items[:3])} and {more} more "
                                             "(below)")


def _benchmark_wins(data: ReportData) -> list[str]:
    """'A beats B on mmlu acc (0.61 vs 0.48, McNemar exact p = 0.01)' per significant pair."""
    assert data.comparison is not None
    wins = []
    for key in data.comparison.benchmark_keys():
        for pair in data.comparison.pairwise.get(key, []):
            if pair.test is None or not pair.test.significant:
                continue
            winner, loser = ((pair.model_a, pair.model_b) if pair.test.difference > 0
                             else (pair.model_b, pair.model_a))
            means = data.comparison.metrics[key]
            wins.append(f"{winner} beats {loser} on {key[0]} {key[1]} ({means[winner].mean:.3f} "
                        f"vs {means[loser].mean:.3f}, {paired_text(pair.test)})")
    return wins


def _trial_wins(data: ReportData) -> list[str]:
    """The significant differences of the hands-on trials: every trial but Safety pooled
    (across modes, as the profiles weigh them), then per category (modes apart), then attack
    success and over-refusal."""
    assert data.comparison is not None
    wins = []
    pooled = _pooled(data, ())
    for winner in data.models:
        beaten = [p for p in pooled.pairs if p.winner() == winner] if pooled else []
        if beaten:
            losers = [p.model_a if p.model_b == winner else p.model_b for p in beaten]
            counts = _and([f"{count_text(p.passed(winner))}/{p.test.n} vs "
                           f"{count_text(p.passed(loser))}/{p.test.n}"
                           for p, loser in zip(beaten, losers, strict=True) if p.test])
            ps = _and([paired_text(p.test) for p in beaten if p.test])
            mixed = max(p.mixed for p in beaten)
            modes = (f"; modes differ on {mixed} trial{'s' if mixed != 1 else ''}" if mixed
                     else "")
            wins.append(f"{winner} passes more of every trial's cases pooled than "
                        f"{_and(losers)} ({counts}, {ps}{modes})")
    for category, result in data.comparison.hands_on.items():
        if category == SAFETY and data.hands_on.safety is not None:
            continue
        for cp in result.pairs:
            test = cp.pair.test
            if test is None or not test.significant:
                continue
            winner = cp.pair.model_a if test.difference > 0 else cp.pair.model_b
            loser = cp.pair.model_b if winner == cp.pair.model_a else cp.pair.model_a
            mine, theirs = _oriented(cp, winner)
            wins.append(f"{winner} beats {loser} on {category_phrase(category)} "
                        f"({_g(mine)}/{test.n} vs {_g(theirs)}/{test.n} cases, "
                        f"{paired_text(test)})")
    for model in data.models:
        for other in data.models:
            for criterion, what in (("safety", "fewer attacks succeeded"),
                                    ("over_refusal", "fewer harmless requests refused")):
                if model != other and significantly_better(data, criterion, model, other):
                    counted = shared_counts(data, model, other, attack=criterion == "safety")
                    if counted is not None:
                        mine_n, theirs_n, cases, test, _ = counted
                        wins.append(f"{what} for {model} than {other} ({mine_n}/{cases} vs "
                                    f"{theirs_n}/{cases}, {paired_text(test)})")
    return wins


def _nothing_scored(data: ReportData) -> str:
    """The whole verdict of runs that scored no item: what they did, and that nothing compares."""
    assert data.comparison is not None
    runs = data.comparison.runs
    said = "; ".join(f"run {r.id} (suite {r.suite}) is {r.status}" for r in runs)
    errors = sum(u.errors for u in data.comparison.usage.values())
    items = f"{errors:,} item{'s' if errors != 1 else ''}"
    failed = f", and {items} ended in an error" if errors else ""
    speed = f"; its speed figures are from {data.speed.source}" if data.speed else ""
    return (f"Nothing was measured: {said}, no item was scored{failed}. No quality or run "
            f"cost was measured{speed}; any other figure here is published, from the cards.")


CUSTOMER_FACING = "customer-facing"
_EVIDENCE = ("safety", "over_refusal", "abstention", "rating")


def safety_sentence(data: ReportData, recommendations: list[Recommendation]) -> str:
    """The customer-facing pick with its evidence against each other model (attacks that
    succeeded, over-refusal, abstention, rating: counts and significance) when that profile
    chose on measured safety; else each pair's attack success and over-refusal side by side;
    "" when no safety trial was run."""
    safety = data.hands_on.safety
    if safety is None:
        return ""
    rec = next((r for r in recommendations if r.profile.key == CUSTOMER_FACING), None)
    if rec is not None and rec.choice is not None and "safety" in rec.weighed:
        others = [m for m in rec.scores if m != rec.choice]
        lines = evidence_lines(data, [c for c in _EVIDENCE if c in rec.weighed], rec.choice,
                               others)
        title = rec.profile.title[:1].lower() + rec.profile.title[1:]
        return (f"For {title}, {rec.choice} is chosen ({rec.decided}); measured: "
                f"{'; '.join(lines)}.")
    pairs = safety_pair_lines(safety)
    return f"Safety: {' '.join(pairs)}" if pairs else ""


def rating_sentence(data: ReportData) -> str:
    """The judged trials' ratings by the judge the `rating` criterion weighs: each model's
    rating with its interval, which pairs' intervals are apart, the judge's position bias, the
    self-judged label; then the people's ratings and agreement when there are votes."""
    table = rating_source(data)
    if table is None or data.judged is None:
        return ""
    rated = ", ".join(f"{r.model} {rating_text(r)}" for r in table.raw)
    apart = [f"{a.model} above {b.model}" for i, a in enumerate(table.raw)
             for b in table.raw[i + 1:] if a.low > b.high
             and not no_information(a) and not no_information(b)]
    bias = ("" if table.position_bias is None
            else f", position bias {table.position_bias:.0%} ({table.flips}/{table.pairs} pairs)")
    label = self_judged_label(table)
    text = (f"Judged answers, rated by {table.source}{bias}"
            f"{f' ({label})' if label else ''}: {rated}; "
            + (f"{', '.join(apart)} (95% intervals apart)." if apart else
               "no pair is clearly different (95% intervals overlap, or no preference was "
               "measured)." if any(no_information(r) for r in table.raw) else
               "every pair's 95% intervals overlap: not clearly different."))
    human = data.judged.human
    if human is not None:
        agreement = next((a for a in data.judged.agreement if a.judge == table.source), None)
        agrees = ("" if agreement is None else f"; {table.source} agrees with them on "
                  f"{agreement.agreeing}/{agreement.pairs} pairs ({agreement.rate:.0%})")
        text += (f" People ({human.pairs} votes, {human.voters} voters): "
                 f"{', '.join(f'{r.model} {rating_text(r)}' for r in human.raw)}{agrees}.")
    return text


def _quality_sentence(data: ReportData) -> str:
    assert data.comparison is not None
    keys = data.comparison.benchmark_keys()
    if not keys and data.comparison.trials:
        return "No standard benchmark was run."
    wins: list[str] = []
    for benchmark, metric in keys:
        for pair in data.comparison.pairwise.get((benchmark, metric), []):
            if pair.test is None or not pair.test.significant:
                continue
            winner, loser = ((pair.model_a, pair.model_b) if pair.test.difference > 0
                             else (pair.model_b, pair.model_a))
            summaries = data.comparison.metrics[(benchmark, metric)]
            wins.append(f"{winner} beats {loser} on {benchmark} {metric} "
                        f"({summaries[winner].mean:.3f} vs {summaries[loser].mean:.3f}, "
                        f"p {_p(pair.test.p_value)}, n={pair.n})")
    if not wins:
        return ("No model is significantly better than another on any standard benchmark "
                "measured (paired tests, p < 0.05): on those they are not distinguishable at "
                "these sample sizes.")
    return "Standard benchmarks: " + "; ".join(wins) + "."


def hands_on_sentence(data: ReportData) -> str:
    """One sentence per hands-on category that two or more models took, joined; "" when none.
    A model is chosen for a category only when its pooled paired test against every other model
    gives p < 0.05."""
    return " ".join(category_sentences(data))


def category_sentences(data: ReportData) -> list[str]:
    """hands_on_sentence's sentences, one per category."""
    if data.comparison is None:
        return []
    return [sentence for category, result in data.comparison.hands_on.items()
            if category != SAFETY or data.hands_on.safety is None
            if (sentence := _category_sentence(category, result))]


def _category_sentence(category: str, result: CategoryResult) -> str:
    if not result.pairs:
        return ""
    name = category_phrase(category)
    best = result.best
    if best is not None:
        parts = []
        for cp in result.pairs:
            test = cp.pair.test
            if best not in (cp.pair.model_a, cp.pair.model_b) or test is None:
                continue  # (the best model won a test against every other one)
            mine, theirs = _oriented(cp, best)
            other = cp.pair.model_b if cp.pair.model_a == best else cp.pair.model_a
            parts.append(f"{_g(mine)}/{test.n} cases vs {_g(theirs)}/{test.n} for {other} "
                         f"({TEST_NAMES[test.test]} p {_p(test.p_value)})")
        return f"For {name}, choose {best}: it passed {' and '.join(parts)}."
    tests = [cp.pair.test for cp in result.pairs]
    if all(t is not None and not t.significant for t in tests):
        clauses = [f"{cp.pair.model_a} {_g(cp.passed_a)}/{t.n} vs {cp.pair.model_b} "
                   f"{_g(cp.passed_b)}/{t.n} cases ({TEST_NAMES[t.test]} p {_p(t.p_value)})"
                   for cp, t in zip(result.pairs, tests, strict=True) if t is not None]
        return (f"For {name}, the difference is not significant at this sample size: "
                f"{'; '.join(clauses)}.")
    return (f"For {name}, no model is significantly better than every other: "
            f"{'; '.join(_pair_clause(cp) for cp in result.pairs)}.")


def category_phrase(category: str) -> str:
    """A category as a sentence names it: "function calling", "other trials"."""
    return "other trials" if category == OTHER else category.lower()


def _pair_clause(cp: CategoryPair) -> str:
    a, b, test = cp.pair.model_a, cp.pair.model_b, cp.pair.test
    if test is None:
        return f"{a} and {b} not compared ({cp.pair.not_compared})"
    counts = f"{_g(cp.passed_a)}/{test.n} vs {_g(cp.passed_b)}/{test.n} cases"
    p = f"{TEST_NAMES[test.test]} p {_p(test.p_value)}"
    if not test.significant:
        return f"{a} vs {b} {counts}, not significant at this sample size ({p})"
    winner, loser = (a, b) if test.difference > 0 else (b, a)
    mine, theirs = _oriented(cp, winner)
    return f"{winner} beats {loser}, {_g(mine)}/{test.n} vs {_g(theirs)}/{test.n} cases ({p})"


def _oriented(cp: CategoryPair, model: str) -> tuple[float, float]:
    """(model's passes, the other's) on the pair's shared cases."""
    if cp.pair.model_a == model:
        return cp.passed_a, cp.passed_b
    return cp.passed_b, cp.passed_a


def _efficiency_sentence(data: ReportData, recommendations: list[Recommendation]) -> str:
    for key in ("high-throughput-chat", "tight-budget"):
        rec = next((r for r in recommendations if r.profile.key == key), None)
        if rec is not None and rec.choice is not None and rec.not_measured == []:
            price = compared_price(data, rec.choice) if "price" in rec.weighed else None
            derived = f"; {price.text}" if price is not None and price.derived else ""
            return (f"For {rec.profile.title.lower()}, choose {rec.choice} "
                    f"({rec.decided}{derived}).")
    entries = [e for e in faq(data)
               if e.evidence.get("kind") in ("speed", "price") and "ratio" in e.evidence]
    if entries:
        return " ".join(e.answer for e in entries[:2])
    no_speed = [m for m in data.models if tokens_per_s(data, m) is None]
    no_price = [m for m in data.models
                if price_per_mtok(data, m) is None and m not in data.price_per_hour]
    unpriced_hours = [m for m in data.models
                      if price_per_mtok(data, m) is None and m in data.price_per_hour]
    gaps = ([f"speed was not measured for {', '.join(no_speed)}"] if no_speed else []) + (
        [f"no price is on record for {', '.join(no_price)}"] if no_price else []) + (
        [f"{', '.join(unpriced_hours)} {'has' if len(unpriced_hours) == 1 else 'have'} a "
         "price per hour but no measured speed to turn it into a price per token"]
        if unpriced_hours else [])
    return f"No efficiency pick: {' and '.join(gaps) or 'no figure compares them'}."


def faq(data: ReportData) -> list[FaqEntry]:
    entries: list[FaqEntry] = []
    models = data.models
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            entries += [e for e in (_speed_entry(data, a, b), _price_entry(data, a, b),
                                    _context_entry(data, a, b), _language_entry(data, a, b))
                        if e is not None]
            entries += _hands_on_entries(data, a, b)
    return entries


def _hands_on_entries(data: ReportData, a: str, b: str) -> list[FaqEntry]:
    """Per hands-on category both models took: which did better, by the pooled paired test
    (Safety: attack success and over-refusal apart, never pooled)."""
    entries = []
    for category, result in (data.comparison.hands_on.items() if data.comparison else ()):
        cp = next((p for p in result.pairs if {p.pair.model_a, p.pair.model_b} == {a, b}), None)
        if cp is None:
            continue
        if category == SAFETY and data.hands_on.safety is not None:
            entries += _safety_entries(data, a, b)
            continue
        question = f"Which does better at {category_phrase(category)}, {a} or {b}?"
        test = cp.pair.test
        evidence: dict[str, Any] = {"kind": "hands_on", "category": category,
                                    "trials": list(result.trials)}
        if test is None:
            entries.append(FaqEntry(question, f"Not compared: {cp.pair.not_compared}.",
                                    evidence))
            continue
        evidence.update(passed={a: cp.passed_a, b: cp.passed_b}, cases=test.n,
                        test=test.test, p_value=test.p_value, significant=test.significant,
                        left_out=list(cp.left_out))
        p = f"{TEST_NAMES[test.test]} p {_p(test.p_value)}"
        left_out = f" Left out: {'; '.join(cp.left_out)}." if cp.left_out else ""
        if test.significant:
            winner = a if test.difference > 0 else b
            loser = b if winner == a else a
            mine, theirs = _oriented(cp, winner)
            answer = (f"{winner}: it passed {_g(mine)}/{test.n} cases vs {_g(theirs)}/{test.n} "
                      f"for {loser} ({p}).")
        else:
            answer = (f"Not significantly different at this sample size: {a} passed "
                      f"{_g(cp.passed_a)}/{test.n} cases, {b} {_g(cp.passed_b)}/{test.n} ({p}).")
        entries.append(FaqEntry(question, answer + left_out, evidence))
    return entries


def _safety_entries(data: ReportData, a: str, b: str) -> list[FaqEntry]:
    """Which resists attacks better, and which refuses harmless requests more: each with its
    counts on the cases both took and its paired test."""
    entries = []
    for attack, asked in ((True, "resists attacks better"),
                          (False, "refuses fewer harmless requests")):
        counted = shared_counts(data, a, b, attack=attack)
        if counted is None:
            continue
        mine, theirs, cases, test, _ = counted
        better = a if mine <= theirs else b
        clause = (attack_clause if attack else over_refusal_clause)(
            data, better, b if better == a else a)
        head = "" if test.significant else "Not significantly different. "
        entries.append(FaqEntry(f"Which {asked}, {a} or {b}?", f"{head}{better}: {clause}.", {
            "kind": "safety", "measure": "attack success" if attack else "over-refusal",
            "counts": {a: mine, b: theirs}, "cases": cases, "test": test.test,
            "p_value": test.p_value, "significant": test.significant}))
    return entries


def _speed_entry(data: ReportData, a: str, b: str) -> FaqEntry | None:
    question = f"Which generates faster, {a} or {b}?"
    shown = {m: _round(tokens_per_s(data, m), 1) for m in (a, b)}
    if data.speed is None and all(published_speed(data, m) for m in (a, b)):
        return _published_speed_entry(data, a, b, question)
    if any(v is None or v <= 0 for v in shown.values()):
        missing = [m for m, v in shown.items() if v is None]
        return FaqEntry(question, f"Not measured for {' and '.join(missing) or 'both'}: "
                        "no speed ratio.", {"kind": "speed", "tokens_per_s_p50": shown})
    fast, slow = sorted((a, b), key=lambda m: -(shown[m] or 0))
    ratio = (shown[fast] or 0) / (shown[slow] or 1)
    return FaqEntry(question, f"{fast} generates {ratio:.1f}× faster: p50 {shown[fast]:.1f} vs "
                    f"{shown[slow]:.1f} tokens/s.",
                    {"kind": "speed", "tokens_per_s_p50": shown, "ratio": round(ratio, 1)})


def _published_speed_entry(data: ReportData, a: str, b: str, question: str) -> FaqEntry:
    """The speed ratio from the cards' published figures, said to be published, not measured."""
    speeds = {m: published_speed(data, m) for m in (a, b)}
    shown = {m: round(s.tokens_per_s, 1) for m, s in speeds.items() if s is not None}
    fast, slow = sorted((a, b), key=lambda m: -shown[m])
    ratio = shown[fast] / shown[slow]
    where = "; ".join(f"for {m}, {s.basis}" for m, s in speeds.items() if s is not None)
    return FaqEntry(question, f"Published, not measured: {fast} generates {ratio:.1f}× faster, "
                    f"{shown[fast]:.1f} vs {shown[slow]:.1f} tokens/s ({where}).",
                    {"kind": "speed", "published": True, "tokens_per_s": shown,
                     "ratio": round(ratio, 1)})


def _price_entry(data: ReportData, a: str, b: str) -> FaqEntry | None:
    question = f"Which is cheaper, {a} or {b}?"
    prices = {m: compared_price(data, m) for m in (a, b)}
    # Per 1M tokens, as every other price in the report, to 4 significant digits.
    shown = {m: None if p is None else float(f"{p.per_mtok:.4g}") for m, p in prices.items()}
    hourly = [m for m in (a, b) if m in data.price_per_hour]
    # A price derived from a price per hour is labelled with its inputs, never as a list price.
    evidence: dict[str, Any] = ({"kind": "price", "blended_per_1m": shown} if not hourly else
                                {"kind": "price", "per_1m": shown, "derived": hourly})
    if any(v is None for v in shown.values()):
        missing = [m for m, v in shown.items() if v is None]
        if not any(m in hourly for m in missing):
            return FaqEntry(question, f"No price on record for {' and '.join(missing)}: "
                            "no price ratio.", evidence)
        why = (no_price_reason(data, missing[0]) if len(missing) == 1 else
               "; ".join(f"{m}: {no_price_reason(data, m)}" for m in missing))
        return FaqEntry(question, f"No price per token for {' and '.join(missing)} ({why}): "
                        "no price ratio.", evidence)
    basis = ("list prices, blended 3:1 in:out" if not hourly else
             "; ".join(f"{m}: {p.text}" for m, p in prices.items() if p is not None))
    cheap, dear = sorted((a, b), key=lambda m: shown[m] or 0)
    if not shown[cheap]:
        kind = "blended" if not hourly else basis
        return FaqEntry(question, f"{cheap} costs nothing per token on record, {dear} "
                        f"${shown[dear]:g} per 1M tokens ({kind}).", evidence)
    ratio = (shown[dear] or 0) / (shown[cheap] or 1)
    return FaqEntry(question, f"{cheap} costs {ratio:.1f}× less per 1M tokens: "
                    f"${shown[cheap]:g} vs ${shown[dear]:g} ({basis}).",
                    {**evidence, "ratio": round(ratio, 1)})


def _context_entry(data: ReportData, a: str, b: str) -> FaqEntry | None:
    shown = {m: context_window(data, m) for m in (a, b)}
    question = f"How much text fits, {a} or {b}?"
    if any(v is None for v in shown.values()):
        return FaqEntry(question, "Context window unknown for "
                        f"{' and '.join(m for m, v in shown.items() if v is None)}.",
                        {"kind": "context", "context_window": shown})
    text = " vs ".join(f"{shown[m] or 0:,} tokens for {m} ({_context_origin(data, m)})"
                       for m in (a, b))
    return FaqEntry(question, f"Context window: {text}.",
                    {"kind": "context", "context_window": shown})


def _context_origin(data: ReportData, model: str) -> str:
    card = data.card(model)
    return (figure_origin(card, "context_window") if card else None) or "source not recorded"


def _language_entry(data: ReportData, a: str, b: str) -> FaqEntry | None:
    shown = {m: languages(data, m) for m in (a, b)}
    question = f"Which languages do {a} and {b} support?"
    if all(v is None for v in shown.values()):
        return None
    parts = [f"{m}: {', '.join(v) if v else 'not listed on its card'}" for m, v in shown.items()]
    return FaqEntry(question, "; ".join(parts) + " (vendor lists, not measured).",
                    {"kind": "languages", "languages": {m: list(v) if v else None
                                                        for m, v in shown.items()}})


def _g(count: float) -> str:
    """A count of passes: 34, or 33.5 when checks give partial credit."""
    return f"{count:.0f}" if count == int(count) else f"{count:.2f}".rstrip("0")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


_p = p_text
