"""A use case's choice from the cases of the trials it weighs, pooled across modes: the
tool-use findings of a new user's demo (a model that passed 2 of 16 tool cases was chosen with
"score 1.00"), on a real store with the trials' own names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bakeoff.report.data import ModelSpeed, ReportData, SpeedFigures, build_report_data
from bakeoff.report.insights import Recommendation, decide, load_profiles, recommend
from bakeoff.report.pooled import pooled_quality, profile_trials
from bakeoff.store import Store
from bakeoff.types import Message, Score

MODELS = ["smollm2", "gemma", "qwen"]
# Time to first token, p50: gemma is the fastest, qwen the slowest.
TTFT = {"smollm2": 0.35, "gemma": 0.19, "qwen": 0.5}
NATIVE = {"qwen"}
# The demo's counts: trial -> (cases, main metric, model -> cases passed).
DEMO = {
    "tool_simple": (2, "pass", {"gemma": 0, "qwen": 2, "smollm2": 0}),
    "tool_multiple": (2, "pass", {"gemma": 0, "qwen": 1, "smollm2": 0}),
    "tool_parallel": (2, "pass", {"gemma": 0, "qwen": 0, "smollm2": 0}),
    "tool_parallel_multiple": (2, "pass", {"gemma": 0, "qwen": 0, "smollm2": 0}),
    "tool_multi_turn": (2, "pass", {"gemma": 0, "qwen": 0, "smollm2": 0}),
    "tool_irrelevance": (2, "pass", {"gemma": 2, "qwen": 1, "smollm2": 1}),
    "json_free": (2, "schema", {"gemma": 0, "qwen": 2, "smollm2": 0}),
    "json_constrained": (2, "schema", {"gemma": 0, "qwen": 2, "smollm2": 1}),
}
# Five cases each: 4 of 5 vs 0 of 5 is no significant difference on one trial (McNemar exact
# p = 0.125), 8 of 10 vs 0 of 10 pooled is (p = 0.0078).
TEN = {
    "tool_simple": (5, "pass", {"gemma": 0, "qwen": 4, "smollm2": 0}),
    "tool_multiple": (5, "pass", {"gemma": 0, "qwen": 4, "smollm2": 0}),
}


def _data(tmp_path: Path, trials: dict[str, tuple[int, str, dict[str, int]]],
          mmlu: dict[str, int] | None = None) -> ReportData:
    """The trials' counts as stored results; `mmlu`: items right of 10 per model."""
    store = Store(tmp_path / "bakeoff.sqlite")
    run_id = store.create_run("plan", "quick", {"models": [{"name": m} for m in MODELS]},
                              {"bakeoff": "0.1.0"})
    for model, right in (mmlu or {}).items():
        store.put_scores(run_id, model, "mmlu", "loglikelihood", 5,
                         [Score(f"mmlu/{i}", "acc", float(i < right)) for i in range(10)], [])
    for trial, (cases, metric, passed) in trials.items():
        for model in MODELS:
            mode = ("native tools" if model in NATIVE else "prompted tools") if trial.startswith(
                "tool_") else trial.removeprefix("json_")
            for case in range(cases):
                value = 1.0 if case < passed[model] else 0.0
                store.put_trial_result(run_id, model, trial, mode,
                                       [Score(f"{trial}/{case}", metric, value, "checked")], [],
                                       [Message("user", "ask"), Message("assistant", "answer")])
    store.set_run_status(run_id, "finished")
    speed = SpeedFigures({m: ModelSpeed(ttft_p50_s=t) for m, t in TTFT.items()}, "speed run 1")
    return build_report_data(store, [run_id], speed=speed, generated_at=0.0)


def _tool_use(data: ReportData) -> Recommendation:
    return next(r for r in decide(data).recommendations if r.profile.key == "tool-use")


def test_the_pooled_test_crosses_modes_and_says_which(tmp_path: Path) -> None:
    data = _data(tmp_path, DEMO)
    assert data.comparison is not None
    pooled = pooled_quality(data.comparison, profile_trials(
        data.comparison, ("Function calling", "Structured output")), "tool use")
    assert pooled is not None and len(pooled.trials) == 8
    pair = pooled.pair("gemma", "qwen")
    assert pair is not None and pair.test is not None
    # qwen alone passed 7 cases, gemma alone 1 (tool_irrelevance): McNemar exact p = 0.0703.
    assert (pair.test.b, pair.test.c) == (1, 7)
    assert pair.text("qwen") == (
        "qwen 8/16 vs gemma 2/16, McNemar exact p = 0.0703; 6 of 8 trials in different modes: "
        "qwen native tools, gemma prompted tools")
    assert pair.winner() is None


def test_a_difference_the_pooled_cases_do_not_show_is_said_and_never_a_score(
        tmp_path: Path) -> None:
    tools = _tool_use(_data(tmp_path, DEMO))
    # Not distinguishable on tool use, which carries most of the profile's weight: its minor
    # criterion (latency) does not get to pick; the reason says so with the figures.
    assert tools.choice is None
    assert tools.reasons == [
        "not distinguishable on function calling and structured output (2/16 vs 8/16 "
        "for qwen (prompted tools vs native tools on 6 of 8 trials), McNemar exact p = "
        "0.0703), which carries most of this use case's weight; the rest alone would claim "
        "more than the data show: no clear choice (more cases would tell)"]
    assert tools.decided == ""
    assert not any("score" in reason for reason in tools.reasons)


def test_a_minor_criterion_decides_when_what_is_level_weighs_less(tmp_path: Path) -> None:
    data = _data(tmp_path, DEMO)
    profile = next(p for p in load_profiles() if p.key == "tool-use")
    light = replace(profile, weights={"hands_on": 0.3, "latency": 0.7})
    tools = recommend(data, [light])[0]
    assert tools.choice == "gemma"
    assert tools.reasons[0] == (
        "not distinguishable on function calling and structured output (2/16 vs 8/16 "
        "for qwen (prompted tools vs native tools on 6 of 8 trials), McNemar exact p = 0.0703); "
        "decided by time to first token, p50 0.19 s vs 0.50 s for qwen")


def test_ten_pooled_cases_separate_what_no_trial_alone_can(tmp_path: Path) -> None:
    data = _data(tmp_path, TEN)
    assert data.comparison is not None
    # Per trial, 4/5 vs 0/5 is within the noise (and qwen's native tools are not ranked
    # against the others' prompted ones at all) ...
    assert not any(p.test is not None and p.test.significant
               for key in (("tool_simple", "pass"), ("tool_multiple", "pass"))
               for p in data.comparison.pairwise[key])
    tools = _tool_use(data)
    # ... pooled, 8/10 vs 0/10 is not: the faster models cannot be chosen.
    assert tools.choice == "qwen"
    assert tools.excluded == {
        m: (f"significantly worse on function calling and structured output: qwen 8/10 "
            f"(native tools) vs {m} 0/10 (prompted tools), McNemar exact p = 0.00781")
        for m in ("smollm2", "gemma")}
    assert tools.reasons[0] == (
        "better on function calling and structured output than smollm2 and gemma: 8/10 vs "
        "0/10 for smollm2 (native tools vs prompted tools on 2 of 2 trials), McNemar exact "
        "p = 0.00781")
    verdict = decide(data).verdict
    assert len(verdict) == 2
    assert verdict[0].startswith("Choose qwen for tool use (better on function calling and "
                                 "structured output than smollm2 and gemma: 8/10 vs 0/10")
    # The opening names the standard benchmarks as such, and the trial results that are
    # significant.
    assert verdict[1] == (
        "No standard benchmark was run; in the hands-on trials, qwen passes more of every "
        "trial's cases pooled than smollm2 and gemma (8/10 vs 0/10 and 8/10 vs 0/10, McNemar "
        "exact p = 0.00781 and McNemar exact p = 0.00781; modes differ on 2 trials) (paired "
        "tests, p < 0.05).")


def test_models_each_behind_somewhere_are_not_called_indistinguishable(tmp_path: Path) -> None:
    """qwen beats both others on mmlu, gemma beats both on the trials pooled: every model is
    behind somewhere, so none is barred, and the reason says there are differences that rank
    no one rather than "not distinguishable"."""
    data = _data(tmp_path, {"tool_simple": (8, "pass", {"gemma": 8, "qwen": 0, "smollm2": 0})},
                 mmlu={"gemma": 0, "qwen": 10, "smollm2": 0})
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[everything]\nweights = { quality = 1.0 }\n'
                        '[tools]\ntrial_categories = ["Function calling"]\n'
                        'weights = { hands_on = 1.0 }\n', encoding="utf-8")
    report = decide(data, profiles)
    everything, tools = report.recommendations
    assert (everything.choice, everything.excluded) == (None, {})
    assert everything.reasons == [
        "gemma, qwen: each is significantly worse than another on some of what this profile "
        "weighs (measured quality), and nothing puts one ahead: no clear choice"]
    assert ("no choice for everything (each model is behind another somewhere, none ahead)"
            in report.verdict[0])
    # On the trials alone gemma is ahead: chosen, the others excluded with the figures.
    assert tools.choice == "gemma" and set(tools.excluded) == {"qwen", "smollm2"}
