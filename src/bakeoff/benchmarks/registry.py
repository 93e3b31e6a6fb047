"""The benchmarks bakeoff knows by name. Constructing one is cheap: data load on first use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bakeoff.benchmarks.arc import arc_challenge, arc_challenge_25
from bakeoff.benchmarks.base import Benchmark
from bakeoff.benchmarks.gsm8k import GSM8K, GSM8KMajority
from bakeoff.benchmarks.hellaswag import HellaSwag
from bakeoff.benchmarks.hendrycks_math import MathMajority
from bakeoff.benchmarks.humaneval import HumanEval
from bakeoff.benchmarks.mbpp import MBPP
from bakeoff.benchmarks.mgsm import mgsm_factory
from bakeoff.benchmarks.mmlu import MMLU
from bakeoff.benchmarks.multilingual import MULTILINGUAL_BENCHMARKS
from bakeoff.benchmarks.nq_open import NaturalQuestionsOpen
from bakeoff.benchmarks.triviaqa import TriviaQA
from bakeoff.benchmarks.truthfulqa import TruthfulQAMC1
from bakeoff.benchmarks.winogrande import WinoGrande

# Each factory accepts `data_file=` (the user's file, hub schema). The `full` suite is every
# name here, in this order.
BENCHMARKS: dict[str, Callable[..., Benchmark]] = {
    "mmlu": MMLU,
    "hellaswag": HellaSwag,
    "winogrande": WinoGrande,
    "arc_challenge": arc_challenge,
    "arc_challenge_25": arc_challenge_25,
    "gsm8k": GSM8K,
    "gsm8k_maj8": GSM8KMajority,
    "math_maj4": MathMajority,
    "triviaqa": TriviaQA,
    "nq_open": NaturalQuestionsOpen,
    "mgsm_en": mgsm_factory("en"),
    "mgsm_fr": mgsm_factory("fr"),
    "mgsm_de": mgsm_factory("de"),
    "mgsm_es": mgsm_factory("es"),
    "humaneval": HumanEval,
    "mbpp": MBPP,
    "truthfulqa_mc1": TruthfulQAMC1,
    **MULTILINGUAL_BENCHMARKS,
}


class UnknownBenchmarkError(ValueError):
    """A benchmark name that is not in `BENCHMARKS`."""


def get_benchmark(name: str, data_file: Path | None = None) -> Benchmark:
    """A fresh benchmark by name, e.g. "mmlu", reading `data_file` instead of its own sources."""
    try:
        factory = BENCHMARKS[name]
    except KeyError:
        known = ", ".join(sorted(BENCHMARKS))
        raise UnknownBenchmarkError(f"unknown benchmark {name!r}; known: {known}") from None
    return factory(data_file=data_file) if data_file is not None else factory()
