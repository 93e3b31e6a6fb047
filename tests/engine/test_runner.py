"""The runner's bookkeeping: caching, skipping done work, error records never scored.

A scripted provider (tests/helpers/fakes.py) stands in for a model here only to produce
failures on demand; the real-model paths are covered by the resume and server tests.
"""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from bakeoff.engine.runner import ModelSlot, Runner
from bakeoff.store import ScoredSample, Store
from bakeoff.types import Completion, GenerationRequest, Sample, Score
from tests.helpers.fakes import EchoBenchmark, ScriptedProvider


def run_once(store: Store, run_id: int, provider: ScriptedProvider, bench: EchoBenchmark,
             concurrency: int = 3) -> Runner:
    runner = Runner(store, run_id)
    slot = ModelSlot("m", provider, "scripted|m", concurrency)
    asyncio.run(runner.run([slot], {"echo": (bench, bench.samples)}))
    return runner


def test_failed_calls_become_error_records_and_are_never_scored(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    bench = EchoBenchmark(6)
    runner = run_once(store, run_id, ScriptedProvider({"word2"}, {"word4"}), bench)
    scored = {s.sample_id: s.value for s in store.scores(run_id)}
    assert "echo/2" not in scored
    assert scored["echo/4"] == 0.0 and scored["echo/0"] == 1.0
    assert [(e.sample_id, e.kind, e.attempts) for e in store.errors(run_id)] == [
        ("echo/2", "server_error", 5)]
    assert runner.counts.errors == 1 and runner.counts.scored == 5


def test_a_rerun_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    bench = EchoBenchmark(5)
    run_once(store, run_id, ScriptedProvider({"word3"}), bench)
    healed = ScriptedProvider(set())
    run_once(store, run_id, healed, bench)
    assert healed.calls == ["word3"]
    assert store.errors(run_id) == []
    assert len(store.scores(run_id)) == 5


def test_a_new_run_reuses_cached_completions(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    bench = EchoBenchmark(4)
    run_once(store, store.create_run("h", "t", {"models": []}, {}), ScriptedProvider(set()), bench)
    second = ScriptedProvider(set())
    runner = run_once(store, store.create_run("h", "t", {"models": []}, {}), second, bench)
    assert second.calls == []
    assert runner.counts.cache_hits == 4


def test_concurrency_is_bounded_per_model(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    provider = ScriptedProvider(set())
    run_once(store, store.create_run("h", "t", {"models": []}, {}), provider,
             EchoBenchmark(20), concurrency=3)
    assert provider.most_in_flight == 3


class UnscorableBenchmark(EchoBenchmark):
    """Answers are fine; scoring them fails (a bug in a benchmark)."""

    def score_all(self, sample: Sample, completions: Sequence[Completion]) -> list[Score]:
        raise ValueError("scoring broke")


def test_a_scored_sample_has_its_completions_in_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    run_once(store, run_id, ScriptedProvider(set()), EchoBenchmark(4))
    scores = store.scores(run_id)
    assert len(scores) == 4
    for score in scores:
        (key,) = score.completion_keys
        stored = store.completion(key)
        assert stored is not None and stored.text == score.extracted


def test_completions_paid_for_are_kept_when_scoring_fails(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    provider = ScriptedProvider(set())
    with pytest.raises(ValueError, match="scoring broke"):
        run_once(store, run_id, provider, UnscorableBenchmark(1), concurrency=1)
    assert store.scores(run_id) == []
    again = ScriptedProvider(set())
    run_once(store, run_id, again, EchoBenchmark(1))
    assert (provider.calls, again.calls) == (["word0"], [])  # answered from the store


class CommitChecker(ScriptedProvider):
    """Before each answer, reads the store through its own connection: every sample answered
    earlier must be committed by then, scores and completion alike."""

    def __init__(self, path: Path, run_id: int) -> None:
        # Failures send a worker straight to its next sample, past the scored ones' commit.
        super().__init__({f"word{i}" for i in range(0, 40, 3)})
        self.reader = Store(path)
        self.run_id = run_id
        self.answered: set[str] = set()
        self.uncommitted_at_a_call: list[set[str]] = []

    async def generate(self, request: GenerationRequest) -> Completion:
        committed = self.reader.scored_sample_ids(self.run_id, "m", "echo")
        if self.answered - committed:
            self.uncommitted_at_a_call.append(self.answered - committed)
        completion = await super().generate(request)  # raises for the failing words
        self.answered.add(f"echo/{request.messages[-1].content.removeprefix('word')}")
        return completion


def test_no_request_is_sent_while_an_answered_sample_is_uncommitted(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    provider = CommitChecker(tmp_path / "s.sqlite", run_id)
    run_once(store, run_id, provider, EchoBenchmark(40), concurrency=8)
    assert provider.uncommitted_at_a_call == []
    assert len(provider.answered) == 40 - 14
    assert store.scored_sample_ids(run_id, "m", "echo") == provider.answered
    provider.reader.close()


def test_samples_answered_together_share_a_commit(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    run_id = store.create_run("h", "t", {"models": []}, {})
    commits: list[int] = []
    put_scored = store.put_scored

    def counted(samples: Sequence[ScoredSample]) -> None:
        commits.append(len(samples))
        put_scored(samples)

    store.put_scored = counted  # type: ignore[method-assign]
    run_once(store, run_id, ScriptedProvider(set()), EchoBenchmark(40), concurrency=8)
    assert sum(commits) == 40
    assert max(commits) > 1
