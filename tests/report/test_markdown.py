"""The Markdown report of a fixed set of stored results, compared with the expected text.

The intervals come from a seeded numpy bootstrap: a numpy release that changes its random
streams may move their third decimal, and this expected text with it.
"""

from pathlib import Path

from bakeoff.report.comparison import build_comparison
from bakeoff.report.markdown import render_markdown
from bakeoff.store import Store
from tests.report.stored import ENVIRONMENT, build_store

EXPECTED = """\
# bakeoff report — run 1

- run 1: suite `quick`, finished, started 2023-11-14 22:13 UTC, bakeoff 0.1.0, Python 3.11.9

## Scores

| benchmark | metric | alpha | beta | gamma |
| --- | --- | --- | --- | --- |
| gsm8k | exact_match | **0.550** ± 0.114 [0.350, 0.750] (n=20, generative, 5-shot) | 0.450 ± 0.114 [0.250, 0.650] (n=20, generative, 5-shot) | — |
| humaneval | pass@5 | **0.640** ± 0.091 [0.470, 0.810] (n=10, generative, 0-shot) | 0.433 ± 0.073 [0.300, 0.567] (n=9, generative, 0-shot) | — |
| mmlu | acc | 0.750 ± 0.069 [0.600, 0.875] (n=40, generative, 5-shot) | 0.450 ± 0.080 [0.300, 0.600] (n=40, generative, 5-shot) | 0.500 ± 0.080 [0.350, 0.650] (n=40, loglikelihood, 5-shot) |

Warning: mmlu acc was scored in different modes (generative and loglikelihood); those scores are not ranked against each other.

## Pairwise

### gsm8k · exact_match

- alpha vs beta: not significant at this sample size (alpha - beta = +0.100, 95% interval [-0.100, +0.300], McNemar exact p = 0.625; 20 items, only alpha right on 3, only beta right on 1).

### humaneval · pass@5

- **alpha beats beta** (alpha - beta = +0.256, 95% interval [+0.156, +0.344], paired bootstrap p < 0.001; 9 items, alpha higher on 8, beta higher on 0).

### mmlu · acc

- **alpha beats beta** (alpha - beta = +0.300, 95% interval [+0.100, +0.475], McNemar exact p = 0.00754; 40 items, only alpha right on 15, only beta right on 3).
- alpha vs gamma: not compared, scored in different modes (generative and loglikelihood); their scores are not ranked against each other.
- beta vs gamma: not compared, scored in different modes (generative and loglikelihood); their scores are not ranked against each other.

## Usage

|  | alpha | beta | gamma |
| --- | --- | --- | --- |
| errors | 0 | 1 | 0 |
| calls | 1 | 1 | 1 |
| input tokens (generation) | 1,200 | 1,000 (estimate) | 0 |
| output tokens | 300 | 450 (estimate) | 0 |
| generation time (s) | 2.5 | 2.5 | 0.0 |
| cost (USD) | $0.0018 | — (no price) | — (no price) |

Scores are means over the items scored, ± one standard error, then [the bootstrap 95% interval] from 10,000 resamples of the items (seed 1234); **bold** marks the highest mean in a row when all models were scored in the same mode (not a claim of significance). Pairwise: each pair of models on the items both were scored on; right/wrong scores by McNemar's exact test, other scores by a paired bootstrap, the interval by a paired bootstrap; a model "beats" another only at p < 0.05 (not adjusted for the number of pairs). Errors are calls that failed after their retries: never scored. Generation time sums each request's latency; loglikelihood scoring is not counted in tokens.
"""  # noqa: E501


def test_the_report_of_stored_results_matches_the_expected_text(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    assert render_markdown(build_comparison(store, [run_id])) == EXPECTED


def test_a_difference_is_a_win_only_when_significant(tmp_path: Path) -> None:
    store, run_id = build_store(tmp_path / "bakeoff.sqlite")
    report = render_markdown(build_comparison(store, [run_id]))
    wins = [line for line in report.splitlines() if line.startswith("- ") and "beats" in line]
    assert len(wins) == 2
    assert all("p < 0.001" in line or "p = 0.00754" in line for line in wins)
    assert "not significant at this sample size" in report


def test_a_single_model_has_no_pairs(tmp_path: Path) -> None:
    store = Store(tmp_path / "bakeoff.sqlite")
    run_id = store.create_run("h", "quick", {"models": [{"name": "solo"}]}, ENVIRONMENT)
    report = render_markdown(build_comparison(store, [run_id]))
    assert "(fewer than two models scored on any benchmark metric)" in report
    assert "(no scores yet)" in report
