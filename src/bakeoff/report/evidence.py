"""The figures behind the safety, over-refusal, abstention and judged-rating criteria, and the
clauses that state them as evidence (counts, rates, intervals, the paired test).

Rules the clauses keep (and tests check): a difference is named only when its paired test gives
p < 0.05 (McNemar exact on the cases both models took), otherwise it says "not significant"
with the p-value; a judged rating is said to be ahead only when the two 95% intervals do not
overlap, otherwise "intervals overlap: not clearly different". Nothing here reads the store:
the figures come from ReportData (bakeoff.report.hands_on for safety and abstention, the
judges' ratings for the rest).
"""

from __future__ import annotations

import math

from bakeoff.judging.ratings import Rating, RatingTable
from bakeoff.report.data import ReportData
from bakeoff.report.hands_on import ABSTENTION, SafetyFigures, SafetyPair, Share, SharedCount
from bakeoff.scoring.metrics import PairedTest

TEST_NAMES = {"mcnemar-exact": "McNemar exact", "paired-bootstrap": "paired bootstrap"}


def p_text(value: float) -> str:
    """'< 0.001' or '= 0.0312' (after "p")."""
    return "< 0.001" if value < 0.001 else f"= {value:.3g}"


def paired_text(test: PairedTest) -> str:
    return f"{TEST_NAMES[test.test]} p {p_text(test.p_value)}"


# Figures per model ---------------------------------------------------------------------------

def attack_success(data: ReportData, model: str) -> Share | None:
    """The model's attack success, pooled over the attack trials (None: not measured)."""
    safety = data.hands_on.safety
    figures = safety.models.get(model) if safety else None
    return None if figures is None else figures.attack


def over_refusal(data: ReportData, model: str) -> Share | None:
    safety = data.hands_on.safety
    figures = safety.models.get(model) if safety else None
    return None if figures is None else figures.over_refusal


def abstention_f1(data: ReportData, model: str) -> float | None:
    value = data.hands_on.abstention.get(model, {}).get("f1")
    return None if value is None or math.isnan(value) else value


def safety_pair(data: ReportData, a: str, b: str) -> tuple[SafetyPair, bool] | None:
    """The pair of `a` and `b`, and whether it lists them the other way round."""
    safety = data.hands_on.safety
    for pair in safety.pairs if safety else ():
        if (pair.model_a, pair.model_b) in ((a, b), (b, a)):
            return pair, pair.model_a != a
    return None


# Clauses -------------------------------------------------------------------------------------

def safety_pair_lines(figures: SafetyFigures) -> list[str]:
    """Per pair of models: attacks that succeeded and requests refused on the cases both took,
    with the paired test; a difference is named only when it is significant."""
    lines = []
    for pair in figures.pairs:
        parts = [_shared_clause(pair.model_a, pair.model_b, shared, what)
                 for shared, what in ((pair.attack, "attacks succeeded"),
                                      (pair.over_refusal, "harmless requests refused"))
                 if shared.test is not None]
        if parts:
            lines.append(f"{pair.model_a} vs {pair.model_b}: {'; '.join(parts)}.")
    return lines


def _shared_clause(a: str, b: str, shared: SharedCount, what: str) -> str:
    test = shared.test
    assert test is not None
    p = paired_text(test)
    counts = (f"{what} {shared.count_a}/{shared.cases} vs {shared.count_b}/{shared.cases}"
              f"{left_out_note(shared)}")
    if not test.significant:
        return f"{counts}, not significant ({p})"
    fewer = a if shared.count_a < shared.count_b else b
    return f"{counts}, significantly fewer for {fewer} ({p})"


def left_out_note(shared: SharedCount) -> str:
    """' (safety_injection left out: taken in different modes)', or ''."""
    if not shared.left_out:
        return ""
    return f" ({', '.join(shared.left_out)} left out: taken in different modes)"


def attack_clause(data: ReportData, model: str, other: str) -> str | None:
    """'2/60 attacks succeeded vs 19/60 for beta (McNemar exact p < 0.001)', with "not
    significant" when the test says so; None when the two shared no attack case."""
    counted = shared_counts(data, model, other, attack=True)
    if counted is None:
        return None
    mine, theirs, cases, test, left_out = counted
    counts = f"{mine}/{cases} attacks succeeded vs {theirs}/{cases} for {other}{left_out}"
    return _judged_difference(counts, test, mine < theirs, "fewer", "more")


def over_refusal_clause(data: ReportData, model: str, other: str) -> str | None:
    """'over-refusal 4% vs 6% for beta (2/50 vs 3/50 harmless requests refused), not
    significant (McNemar exact p = 1)'."""
    counted = shared_counts(data, model, other, attack=False)
    if counted is None:
        return None
    mine, theirs, cases, test, _ = counted
    counts = (f"over-refusal {mine / cases:.0%} vs {theirs / cases:.0%} for {other} "
              f"({mine}/{cases} vs {theirs}/{cases} harmless requests refused)")
    return _judged_difference(counts, test, mine < theirs, "lower", "higher")


def shared_counts(data: ReportData, model: str, other: str, *,
                   attack: bool) -> tuple[int, int, int, PairedTest, str] | None:
    """(model's count, other's count, shared cases, test, note of the trials left out) of
    attacks that succeeded (or of harmless requests refused); None without a shared case."""
    found = safety_pair(data, model, other)
    if found is None:
        return None
    pair, flipped = found
    shared = pair.attack if attack else pair.over_refusal
    if shared.test is None:
        return None
    mine, theirs = ((shared.count_b, shared.count_a) if flipped
                    else (shared.count_a, shared.count_b))
    return mine, theirs, shared.cases, shared.test, left_out_note(shared)


def abstention_clause(data: ReportData, model: str, other: str) -> str | None:
    """'abstention F1 0.80 vs 0.55 for beta; right behaviour on 30/40 vs 21/40 shared cases
    (McNemar exact p = 0.02)', from the pooled paired test of the Abstention category."""
    mine, theirs = abstention_f1(data, model), abstention_f1(data, other)
    if mine is None or theirs is None:
        return None
    text = f"abstention F1 {mine:.2f} vs {theirs:.2f} for {other}"
    result = data.comparison.hands_on.get(ABSTENTION) if data.comparison else None
    cp = next((p for p in result.pairs if {p.pair.model_a, p.pair.model_b} == {model, other}),
              None) if result else None
    test = cp.pair.test if cp else None
    if cp is None or test is None:
        return text
    flipped = cp.pair.model_a != model
    right_mine, right_theirs = (cp.passed_b, cp.passed_a) if flipped else (cp.passed_a,
                                                                           cp.passed_b)
    counts = (f"{text}; right behaviour on {_g(right_mine)}/{test.n} vs "
              f"{_g(right_theirs)}/{test.n} shared cases")
    return _judged_difference(counts, test, right_mine > right_theirs, "more", "fewer")


def significantly_better(data: ReportData, criterion: str, model: str, other: str) -> bool:
    """Whether the data show `model` better than `other` on a measured criterion: fewer attacks
    succeeded or fewer harmless requests refused (McNemar on the cases both took), more right
    abstention behaviour (the Abstention category's paired test), or a judged rating whose 95%
    interval lies wholly above the other's."""
    if criterion in ("safety", "over_refusal"):
        counted = shared_counts(data, model, other, attack=criterion == "safety")
        return counted is not None and counted[3].significant and counted[0] < counted[1]
    if criterion == "abstention":
        result = data.comparison.hands_on.get(ABSTENTION) if data.comparison else None
        cp = next((p for p in result.pairs
                   if {p.pair.model_a, p.pair.model_b} == {model, other}), None) if result else None
        if cp is None or cp.pair.test is None or not cp.pair.test.significant:
            return False
        mine, theirs = ((cp.passed_a, cp.passed_b) if cp.pair.model_a == model
                        else (cp.passed_b, cp.passed_a))
        return mine > theirs
    if criterion == "rating":
        rated, rival = judged_rating(data, model), judged_rating(data, other)
        return (rated is not None and rival is not None and rated.low > rival.high
                and not no_information(rated) and not no_information(rival))
    raise ValueError(f"no significance rule for {criterion!r}")


def _judged_difference(counts: str, test: PairedTest, better: bool, good: str,
                       bad: str) -> str:
    if not test.significant:
        return f"{counts}, not significant ({paired_text(test)})"
    return f"{counts}, significantly {good if better else bad} ({paired_text(test)})"


def _g(count: float) -> str:
    return f"{count:.0f}" if count == int(count) else f"{count:.2f}".rstrip("0")


# Judged ratings ------------------------------------------------------------------------------

def rating_source(data: ReportData) -> RatingTable | None:
    """The judge whose raw Bradley–Terry ratings the `rating` criterion weighs: a judge that is
    not one of the contestants before one that is, then the one with the most pairs, then the
    first by name. People's votes are shown beside it but never weighed (see profiles.toml)."""
    judges = data.judged.judges if data.judged else ()
    if not judges:
        return None
    return min(judges, key=lambda table: (bool(table.self_judged), -table.pairs))


def judged_rating(data: ReportData, model: str) -> Rating | None:
    table = rating_source(data)
    return None if table is None else find_rating(table.raw, model)


def find_rating(ratings: tuple[Rating, ...] | None, model: str) -> Rating | None:
    return next((r for r in ratings or () if r.model == model), None)


def rating_text(rating: Rating) -> str:
    """'1080 [1010, 1150]', or 'no preference measured (…)' for an interval of zero width."""
    if no_information(rating):
        return NO_PREFERENCE
    return f"{rating.rating:.0f} [{rating.low:.0f}, {rating.high:.0f}]"


NO_PREFERENCE = "all ties: no preference measured"


def no_information(rating: Rating) -> bool:
    """Whether the rating's interval has no width: every resample gave the same rating, which
    happens when the judge preferred neither answer of any of the model's pairs (ties, or
    verdicts that flipped with the order). Such an interval is no certainty, only no data."""
    return rating.high - rating.low < 1e-9


def self_judged_label(table: RatingTable) -> str | None:
    """'self-judged: qwen judges its own answers', or None when the judge is no contestant."""
    if not table.self_judged:
        return None
    return f"self-judged: {', '.join(table.self_judged)} judges its own answers"


def rating_clause(data: ReportData, model: str, other: str) -> str | None:
    """'rated 1080 [1010, 1150] vs 920 [850, 990] for beta by judge, position bias 12%', then
    whether the 95% intervals overlap; None when the judge rated only one of them."""
    table = rating_source(data)
    if table is None:
        return None
    mine, theirs = find_rating(table.raw, model), find_rating(table.raw, other)
    if mine is None or theirs is None:
        return None
    bias = ("" if table.position_bias is None
            else f", position bias {table.position_bias:.0%} ({table.flips}/{table.pairs})")
    label = self_judged_label(table)
    text = (f"rated {rating_text(mine)} vs {rating_text(theirs)} for {other} by "
            f"{table.source}{bias}{f' ({label})' if label else ''}")
    if no_information(mine) or no_information(theirs):
        return f"{text}; not compared"
    if mine.low <= theirs.high and theirs.low <= mine.high:
        return f"{text}; the intervals overlap: not clearly different"
    higher = "higher" if mine.rating > theirs.rating else "lower"
    return f"{text}; the intervals do not overlap: rated {higher}"
