"""GSM8K maj@8: eight distinct seeded samples, majority vote of flexible-extract answers."""

from __future__ import annotations

import pytest

from bakeoff.benchmarks.gsm8k import (
    GSM8K,
    STOP_SEQUENCES,
    GSM8KMajority,
    maj_metric,
    majority_scores,
)
from bakeoff.types import Abilities, Completion, GenerationRequest, Timing, Usage, request_key
from tests.helpers.gsm8k import GOLDEN_PROMPT, tiny_rows


def completion(text: str) -> Completion:
    return Completion(text=text, usage=Usage(1, 1), timing=Timing(0.0, 1.0))


def test_same_prompt_as_gsm8k_and_eight_distinct_sampled_requests() -> None:
    maj = GSM8KMajority(rows=tiny_rows())
    [sample] = maj.load_samples()
    assert sample == GSM8K(rows=tiny_rows()).load_samples()[0]
    requests = maj.requests(sample, Abilities(loglikelihood=True, endpoint="completions"))
    assert len(requests) == 8
    configs = [r.config for r in requests if isinstance(r, GenerationRequest)]
    assert all(isinstance(r, GenerationRequest) and r.prompt == GOLDEN_PROMPT for r in requests)
    assert [c.seed for c in configs] == list(range(8))
    assert {c.temperature for c in configs} == {0.6}
    assert {c.stop for c in configs} == {STOP_SEQUENCES}
    assert len({request_key("p", "m", r) for r in requests}) == 8  # cached one by one
    chat = maj.requests(sample, Abilities(loglikelihood=False, endpoint="chat"))
    assert all(isinstance(r, GenerationRequest) and r.messages[0].content == GOLDEN_PROMPT
               for r in chat)


def test_vote_over_eight_answers() -> None:
    [sample] = GSM8KMajority(rows=tiny_rows()).load_samples()
    texts = [" $1,250."] * 3 + [" 1250"] + [" 125"] * 3 + [" no number"]
    maj8, maj1 = GSM8KMajority().score_all(sample, [completion(t) for t in texts])
    assert (maj8.metric, maj8.value) == (maj_metric(8), 1.0)  # "$1,250." and "1250" agree
    assert (maj1.metric, maj1.value) == (maj_metric(1), 0.5)
    assert maj8.extracted == "$1,250."
    assert GSM8KMajority().score(sample, [completion(t) for t in texts]) == maj8


def test_tie_and_all_unparseable() -> None:
    [sample] = GSM8KMajority(rows=tiny_rows()).load_samples()
    tie = [" 1250"] * 4 + [" 7"] * 4
    assert [s.value for s in majority_scores(sample, [completion(t) for t in tie], [8, 1])] \
        == [0.5, 0.5]
    nothing = majority_scores(sample, [completion(" none")] * 8, [8, 1])
    assert [(s.value, s.extracted) for s in nothing] == [(0.0, None), (0.0, None)]


def test_more_samples_than_k_uses_the_subset_expectation() -> None:
    [sample] = GSM8KMajority(rows=tiny_rows(), samples=3, k=2).load_samples()
    maj = GSM8KMajority(samples=3, k=2)
    assert len(maj.requests(sample, Abilities(loglikelihood=True, endpoint="completions"))) == 3
    scores = maj.score_all(sample, [completion(t) for t in (" 1250", " 1250", " 9")])
    assert [s.metric for s in scores] == [maj_metric(2), maj_metric(1)]
    assert scores[0].value == pytest.approx(2 / 3)  # {right,right}=1, two ties at 0.5


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="needs at least 8 samples"):
        GSM8KMajority(samples=4, k=8)
    [sample] = GSM8KMajority(rows=tiny_rows()).load_samples()
    with pytest.raises(ValueError, match="expects 8 completions"):
        GSM8KMajority().score_all(sample, [completion(" 1")])
