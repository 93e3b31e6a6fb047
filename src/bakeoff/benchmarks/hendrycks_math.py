"""MATH (Hendrycks et al.) maj@4: 4-shot Minerva prompt, 4 sampled solutions, majority vote.

Data and prompt follow lm-evaluation-harness's `minerva_math` group (version 3.1): the test
splits of EleutherAI/hendrycks_math's seven subject configs, in lm-eval's order (5,000 items);
the four fixed Minerva exemplars (Lewkowycz et al. 2022, appendix; lm-eval's
`list_fewshot_samples`, its first_n sampler) each written "Problem:\\n{problem}\\n\\nSolution:
{solution}" and joined by "\\n\\n", then "Problem:\\n{problem}\\n\\nSolution:"; generation stops
at "Problem:".

Scoring follows lm-eval's `math_verify` metric: the reference is math-verify's `parse` of the
reference solution, each sampled solution is parsed the same way, and two answers are the same
when math-verify's `verify` says so (\\frac{1}{2}, 0.5 and 1/2 are one answer). Answers are
grouped by that equivalence, not by their strings, and voted on: maj@4 and maj@1 are computed
as in `bakeoff.scoring.voting` (expectation over k-subsets; a tie scores the fraction of tied
answers that are correct; a solution with no parseable answer does not vote).

Deviations from lm-eval: lm-eval's minerva_math is greedy with one sample; maj@4 samples 4
solutions at temperature 0.6 (Minerva's setting), seeds 0-3, and allows 512 new tokens (lm-eval
allows 256, which cuts many Minerva-style solutions before their final answer). lm-eval's
second metric, exact_match on Minerva-normalised strings with a sympy LaTeX parser, is not
reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import HubSource, load_first
from bakeoff.benchmarks.generative import SampledMajorityBenchmark, require_fields
from bakeoff.scoring.extract import math_answers_equivalent, parse_math_answer, truncate_at_stop
from bakeoff.scoring.voting import majority_vote
from bakeoff.types import Completion, GenerationConfig, Sample, Score

NAME = "math_maj4"
# EleutherAI/hendrycks_math at a commit another project pins for the same dataset.
REVISION = "21a5633873b6a120296cce3e2df9d5550074f4a3"
SUBJECTS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra",
            "number_theory", "prealgebra", "precalculus")
TEST_SOURCES = tuple(HubSource("EleutherAI/hendrycks_math", "test", REVISION, name=subject)
                     for subject in SUBJECTS)
NUM_SHOTS = 4
SAMPLES = 4
K = 4
TEMPERATURE = 0.6
STOP_SEQUENCES = ("Problem:",)


def maj_metric(k: int) -> str:
    return f"maj@{k},math-verify"


MINERVA_SHOTS: tuple[tuple[str, str], ...] = (
    (
        'Find the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.',
        'The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge'
        ' 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot '
        'be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expr'
        'ession is $\\boxed{[2,5)}$.\nFinal Answer: The final answer is $[2,5)$. I hope it '
        'is correct.',
    ),
    (
        'If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find $\\det (\\mathb'
        'f{A} \\mathbf{B}).$',
        'We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf'
        '{B}) = (2)(12) = \\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it '
        'is correct.',
    ),
    (
        'Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weigh'
        'ts instead, how many times must Terrell lift them in order to lift the same total '
        'weight?',
        'If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\c'
        'dot20=480$ pounds of weight.  If he lifts two 15-pound weights instead for $n$ tim'
        'es, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight.  Equating th'
        'is to 480 pounds, we can solve for $n$:\n\\begin{align*}\n30n&=480\\\\\n\\Rightarr'
        'ow\\qquad n&=480/30=\\boxed{16}\n\\end{align*}\nFinal Answer: The final answer is '
        '$16$. I hope it is correct.',
    ),
    (
        'If the system of equations\n\n\\begin{align*}\n6x-4y&=a,\\\\\n6y-9x &=b.\n\\end{al'
        'ign*}has a solution $(x, y)$ where $x$ and $y$ are both nonzero,\nfind $\\frac{a}{'
        'b},$ assuming $b$ is nonzero.',
        'If we multiply the first equation by $-\\frac{3}{2}$, we obtain\n\n$$6y-9x=-\\frac'
        '{3}{2}a.$$Since we also know that $6y-9x=b$, we have\n\n$$-\\frac{3}{2}a=b\\Righta'
        'rrow\\frac{a}{b}=\\boxed{-\\frac{2}{3}}.$$\nFinal Answer: The final answer is $-\\'
        'frac{2}{3}$. I hope it is correct.',
    ),
)


@dataclass(frozen=True)
class MathItem:
    index: int  # position in the evaluated data (subjects concatenated in SUBJECTS order)
    problem: str
    solution: str  # the reference solution, its answer in \boxed{}

    @property
    def sample_id(self) -> str:
        return f"math/{self.index}"


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[MathItem]:
    """Hub rows (problem, level, type, solution) as items."""
    require_fields(rows, ("problem", "solution"), "MATH row")
    return [MathItem(index=index, problem=str(row["problem"]), solution=str(row["solution"]))
            for index, row in enumerate(rows)]


# --- prompt (lm-eval minerva_math) ---------------------------------------------------------


def format_problem(problem: str) -> str:
    return f"Problem:\n{problem}\n\nSolution:"


def build_prompt(problem: str) -> str:
    """The four Minerva exemplars (target delimiter " ", few-shot delimiter "\\n\\n")."""
    solved = "".join(f"{format_problem(shot)} {solution}\n\n" for shot, solution in MINERVA_SHOTS)
    return solved + format_problem(problem)


def sampled_configs(samples: int) -> list[GenerationConfig]:
    return [GenerationConfig(max_tokens=512, temperature=TEMPERATURE, seed=seed,
                             stop=STOP_SEQUENCES) for seed in range(samples)]


# --- scoring -------------------------------------------------------------------------------


def majority_scores(sample: Sample, completions: Sequence[Completion],
                    ks: Sequence[int]) -> list[Score]:
    """maj@k for each k: answers grouped by math-verify equivalence, then voted on."""
    gold = parse_math_answer(sample.target)
    answers = [parse_math_answer(truncate_at_stop(c.text, STOP_SEQUENCES)) for c in completions]
    vote = majority_vote(answers, math_answers_equivalent,
                         lambda answer: gold is not None and math_answers_equivalent(gold, answer),
                         ks)
    voted = None if vote.winner is None else describe_answer(vote.winner)
    return [Score(sample_id=sample.id, metric=maj_metric(k), value=value, extracted=voted)
            for k, value in zip(ks, vote.accuracies, strict=True)]


def describe_answer(parsed: Sequence[Any]) -> str:
    """The answer as math-verify read it: its string form (the last item), e.g. "\\frac{1}{2}"."""
    return str(parsed[-1])


# --- the benchmark -------------------------------------------------------------------------


class MathMajority(SampledMajorityBenchmark):
    info: BenchmarkInfo = BenchmarkInfo(
        name=NAME,
        shots=NUM_SHOTS,
        metric=maj_metric(K),
        description="MATH test (7 subjects, 5,000 items), 4-shot Minerva prompt, 4 samples at "
                    f"temperature {TEMPERATURE}, majority vote by math-verify equivalence",
        source="hub EleutherAI/hendrycks_math (7 configs) split test",
        modes=("generative",),
        metrics=(maj_metric(K), maj_metric(1)),
        sources=TEST_SOURCES,
    )
    sampled_configs = staticmethod(sampled_configs)
    majority_scores = staticmethod(majority_scores)

    def __init__(self, data_file: Path | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 samples: int = SAMPLES, k: int = K) -> None:
        """`rows` (hub schema) replace every source; `data_file` is the user's file (one file,
        all subjects, hub schema)."""
        self._set_voting(samples, k, maj_metric)
        self._data_file = data_file
        self._rows = rows
        self.data_source: str | None = "rows given by the caller" if rows is not None else None

    def _load(self) -> list[dict[str, Any]] | Sequence[Mapping[str, Any]]:
        if self._rows is not None:
            return self._rows
        if self._data_file is not None:
            loaded = load_first(NAME, [], self._data_file)
            self.data_source = loaded.source.describe()
            return loaded.rows
        parts = [load_first(f"{NAME} ({source.name})", [source]) for source in TEST_SOURCES]
        self.data_source = ", ".join(part.source.describe() for part in parts)
        return [row for part in parts for row in part.rows]

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        return [Sample(id=item.sample_id, input=build_prompt(item.problem), target=item.solution)
                for item in parse_rows(self._load())[:limit]]

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"
