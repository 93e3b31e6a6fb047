"""Judged answers in the report: the judges' and people's ratings, the self-judged label, the
rating criterion and its sentences, and judged trials kept out of pass-rate standings."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.judging.ratings import Agreement, Rating, Ratings, RatingTable
from bakeoff.report.data import ReportData, build_report_data
from bakeoff.report.evidence import rating_clause, rating_source
from bakeoff.report.insights import decide, hands_on_standing, rating_sentence
from bakeoff.report.render import render_files
from bakeoff.store import HUMAN
from bakeoff.trials.base import TrialInfo
from bakeoff.trials.registry import TRIALS
from tests.report.safety_store import OPEN_CHAT, build_safety_store
from tests.report.trial_store import StandIn


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReportData:
    monkeypatch.setitem(TRIALS, OPEN_CHAT, StandIn(TrialInfo(
        OPEN_CHAT, "Open-ended answers", "judged in pairs", "open prompts",
        metrics=("answered",), judged=True)))
    store, run_id = build_safety_store(tmp_path / "s.sqlite", verdicts=True)
    return build_report_data(store, [run_id], generated_at=0.0)


def _table(source: str, ratings: dict[str, tuple[float, float, float]], *, pairs: int = 40,
           flips: int = 4, self_judged: tuple[str, ...] = ()) -> RatingTable:
    raw = tuple(Rating(m, *r) for m, r in ratings.items())
    return RatingTable(source, raw, raw, 0.1, pairs, flips, flips / pairs, self_judged, 0)


def test_the_stored_verdicts_become_the_judged_section(data: ReportData) -> None:
    assert data.judged is not None
    [judge] = data.judged.judges
    assert (judge.source, judge.pairs, judge.flips, judge.self_judged) == ("alpha", 4, 1,
                                                                           ("alpha",))
    assert data.judged.human is not None and data.judged.human.voters == 2
    files = render_files(decide(data), "s.html")
    markdown = files[".md"].split("## Judged answers")[1].split("## Speed")[0]
    assert "| model | rating by alpha | length-controlled | people |" in markdown
    assert "- Judge alpha: 4 pairs judged; position bias 25% (1/4 pairs flipped)." in markdown
    assert "- Self-judged: alpha judges its own answers" in markdown
    assert ("- People: 3 votes by 2 voters; alpha agrees with the people's majority on 2/3 "
            "pairs (67%).") in markdown
    judged = json.loads(files[".json"])["judged"]
    assert judged["rating_source"] == "alpha"
    [record] = judged["judges"]
    assert record["self_judged_label"] == "self-judged: alpha judges its own answers"
    assert (record["pairs"], record["flips"], record["position_bias"]) == (4, 1, 0.25)
    assert [r["model"] for r in record["raw"]] == ["alpha", "beta"]
    assert set(record["raw"][0]) == {"model", "rating", "low", "high", "no_preference"}
    assert record["agreement"] == {"pairs": 3, "agreeing": 2, "rate": 2 / 3}
    assert (judged["human"]["votes"], judged["human"]["voters"]) == (3, 2)


def test_a_judged_trial_is_no_pass_rate_standing(data: ReportData) -> None:
    assert data.comparison is not None
    assert data.comparison.trials[OPEN_CHAT].judged
    assert "Open-ended answers" not in data.comparison.hands_on
    assert hands_on_standing(data, "alpha", ("Open-ended answers",)) is None
    assert not any("open-ended" in s for s in decide(data).verdict)
    markdown = render_files(decide(data), "s.html")[".md"]
    category = markdown.split("### Open-ended answers")[1].split("###")[0]
    assert "its answers' quality is rated in pairs under Judged answers" in category


def test_ratings_sentences_cite_intervals_and_claim_only_what_they_show(
        data: ReportData) -> None:
    apart = _table("judge-x", {"alpha": (1080, 1010, 1150), "beta": (920, 850, 990)},
                   flips=5)
    data.judged = Ratings((apart,), None, ())
    assert rating_clause(data, "alpha", "beta") == (
        "rated 1080 [1010, 1150] vs 920 [850, 990] for beta by judge-x, position bias 12% "
        "(5/40); the intervals do not overlap: rated higher")
    assert rating_sentence(data) == (
        "Judged answers, rated by judge-x, position bias 12% (5/40 pairs): alpha 1080 "
        "[1010, 1150], beta 920 [850, 990]; alpha above beta (95% intervals apart).")
    close = _table("judge-x", {"alpha": (1010, 950, 1070), "beta": (990, 930, 1050)})
    data.judged = Ratings((close,), None, ())
    clause = rating_clause(data, "alpha", "beta")
    assert clause is not None and clause.endswith("the intervals overlap: not clearly different")
    assert "not clearly different" in rating_sentence(data)


def test_the_rating_criterion_weighs_a_neutral_judge_first(data: ReportData) -> None:
    self_judge = _table("alpha", {"alpha": (1200, 1150, 1250), "beta": (800, 750, 850)},
                        pairs=80, self_judged=("alpha",))
    neutral = _table("judge-x", {"beta": (1050, 1000, 1100), "alpha": (950, 900, 1000)})
    human = replace(_table(HUMAN, {"alpha": (1000, 900, 1100), "beta": (1000, 900, 1100)}),
                    position_bias=None, flips=0, voters=3)
    data.judged = Ratings((self_judge, neutral), human, (Agreement("judge-x", 10, 7),))
    source = rating_source(data)
    assert source is not None and source.source == "judge-x"
    report = decide(data)
    customer = next(r for r in report.recommendations if r.profile.key == "customer-facing")
    assert "rating" in customer.weighed
    assert customer.scores["alpha"] > customer.scores["beta"]  # safety outweighs the rating
    assert any(r.startswith("alpha: rated 950 [900, 1000] vs 1050 [1000, 1100] for beta by "
                            "judge-x")
               for r in customer.reasons)
    sentence = rating_sentence(data)
    assert "rated by judge-x" in sentence and "self-judged" not in sentence
    assert "People (40 votes, 3 voters)" in sentence
    assert "judge-x agrees with them on 7/10 pairs (70%)" in sentence
    page = render_files(report, "s.html")[".html"]
    assert "self-judged: alpha judges its own answers" in page


@pytest.mark.parametrize(("beta", "alpha_rating_score", "beta_rating_score"), [
    ((1100, 1010, 1190), 0.0, 1.0),  # intervals apart: beta is rated better
    ((1100, 990, 1190), 1.0, 1.0),   # they overlap: neither stands above the other
])
def test_the_rating_criterion_counts_only_intervals_that_stand_apart(
        data: ReportData, tmp_path: Path, beta: tuple[float, float, float],
        alpha_rating_score: float, beta_rating_score: float) -> None:
    data.judged = Ratings((_table("judge-x", {"beta": beta, "alpha": (900, 850, 1000)}),),
                          None, ())
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[judged]\nweights = { rating = 1.0 }\n', encoding="utf-8")
    [judged] = decide(data, profiles).recommendations
    assert judged.scores == {"alpha": alpha_rating_score, "beta": beta_rating_score}
    assert judged.choice == ("beta" if alpha_rating_score == 0.0 else None)


def test_a_rating_of_ties_alone_says_no_preference_was_measured(data: ReportData) -> None:
    """Every pair a tie or flipped leaves a zero-width interval: no information, never a sure
    rating, and never ahead of another model."""
    ties = _table("judge-x", {"alpha": (1000, 1000, 1000), "beta": (1000, 907, 1093)},
                  flips=38)
    data.judged = Ratings((ties,), None, ())
    assert rating_clause(data, "alpha", "beta") == (
        "rated all ties: no preference measured vs 1000 [907, 1093] for beta by judge-x, "
        "position bias 95% (38/40); not compared")
    sentence = rating_sentence(data)
    assert "[1000, 1000]" not in sentence
    assert "alpha all ties: no preference measured" in sentence
    assert sentence.endswith("no pair is clearly different (95% intervals overlap, or no "
                             "preference was measured).")
    markdown = render_files(decide(data), "s.html")[".md"]
    assert "[1000, 1000]" not in markdown
    document = json.loads(render_files(decide(data), "s.html")[".json"])
    [judge] = document["judged"]["judges"]
    assert [r["no_preference"] for r in judge["raw"]] == [True, False]
