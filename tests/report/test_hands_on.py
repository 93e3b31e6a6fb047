"""The hands-on trials in the report: split from the benchmarks, by category, with their own
figures (pooled tests, errors as counts, failures by rule, the long-context grid, rates by
language, transcripts), each checked against the values computed by hand in trial_store.py."""

import json
import os
from pathlib import Path

import pytest

from bakeoff.api import render_report
from bakeoff.report import hands_on as hands_on_module
from bakeoff.report.comparison import OTHER
from bakeoff.report.data import ReportData, build_report_data
from bakeoff.report.hands_on import UNLABELLED, clip, failure_rule
from bakeoff.report.insights import (
    decide,
    faq,
    hands_on_sentence,
    load_profiles,
    recommend,
    verdict_details,
)
from bakeoff.report.markdown import terminal_summary
from bakeoff.scoring.metrics import mcnemar_exact_p
from bakeoff.store import Store
from bakeoff.trials.base import TrialInfo
from bakeoff.trials.registry import TRIALS
from bakeoff.types import ErrorRecord, Message, Sample, Score
from tests.report.trial_store import LONG_PROMPT, StandIn, build_trial_store, register_trials

GOLDEN = Path(__file__).parent / "golden"
GENERATED_AT = 1700000200.0


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReportData:
    register_trials(monkeypatch)
    store, run_id = build_trial_store(tmp_path / "bakeoff.sqlite")
    return build_report_data(store, [run_id], generated_at=GENERATED_AT)


def test_trials_are_split_from_benchmarks_and_grouped_by_category(data: ReportData) -> None:
    comparison = data.comparison
    assert comparison is not None
    assert comparison.benchmark_keys() == [("mmlu", "acc")]
    categories = comparison.trial_categories()
    assert {c: [e.name for e in entries] for c, entries in categories.items()} == {
        "Logic puzzles": ["pz_doors"], "Function calling": ["fc_parallel", "fc_single"],
        "Long context": ["lc_needle"], "Languages": ["lang_it", "lang_tasks"],
        OTHER: ["legacy_check"]}
    assert comparison.trials["legacy_check"].registered is False
    assert comparison.trial_keys("lang_tasks") == [
        ("lang_tasks", "pass"), ("lang_tasks", "correct"), ("lang_tasks", "in_language")]
    # Benchmark transcripts and item categories are the benchmarks' only.
    assert [(g.benchmark, g.metric) for g in data.transcripts] == [("mmlu", "acc")]
    assert all(key[0] == "mmlu" for key in data.categories)


def test_a_trial_metric_has_a_benchmarks_cells_and_its_best_needs_significance(
        data: ReportData) -> None:
    comparison = data.comparison
    assert comparison is not None
    single = comparison.metrics[("fc_single", "pass")]
    assert {m: (s.mean, s.n, s.mode) for m, s in single.items()} == {
        "alpha": (0.9, 20, "native tools"), "beta": (0.3, 20, "native tools"),
        "gamma": (10 / 19, 19, "prompted tools")}
    # gamma took fc_single with prompted tools: never ranked with native tools, so no model
    # beats every other there; on fc_parallel alpha beats beta (p = 0.00635).
    assert comparison.significant_best(("fc_single", "pass")) is None
    assert comparison.significant_best(("fc_parallel", "pass")) == "alpha"
    assert comparison.significant_best(("lang_tasks", "pass")) is None  # p = 0.5


def test_a_category_pools_its_trials_over_shared_cases_in_one_mode(data: ReportData) -> None:
    assert data.comparison is not None
    tools = data.comparison.hands_on["Function calling"]
    assert {m: (t.passed, t.cases) for m, t in tools.totals.items()} == {
        "alpha": (34, 40), "beta": (12, 40), "gamma": (10, 19)}
    alpha_beta, alpha_gamma, beta_gamma = tools.pairs
    assert alpha_beta.pair.test is not None
    assert (alpha_beta.pair.n, alpha_beta.passed_a, alpha_beta.passed_b) == (40, 34, 12)
    assert (alpha_beta.pair.test.b, alpha_beta.pair.test.c) == (23, 1)
    assert alpha_beta.pair.test.p_value == mcnemar_exact_p(23, 1)
    for pair in (alpha_gamma, beta_gamma):
        assert pair.pair.test is None
        assert pair.pair.not_compared == ("fc_single: scored in different modes (native tools "
                                          "and prompted tools)")
    assert tools.best is None  # alpha has no test against gamma
    needle = data.comparison.hands_on["Long context"]
    [pair] = needle.pairs
    assert (pair.pair.n, pair.passed_a, pair.passed_b) == (12, 12, 6)  # beta ran 12 cases
    assert pair.pair.test is not None and pair.pair.test.p_value == mcnemar_exact_p(6, 0)
    assert needle.best == "alpha"
    languages = data.comparison.hands_on["Languages"]
    assert (languages.pairs[0].passed_a, languages.pairs[0].passed_b) == (7, 3)
    assert languages.best is None  # p = 0.125


def test_cases_that_ended_in_errors_are_counts_never_fails(data: ReportData) -> None:
    assert data.comparison is not None
    assert data.comparison.trial_errors == {"fc_single": {"gamma": {"timeout": 1}},
                                            "lc_needle": {"beta": {"unsupported": 6}}}
    assert data.comparison.metrics[("lc_needle", "pass")]["beta"].n == 12
    failures = data.hands_on.failures
    assert failures is not None and failures.cases["gamma"] == 19
    case = next(c for c in data.hands_on.transcripts[3].cases if c.case_id == "lc_needle/12")
    assert "beta" not in case.results
    assert case.errors["beta"].startswith("unsupported: lc_needle/12 needs about 4096 tokens")


def test_function_calling_failures_are_counted_by_rule(data: ReportData) -> None:
    failures = data.hands_on.failures
    assert failures is not None
    assert failures.trials == ("fc_parallel", "fc_single")
    assert failures.rules == ("wrong_count", "missing_argument", "unparseable", "wrong_function",
                              UNLABELLED, "wrong_value")
    assert failures.counts == {
        "alpha": {"wrong_count": 4, UNLABELLED: 1, "wrong_value": 1},
        "beta": {"wrong_count": 10, "missing_argument": 12, "wrong_function": 6},
        "gamma": {"unparseable": 9}}
    assert failures.cases == {"alpha": 40, "beta": 40, "gamma": 19}


def test_a_rule_is_the_first_word_of_a_reason_before_the_colon() -> None:
    assert failure_rule("missing_argument: city") == "missing_argument"
    assert failure_rule("wrong-type : 'x' is a string") == "wrong-type"
    assert failure_rule("the answer has no call") == UNLABELLED
    assert failure_rule("no call: expected get_weather") == UNLABELLED  # two words
    assert failure_rule(None) == UNLABELLED


def test_the_long_context_grid_and_effective_length(data: ReportData) -> None:
    heat = data.hands_on.heat_map
    assert heat is not None
    assert (heat.trials, heat.threshold) == (("lc_needle",), 0.85)
    assert (heat.lengths, heat.depths) == ((1024, 2048, 4096), (0.0, 0.5, 1.0))
    alpha, beta = heat.models["alpha"], heat.models["beta"]
    assert {cell: (r.mean, r.n) for cell, r in alpha.cells.items() if cell[0] == 4096} == {
        (4096, 0.0): (1.0, 2), (4096, 0.5): (0.5, 2), (4096, 1.0): (0.0, 2)}
    assert alpha.length_means == {1024: 1.0, 2048: 1.0, 4096: 0.5}
    assert alpha.effective_length == 2048
    assert alpha.not_run == {}
    assert beta.length_means == pytest.approx({1024: 2 / 3, 2048: 1 / 3})
    assert beta.effective_length is None  # 0.67 < 0.85 at the shortest length
    assert beta.not_run == {(4096, 0.0): 2, (4096, 0.5): 2, (4096, 1.0): 2}
    assert "gamma" not in heat.models


def test_rates_by_language(data: ReportData) -> None:
    languages = data.hands_on.languages
    assert languages is not None
    assert languages.languages == ("de", "fr", "it")  # "it": lang_it's one language
    assert languages.metrics == ("pass", "correct", "in_language")
    rates = {(lang, model, metric): (rate.mean, rate.n)
             for lang, by_model in languages.rates.items()
             for model, by_metric in by_model.items() for metric, rate in by_metric.items()}
    assert rates == {
        ("de", "alpha", "pass"): (0.75, 4), ("de", "alpha", "correct"): (1.0, 4),
        ("de", "alpha", "in_language"): (0.75, 4),
        ("de", "beta", "pass"): (0.5, 4), ("de", "beta", "correct"): (0.5, 4),
        ("de", "beta", "in_language"): (1.0, 4),
        ("fr", "alpha", "pass"): (0.5, 4), ("fr", "alpha", "correct"): (0.5, 4),
        ("fr", "alpha", "in_language"): (1.0, 4),
        ("fr", "beta", "pass"): (0.25, 4), ("fr", "beta", "correct"): (0.25, 4),
        ("fr", "beta", "in_language"): (0.5, 4),
        ("it", "alpha", "pass"): (1.0, 2), ("it", "beta", "pass"): (0.0, 2)}


def test_each_case_has_every_models_whole_chat_and_checks(data: ReportData) -> None:
    transcripts = {t.trial: t for t in data.hands_on.transcripts}
    assert list(transcripts) == ["pz_doors", "fc_parallel", "fc_single", "lc_needle", "lang_it",
                                 "lang_tasks", "legacy_check"]
    first = transcripts["fc_single"].cases[0]
    assert first.case_id == "fc_single/0" and first.metadata == (("category", "single"),)
    chat = first.results["alpha"]
    assert chat.mode == "native tools"
    assert [t.role for t in chat.turns or ()] == ["system", "user", "assistant", "tool",
                                                  "assistant"]
    assert chat.turns is not None
    [call] = chat.turns[2].tool_calls
    assert (call.name, call.arguments) == ("get_weather", '{"city": "Oslo"}')
    assert (chat.turns[3].content, chat.turns[3].tool_call_id) == ('{"temp_c": 3}', "call_1")
    beta = transcripts["fc_single"].cases[6].results["beta"]
    assert [(c.metric, c.value, c.reason) for c in beta.checks] == [
        ("pass", 0.0, "missing_argument: city")]
    # Every metric of a case, main first; the trial the registry does not know has its chat.
    checks = transcripts["lang_tasks"].cases[0].results["alpha"].checks
    assert [c.metric for c in checks] == ["pass", "correct", "in_language"]
    assert transcripts["legacy_check"].cases[3].results["beta"].turns is not None
    # A long turn keeps its head and its tail (the question), and says what it left out.
    prompt = transcripts["lc_needle"].cases[0].results["alpha"].turns[0]  # type: ignore[index]
    assert prompt.hidden_chars == len(LONG_PROMPT) - 3000 == 7525
    assert "[… 7,525 characters not shown …]" in prompt.content
    assert prompt.content.endswith("What is the storage code?")


def test_the_transcript_view_keeps_a_bounded_number_of_cases(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hands_on_module, "MAX_TRANSCRIPT_CASES", 5)
    register_trials(monkeypatch)
    store, run_id = build_trial_store(tmp_path / "bakeoff.sqlite")
    [single] = [t for t in build_report_data(store, [run_id]).hands_on.transcripts
                if t.trial == "fc_single"]
    assert (len(single.cases), single.total_cases) == (5, 20)
    assert clip("x" * 10, limit=4) == ("xx\n[… 6 characters not shown …]\nxx", 6)


def test_the_verdict_chooses_for_a_category_only_at_p_below_0_05(data: ReportData) -> None:
    quality = verdict_details(data, recommend(data, load_profiles()))[0]
    assert quality.startswith("No model is significantly better than another on any "
                              "standard benchmark")  # mmlu alone: p = 0.25; the trials are apart
    assert hands_on_sentence(data) == (
        "For logic puzzles, choose alpha: it passed 18/20 cases vs 4/20 for beta (McNemar exact "
        "p < 0.001). "
        "For function calling, no model is significantly better than every other: alpha beats "
        "beta, 34/40 vs 12/40 cases (McNemar exact p < 0.001); alpha and gamma not compared "
        "(fc_single: scored in different modes (native tools and prompted tools)); beta and "
        "gamma not compared (fc_single: scored in different modes (native tools and prompted "
        "tools)). "
        "For long context, choose alpha: it passed 12/12 cases vs 6/12 for beta (McNemar exact "
        "p = 0.0312). "
        "For languages, the difference is not significant at this sample size: alpha 7/10 vs "
        "beta 3/10 cases (McNemar exact p = 0.125). "
        "For other trials, the difference is not significant at this sample size: alpha 3/4 vs "
        "beta 1/4 cases (McNemar exact p = 0.5).")


def test_the_faq_answers_per_category_from_the_pooled_test(data: ReportData) -> None:
    entries = {e.question: e for e in faq(data) if e.evidence["kind"] == "hands_on"}
    tools = entries["Which does better at function calling, alpha or beta?"]
    assert tools.answer == ("alpha: it passed 34/40 cases vs 12/40 for beta (McNemar exact "
                            "p < 0.001).")
    assert tools.evidence["passed"] == {"alpha": 34, "beta": 12}
    assert tools.evidence["significant"] is True
    languages = entries["Which does better at languages, alpha or beta?"]
    assert languages.answer == ("Not significantly different at this sample size: alpha passed "
                                "7/10 cases, beta 3/10 (McNemar exact p = 0.125).")
    assert entries["Which does better at function calling, alpha or gamma?"].answer == (
        "Not compared: fc_single: scored in different modes (native tools and prompted tools).")
    assert "Which does better at logic puzzles, alpha or gamma?" not in entries


def test_profiles_weigh_trial_categories(data: ReportData) -> None:
    by_key = {r.profile.key: r for r in recommend(data, load_profiles())}
    tools = by_key["tool-use"]
    # The function-calling cases pooled, modes crossed: alpha passed 34/40 vs 12/40 for beta
    # and 18/19 (native tools) vs 10/19 for gamma (prompted tools), both significant, so
    # neither beta nor gamma can be chosen.
    assert (tools.choice, tools.scores) == ("alpha", {"alpha": 1.0})
    assert tools.excluded == {
        "beta": "significantly worse on function calling and structured output: alpha 34/40 "
                "vs beta 12/40, McNemar exact p < 0.001",
        "gamma": "significantly worse on function calling and structured output: alpha 18/19 "
                 "(native tools) vs gamma 10/19 (prompted tools), McNemar exact p = 0.00781"}
    assert tools.not_measured == ["time to first token"]
    accuracy = by_key["accuracy-critical"]
    # quality (mmlu): alpha and beta level; logic puzzles pooled: beta 4/20 vs 18/20.
    assert accuracy.excluded == {"beta": "significantly worse on logic puzzles and programs: "
                                         "alpha 18/20 vs beta 4/20, McNemar exact p < 0.001"}
    assert accuracy.choice == "alpha"
    code = by_key["code"]  # no humaneval, mbpp nor Programs trial: no pick on context alone
    assert code.choice is None
    assert code.reasons == ["quality on humaneval, mbpp and hands-on trials were not measured: "
                            "no choice"]


def test_a_trial_every_case_of_which_was_not_run_shows_its_error_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TRIALS, "lc_long", StandIn(TrialInfo("lc_long", "Long context", "match",
                                                             "needles")))
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "quick", {"models": [{"name": "small"}]}, {})
    for i in range(3):
        store.put_error(run_id, "small", "lc_long", f"lc_long/{i}",
                        ErrorRecord("unsupported", "needs about 65536 tokens"))
    data = build_report_data(store, [run_id], generated_at=GENERATED_AT)
    assert data.comparison is not None
    assert list(data.comparison.trials) == ["lc_long"]
    assert data.comparison.trial_errors == {"lc_long": {"small": {"unsupported": 3}}}
    markdown = render_report(data)[".md"]
    assert "| lc_long | pass | — |" in markdown
    assert "| lc_long | 3 unsupported |" in markdown
    assert "Not measured: no item was scored." in markdown
    assert "(nothing measured: run 1 scored no item)" in markdown
    assert ("> Nothing was measured: run 1 (suite quick) is running, no item was scored, and 3 "
            "items ended in an error.") in markdown


def test_an_error_of_an_earlier_run_does_not_count_once_the_case_is_scored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TRIALS, "lc_long", StandIn(TrialInfo("lc_long", "Long context", "match",
                                                             "needles")))
    store = Store(tmp_path / "s.sqlite")
    store.put_samples("lc_long", [Sample("lc_long/0", "text", "[]", (),
                                         (("length", "8192"), ("depth", "0.5")))])
    first, second = (store.create_run(h, "quick", {"models": [{"name": "m"}]}, {})
                     for h in ("h1", "h2"))
    store.put_error(first, "m", "lc_long", "lc_long/0", ErrorRecord("timeout", "timed out"))
    store.put_trial_result(second, "m", "lc_long", "chat", [Score("lc_long/0", "pass", 1.0,
                                                                  "found")], [],
                           [Message("user", "text"), Message("assistant", "4821937")])
    data = build_report_data(store, [first, second], generated_at=GENERATED_AT)
    assert data.comparison is not None and data.comparison.trial_errors == {}
    heat = data.hands_on.heat_map
    assert heat is not None
    assert heat.models["m"].not_run == {} and heat.models["m"].effective_length == 8192
    assert data.hands_on.transcripts[0].cases[0].errors == {}


def _files(data: ReportData) -> dict[str, str]:
    return render_report(data, html_name="trials-1.html")


@pytest.mark.parametrize("suffix", [".md", ".json"])
def test_the_report_of_stored_trials_matches_its_golden_file(data: ReportData,
                                                             suffix: str) -> None:
    """tests/report/golden/trials-1.*: rewrite with BAKEOFF_UPDATE_GOLDEN=1 and review."""
    text = _files(data)[suffix]
    golden = GOLDEN / f"trials-1{suffix}"
    if os.environ.get("BAKEOFF_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_markdown_and_json_carry_the_same_hands_on_figures(data: ReportData) -> None:
    files = _files(data)
    markdown, document = files[".md"], json.loads(files[".json"])
    benchmarks = markdown.split("## Standard benchmarks")[1].split("### Pairwise")[0]
    assert "| mmlu | acc |" in benchmarks and "fc_single" not in benchmarks
    trials = markdown.split("## Hands-on trials")[1].split("## Speed")[0]
    for heading in ("### Logic puzzles", "### Function calling", "#### Failures by rule",
                    "### Long context", "#### Recall by length and depth", "### Languages",
                    "#### By language", "### Other", "### Errors (cases not scored)",
                    "### Transcripts"):
        assert heading in trials, heading
    assert "[trials-1.html](trials-1.html#trials)" in trials
    assert "| missing_argument | 0 | 12 | 0 |" in trials
    assert "| 4,096 | 1.00 (n=2) | 0.50 (n=2) | 0.00 (n=2) | 0.50 |" in trials
    assert "| 4,096 | not run (2) | not run (2) | not run (2) | — |" in trials
    assert "- alpha: effective length 2,048 tokens (mean over depths ≥ 0.85 up to there)." \
        in trials
    assert "| fr | in_language | 1.000 (n=4) | 0.500 (n=4) | — |" in trials
    assert "| lc_needle | 0 | 6 unsupported | 0 |" in trials
    # The marked cell needs significance: fc_parallel's alpha, not fc_single's.
    assert "| fc_parallel | pass | **0.800**" in trials
    assert "| fc_single | pass | 0.900" in trials

    hands_on = document["hands_on"]
    assert document["report_schema_version"] == 5
    tools = next(c for c in hands_on["categories"] if c["category"] == "Function calling")
    assert tools["totals"]["gamma"] == {"passed": 10, "cases": 19}
    assert [(p["model_a"], p["model_b"], p["passed_a"], p["passed_b"], p["significant"])
            for p in tools["pairwise"]] == [("alpha", "beta", 34, 12, True),
                                            ("alpha", "gamma", None, None, None),
                                            ("beta", "gamma", None, None, None)]
    assert hands_on["failures_by_rule"]["models"]["beta"]["missing_argument"] == 12
    assert hands_on["long_context"]["models"]["alpha"]["effective_length"] == 2048
    assert hands_on["long_context"]["models"]["beta"]["not_run"][0] == {
        "length": 4096, "depth": 0.0, "cases": 2}
    assert {"language": "it", "model": "beta", "metric": "pass", "mean": 0.0, "n": 2} in \
        hands_on["languages"]["rows"]
    assert {"trial": "lc_needle", "model": "beta", "kind": "unsupported", "cases": 6} in \
        hands_on["errors"]
    assert document["verdict_details"][1].startswith("For logic puzzles, choose alpha")


def test_the_terminal_summary_shows_the_trial_scores(data: ReportData) -> None:
    summary = terminal_summary(decide(data))
    assert "## Hands-on trials\n\n| trial | metric | alpha | beta | gamma |" in summary
    assert "| legacy_check | pass |" in summary
