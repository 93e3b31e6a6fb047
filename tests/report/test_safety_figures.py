"""Attack success beside over-refusal: the figures, the chart's points, the table, the JSON and
the words, from stored safety results with known counts (tests/report/safety_store.py)."""

import re
from pathlib import Path

import pytest

from bakeoff.report.data import ReportData, build_report_data
from bakeoff.report.evidence import safety_pair_lines
from bakeoff.report.html import PAD, H, W, render_html
from bakeoff.report.insights import decide, faq
from bakeoff.report.json_report import report_document
from bakeoff.report.render import render_files
from bakeoff.report.tables import safety_table
from tests.report.safety_store import build_safety_store


def _data(tmp_path: Path, **kwargs: bool) -> ReportData:
    store, run_id = build_safety_store(tmp_path / "s.sqlite", **kwargs)
    return build_report_data(store, [run_id], generated_at=0.0)


@pytest.fixture
def data(tmp_path: Path) -> ReportData:
    return _data(tmp_path)


def test_attack_success_pools_the_attack_trials_and_over_refusal_stands_apart(
        data: ReportData) -> None:
    safety = data.hands_on.safety
    assert safety is not None
    assert safety.attack_trials == ("safety_extraction", "safety_injection", "safety_policy")
    assert safety.over_refusal_trials == ("safety_overrefusal",)
    alpha, beta = safety.models["alpha"], safety.models["beta"]
    assert alpha.attack is not None and beta.attack is not None
    assert (alpha.attack.count, alpha.attack.cases, beta.attack.count) == (2, 60, 19)
    assert alpha.attack.rate == pytest.approx(2 / 60)
    assert alpha.attack.ci_low <= alpha.attack.rate <= alpha.attack.ci_high
    assert {t: s.count for t, s in beta.families.items()} == {
        "safety_extraction": 8, "safety_injection": 6, "safety_policy": 5}
    assert alpha.over_refusal is not None and beta.over_refusal is not None
    assert (alpha.over_refusal.count, beta.over_refusal.count, beta.over_refusal.cases) == (
        2, 3, 50)
    [pair] = safety.pairs
    assert pair.attack.test is not None and pair.over_refusal.test is not None
    assert (pair.attack.cases, pair.attack.count_a, pair.attack.count_b) == (60, 2, 19)
    assert pair.attack.test.test == "mcnemar-exact"
    assert pair.attack.test.p_value == pytest.approx(2 / 2 ** 17)
    assert pair.over_refusal.test.p_value == 1.0 and not pair.over_refusal.test.significant


def test_the_table_and_pair_lines_give_counts_rates_and_significance(data: ReportData,
                                                                     tmp_path: Path) -> None:
    assert data.hands_on.safety is not None
    header, rows = safety_table(data.hands_on.safety, data.models)
    assert header == ["", "alpha", "beta"]
    assert rows[0][0] == "attack success (all attack trials)"
    assert rows[0][1].startswith("2/60 = 3.3% [") and rows[0][2].startswith("19/60 = 31.7% [")
    assert rows[-1][0] == "over-refusal" and rows[-1][1].startswith("2/50 = 4.0% [")
    assert safety_pair_lines(data.hands_on.safety) == [
        "alpha vs beta: attacks succeeded 2/60 vs 19/60, significantly fewer for alpha "
        "(McNemar exact p < 0.001); harmless requests refused 2/50 vs 3/50, not significant "
        "(McNemar exact p = 1)."]
    weak = _data(tmp_path / "weak", weak_attacks=True).hands_on.safety
    assert weak is not None
    [line] = safety_pair_lines(weak)
    assert "attacks succeeded 2/60 vs 4/60, not significant (McNemar exact p = 0.5)" in line
    assert "significantly" not in line


def test_the_json_carries_the_same_counts_rates_and_tests(data: ReportData) -> None:
    document = report_document(data, [], [], [])
    assert document["report_schema_version"] == 5
    safety = document["hands_on"]["safety"]
    attack = safety["models"]["beta"]["attack"]
    assert (attack["count"], attack["cases"]) == (19, 60)
    assert attack["rate"] == pytest.approx(19 / 60)
    assert attack["ci_low"] <= attack["rate"] <= attack["ci_high"]
    assert safety["models"]["alpha"]["families"]["safety_policy"]["count"] == 0
    [pair] = safety["pairwise"]
    assert pair["attack"]["count_b"] == 19 and pair["attack"]["significant"] is True
    assert pair["over_refusal"] == {"cases": 50, "count_a": 2, "count_b": 3,
                                    "test": "mcnemar-exact", "p_value": 1.0,
                                    "significant": False, "left_out": []}


def test_the_chart_plots_each_model_at_its_two_rates(data: ReportData) -> None:
    page = render_html(data, [], [], [])
    chart = re.search(r"<svg class='chart safety'.*?</svg>", page)
    assert chart is not None
    points = re.findall(r"<circle class=mark cx=([\d.]+) cy=([\d.]+)", chart.group(0))
    # x: over-refusal, y: attack success, both from 0 to 100% (y grows upwards).
    expected = [(PAD + rate_x * (W - 12 - PAD), H - PAD + rate_y * (24 - (H - PAD)))
                for rate_x, rate_y in ((2 / 50, 2 / 60), (3 / 50, 19 / 60))]
    assert [(float(x), float(y)) for x, y in points] == [
        (pytest.approx(x, abs=0.05), pytest.approx(y, abs=0.05)) for x, y in expected]
    assert "alpha 2/60 · 2/50" in chart.group(0) and "beta 19/60 · 3/50" in chart.group(0)


def test_the_customer_facing_pick_states_its_evidence_and_no_false_claim(
        data: ReportData) -> None:
    report = decide(data)
    customer = next(r for r in report.recommendations if r.profile.key == "customer-facing")
    assert customer.choice == "alpha"
    assert customer.weighed == ["safety", "over_refusal", "abstention"]
    # What decided comes first, in words: the significant difference, never a score; a
    # difference within the noise is "not distinguishable", never a reason.
    assert customer.reasons[0] == (
        "not distinguishable on over-refusal; decided by attack resistance (2/60 attacks "
        "succeeded vs 19/60 for beta, significantly fewer (McNemar exact p < 0.001))")
    assert ("alpha: over-refusal 4% vs 6% for beta (2/50 vs 3/50 harmless requests refused), "
            "not significant (McNemar exact p = 1)") in customer.reasons
    assert not any("score" in reason for reason in customer.reasons)
    sentence = next(s for s in report.details if s.startswith("For a customer-facing bot"))
    assert sentence.startswith("For a customer-facing bot (support chat), alpha is chosen "
                               "(not distinguishable on over-refusal; decided by attack "
                               "resistance (2/60 attacks succeeded vs 19/60 for beta")
    assert "abstention F1 0.67 vs 0.30 for beta" in sentence
    assert "a customer-facing bot (not distinguishable on over-refusal; decided by" in \
        report.verdict[0]
    # The Safety category's pooled pass count (attacks and harmless requests mixed) is not
    # a verdict clause: the sentence above keeps the two apart.
    assert not any("For safety" in s for s in report.details)


def test_without_safety_data_the_customer_facing_profile_makes_no_choice(
        tmp_path: Path) -> None:
    report = decide(_data(tmp_path, safety=False))
    customer = next(r for r in report.recommendations if r.profile.key == "customer-facing")
    assert customer.choice is None
    assert customer.reasons == ["attack resistance (the safety trials) was not measured: "
                                "no choice"]
    assert "attack resistance" in customer.not_measured
    assert not any("attacks" in s for s in report.verdict)


def test_a_difference_that_is_not_significant_is_never_claimed(tmp_path: Path) -> None:
    report = decide(_data(tmp_path, weak_attacks=True, abstention=False))
    customer = next(r for r in report.recommendations if r.profile.key == "customer-facing")
    # 2/60 vs 4/60 attacks and 2/50 vs 3/50 refusals: neither difference is significant, so
    # both models stand level on every measured criterion and nothing is picked on noise.
    assert customer.choice is None
    assert customer.scores == {"alpha": 1.0, "beta": 1.0}
    assert customer.reasons == ["alpha, beta: not distinguishable on what this profile weighs "
                                "(attack resistance, over-refusal): no clear choice"]
    assert "a customer-facing bot (not distinguishable on what it weighs)" in report.verdict[0]
    assert not any("choose" in s.lower() for s in report.details)
    assert ("Safety: alpha vs beta: attacks succeeded 2/60 vs 4/60, not significant (McNemar "
            "exact p = 0.5); harmless requests refused 2/50 vs 3/50, not significant (McNemar "
            "exact p = 1).") in report.details


def test_without_a_customer_facing_pick_the_verdict_sets_the_two_rates_side_by_side(
        data: ReportData, tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[speed-only]\nweights = { speed = 1.0 }\n', encoding="utf-8")
    report = decide(data, profiles)
    assert ("Safety: alpha vs beta: attacks succeeded 2/60 vs 19/60, significantly fewer for "
            "alpha (McNemar exact p < 0.001); harmless requests refused 2/50 vs 3/50, not "
            "significant (McNemar exact p = 1).") in report.details
    assert report.verdict[1].endswith("fewer attacks succeeded for alpha than beta (2/60 vs "
                                      "19/60, McNemar exact p < 0.001) (paired tests, "
                                      "p < 0.05).")


def test_the_faq_keeps_attacks_and_over_refusal_apart(data: ReportData) -> None:
    answers = {e.question: e.answer for e in faq(data)}
    assert answers["Which resists attacks better, alpha or beta?"] == (
        "alpha: 2/60 attacks succeeded vs 19/60 for beta, significantly fewer (McNemar exact "
        "p < 0.001).")
    assert answers["Which refuses fewer harmless requests, alpha or beta?"].startswith(
        "Not significantly different. alpha: over-refusal 4% vs 6% for beta")
    assert "Which does better at safety, alpha or beta?" not in answers


def test_the_safety_category_shows_no_pooled_pass_count(data: ReportData) -> None:
    markdown = render_files(decide(data), "s.html")[".md"]
    safety = markdown.split("### Safety")[1].split("### ")[0]
    assert "Passed, over the main metric" not in safety
    assert "Pooled over the category's trials" not in safety
    page = render_html(data, [], [], [])
    assert "Passed, over the main metric of safety_extraction" not in page
    assert "Passed, over the main metric of abstention" in page


def test_a_trial_two_models_took_in_different_modes_stays_out_of_their_test(
        tmp_path: Path) -> None:
    store, run_id = build_safety_store(tmp_path / "s.sqlite")
    # beta took the injection trial with prompted tools, alpha natively: not comparable.
    store._db.execute("UPDATE scores SET mode = 'prompted tools' WHERE model = 'beta'"
                      " AND benchmark = 'safety_injection'")
    data = build_report_data(store, [run_id])
    assert data.hands_on is not None and data.hands_on.safety is not None
    [pair] = data.hands_on.safety.pairs
    assert pair.attack.left_out == ("safety_injection",)
    assert pair.attack.cases == 40  # extraction and policy only
    assert "(safety_injection left out: taken in different modes)" in " ".join(
        safety_pair_lines(data.hands_on.safety))
    # Each model's own rate still counts every attack it took.
    assert data.hands_on.safety.models["beta"].attack is not None
    assert data.hands_on.safety.models["beta"].attack.cases == 60


def test_abstention_counts_a_model_that_took_the_trial_even_with_an_undefined_f1(
        data: ReportData, tmp_path: Path) -> None:
    data.hands_on.abstention["alpha"]["f1"] = float("nan")  # as when nothing was answered right
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[abstain]\nweights = { abstention = 1.0 }\n', encoding="utf-8")
    [abstain] = decide(data, profiles).recommendations
    # alpha behaved right on 10/10 cases, beta on 3/10 (McNemar exact p = 0.0156).
    assert abstain.scores == {"alpha": 1.0, "beta": 0.0} and abstain.choice == "alpha"
