"""The Markdown and JSON reports of a fixed set of stored results, compared with golden files
byte for byte (tests/report/golden/). After a deliberate change to the report, rewrite them
with `BAKEOFF_UPDATE_GOLDEN=1 make test` and review the diff.

The intervals come from a seeded numpy bootstrap: a numpy release that changes its random
streams may move their third decimal, and the golden text with it.
"""

import html
import json
import os
import sqlite3
from pathlib import Path

import pytest

from bakeoff.api import render_report
from bakeoff.report.data import build_report_data, report_from_cards
from bakeoff.report.insights import DecisionReport, Profile, Recommendation, decide
from bakeoff.report.markdown import BOLD_MEANING, terminal_summary
from bakeoff.report.tables import choice_reasons, choice_table
from bakeoff.store import Store
from tests.report.stored import ENVIRONMENT, PLAN, build_store

GOLDEN = Path(__file__).parent / "golden"
GENERATED_AT = 1700000200.0


def _files(tmp_path: Path) -> dict[str, str]:
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    with sqlite3.connect(tmp_path / "bakeoff.sqlite") as db:  # the run ends at a fixed time
        db.execute("UPDATE runs SET finished_at = 1700000100.0")
    data = build_report_data(store, [run_id], generated_at=GENERATED_AT)
    return render_report(data, html_name="run-1.html")


@pytest.mark.parametrize("suffix", [".md", ".json"])
def test_the_report_of_stored_results_matches_its_golden_file(tmp_path: Path,
                                                              suffix: str) -> None:
    text = _files(tmp_path)[suffix]
    golden = GOLDEN / f"run-1{suffix}"
    if os.environ.get("BAKEOFF_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_markdown_has_every_section_of_the_html_page(tmp_path: Path) -> None:
    report = _files(tmp_path)[".md"]
    for heading in ("## Spec sheet", "## Standard benchmarks", "### Pairwise significance",
                    "## Transcripts", "## Hands-on trials", "## Speed",
                    "## Price and cost-effectiveness", "## Which should you choose?", "## FAQ",
                    "## Published vs measured", "## Methodology and reproducibility"):
        assert heading in report, heading
    verdict = json.loads(_files(tmp_path)[".json"])["verdict"]
    assert "> " + " ".join(verdict) in report


def test_a_difference_is_a_win_only_when_significant(tmp_path: Path) -> None:
    report = _files(tmp_path)[".md"]
    wins = [line for line in report.splitlines() if line.startswith("- ") and "beats" in line
            and not line.startswith("- Standard benchmarks:")]  # (the verdict's evidence)
    assert len(wins) == 2
    assert all("p < 0.001" in line or "p = 0.00754" in line for line in wins)
    assert "not significant at this sample size" in report


def test_a_single_model_has_no_pairs(tmp_path: Path) -> None:
    store = Store(tmp_path / "bakeoff.sqlite")
    run_id = store.create_run("h", "quick", {"models": [{"name": "solo"}]}, ENVIRONMENT)
    report = render_report(build_report_data(store, [run_id]))[".md"]
    assert "Not measured: no item was scored." in report
    assert "## Speed\n\nNot measured" in report


def _decided(tmp_path: Path) -> DecisionReport:
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    return decide(build_report_data(store, [run_id], generated_at=GENERATED_AT))


def test_the_terminal_summary_keeps_the_verdict_scores_and_choices(tmp_path: Path) -> None:
    summary = terminal_summary(_decided(tmp_path))
    assert summary.startswith("# alpha vs beta vs gamma")
    assert "> Choose alpha for " in summary
    assert "\n- Standard benchmarks: alpha beats beta" in summary
    assert "| mmlu | acc |" in summary and "## Which should you choose?" in summary
    assert "## Spec sheet" not in summary and "### Pairwise" not in summary
    assert "<br>" not in summary


def test_the_terminal_summary_is_what_it_was_when_cut_from_the_markdown(tmp_path: Path) -> None:
    """golden/run-1.txt is what the terminal printed when the summary was cut out of the
    rendered Markdown: rendered from the report data now, it prints the same."""
    summary = terminal_summary(_decided(tmp_path))
    if os.environ.get("BAKEOFF_UPDATE_GOLDEN"):
        (GOLDEN / "run-1.txt").write_text(summary, encoding="utf-8")
    assert summary == (GOLDEN / "run-1.txt").read_text("utf-8")


def test_the_summary_of_an_unmeasured_report_has_its_three_parts() -> None:
    summary = terminal_summary(decide(report_from_cards(["gpt-4o-mini"], generated_at=0.0)))
    assert summary.startswith("# gpt-4o-mini\n\nbakeoff decision report (published figures "
                              "only — nothing measured)\n\n> Nothing was measured")
    assert "## Standard benchmarks\n\nNot measured: no benchmark was run.\n\n" in summary
    assert "(src/bakeoff/report/profiles.toml in bakeoff's source; copy it and pass " \
        "--profiles)" in summary


def test_the_usage_table_the_price_table_and_the_json_show_one_cost(tmp_path: Path) -> None:
    files = _files(tmp_path)
    cost = json.loads(files[".json"])["costs"]["alpha"]
    shown = f"${cost['cost_usd']:.4f}"
    lines = files[".md"].splitlines()
    assert next(line for line in lines if line.startswith("| cost (USD) |")).split(" | ")[1] \
        == shown
    price_row = next(line for line in lines if line.startswith("| alpha | $"))
    assert price_row.split(" | ")[4] == shown
    per_correct = {f"{b['benchmark']} {b['metric']}": f"${b['per_1000_correct']:.4f}"
                   for b in cost["benchmarks"]}
    assert price_row.split(" | ")[5] == "<br>".join(
        f"{name}: {value}" for name, value in per_correct.items()) + " |"


def test_bold_means_significantly_better_than_every_other_model_in_every_format(
        tmp_path: Path) -> None:
    files = _files(tmp_path)
    markdown = files[".md"]
    assert "| gsm8k | exact_match | 0.550 ±" in markdown  # the higher mean, not significant
    assert "| mmlu | acc | 0.750 ±" in markdown  # beats beta; gamma is in another mode
    assert "| humaneval | pass@5 | **0.640** ±" in markdown
    assert markdown.count("**") == 2 and BOLD_MEANING in markdown
    document = json.loads(files[".json"])
    assert document["best"] == [{"benchmark": "humaneval", "metric": "pass@5", "model": "alpha"}]
    assert document["bold_meaning"] == BOLD_MEANING
    assert files[".html"].count("<span class=best>") == 1
    assert html.escape(BOLD_MEANING) in files[".html"]
    assert BOLD_MEANING in terminal_summary(_decided(tmp_path))


def test_a_run_that_scored_nothing_says_so_and_claims_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "bakeoff.sqlite")
    run_id = store.create_run("h", "quick", PLAN, ENVIRONMENT)
    store.set_run_status(run_id, "interrupted")
    files = render_report(build_report_data(store, [run_id]))
    markdown = files[".md"]
    assert "bakeoff decision report (nothing measured: run 1 scored no item)" in markdown
    assert ("> Nothing was measured: run 1 (suite quick) is interrupted, no item was scored. No "
            "quality or run cost was measured; any other figure here is published, from the "
            "cards.\n") in markdown
    assert "(measured)" not in markdown and "distinguishable" not in markdown
    assert "## Standard benchmarks\n\n- run 1: suite `quick`, interrupted" in markdown
    assert "Not measured: no item was scored." in markdown
    assert "Not measured: no hands-on trial case was scored in these runs." in markdown
    assert "| benchmark | metric |" not in markdown and "Bold marks" not in markdown
    assert "nothing measured: run 1 scored no item" in files[".html"]
    assert json.loads(files[".json"])["measured"] is False


def test_a_use_case_without_a_pick_gives_one_reason_and_none_contradicts_another(
        tmp_path: Path) -> None:
    rows = {row[0]: row[1:] for row in choice_table(_decided(tmp_path).recommendations)[1]}
    assert rows["Tight budget"] == [
        "no choice", "Most of what this profile weighs has no figure (blended price for the "
        "models not excluded); excluded alpha: blended $1.25 > $1 per 1M."]
    assert rows["Tool use and agents"] == ["no choice", "Hands-on trials were not measured."]
    for choice, why in rows.values():
        assert "not measured: " not in why
        if choice == "no choice":
            assert "\n" not in why and why.endswith(".") and ". " not in why


def test_the_methodology_gives_the_command_that_made_the_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "bakeoff.sqlite")
    recorded = store.create_run("h", "quick", PLAN, {**ENVIRONMENT,
                                                     "command": "bakeoff run --suite quick"})
    bare = store.create_run("h2", "standard", PLAN, ENVIRONMENT)
    markdown = render_report(build_report_data(store, [recorded, bare]))[".md"]
    methodology = markdown[markdown.index("## Methodology"):]
    assert "- run 1: made by: bakeoff run --suite quick; suite quick," in methodology
    assert ("- run 2: its command line was not recorded (a bakeoff run of suite standard on "
            "alpha, beta, gamma); suite standard,") in methodology
    assert ("Commands: the runs' (where recorded), then this report's:\n\n"
            "- `bakeoff run --suite quick`\n- `bakeoff report 1 2`\n") in methodology


def test_a_reason_that_starts_with_a_model_name_keeps_its_case() -> None:
    profile = Profile("long", "Long documents", (), {"quality": 1.0}, {})
    tied = Recommendation(profile, None, {"gemma-3-270m": 1.0, "qwen": 1.0},
                          ["gemma-3-270m and qwen tie at 1.00: no clear choice"],
                          {"smollm2": "context 8,192 < 32,768"})
    assert choice_reasons(tied) == ["gemma-3-270m and qwen tie at 1.00; excluded smollm2: "
                                    "context 8,192 < 32,768."]


def test_usage_says_how_its_time_is_counted_and_a_missing_price_is_one_dash(
        tmp_path: Path) -> None:
    lines = _files(tmp_path)[".md"].splitlines()
    # Requests that ran at once each count in the sum; the wall-clock union is beside it.
    assert any(line.startswith("| generation time, summed over requests (s) |") for line in lines)
    assert any(line.startswith("| generation wall-clock time (s) |") for line in lines)
    assert "| model | $ per 1M tokens in / out | blended $ per 1M (3:1) |" in "\n".join(lines)
    assert "| alpha | $1 / $2 | $1.25 |" in "\n".join(lines)
    # No price: one dash with its reason, not one per metric.
    assert "| beta | — | — | — | no price | — (no price) |" in lines
