"""The runner's bookkeeping: caching, skipping done work, error records never scored.

A scripted provider (tests/helpers/fakes.py) stands in for a model here only to produce
failures on demand; the real-model paths are covered by the resume and server tests.
"""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from bakeoff.engine.runner import ModelSlot, Runner
from bakeoff.store import Store
from bakeoff.types import Completion, Sample, Score
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
