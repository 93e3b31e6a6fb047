import sqlite3
from pathlib import Path

import psycopg
import pytest

from bakeoff.store import NewCompletion, Store, StoreError
from bakeoff.store.migrations import MIGRATIONS
from bakeoff.types import (
    Completion,
    ErrorRecord,
    GenerationConfig,
    GenerationRequest,
    Message,
    Sample,
    Score,
    Timing,
    Usage,
    request_key,
)

REQUEST = GenerationRequest(config=GenerationConfig(max_tokens=8),
                            messages=(Message("user", "hi"),))
COMPLETION = Completion(text="hello", usage=Usage(3, 1), timing=Timing(1.0, 2.0, 1.5),
                        finish_reason="stop")


def test_migrations_apply_once_and_the_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    Store(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_from_a_newer_bakeoff_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    sqlite3.connect(path).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer bakeoff"):
        Store(path)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_text("not a database, just text" * 100)
    with pytest.raises(StoreError, match="not a bakeoff store"):
        Store(path)


def test_completions_round_trip_by_key(any_store: Store) -> None:
    store = any_store
    key = request_key("openai", "m", REQUEST)
    assert store.completion(key) is None
    store.put_completion(key, "openai", "m", REQUEST, COMPLETION)
    assert store.completion(key) == COMPLETION
    assert store.completions([key, "other"]) == {key: COMPLETION}


def test_request_keys_differ_by_model_provider_and_request() -> None:
    other = GenerationRequest(config=GenerationConfig(max_tokens=9), messages=REQUEST.messages)
    keys = {request_key("openai", "m", REQUEST), request_key("openai", "n", REQUEST),
            request_key("llama-cpp", "m", REQUEST), request_key("openai", "m", other)}
    assert len(keys) == 4
    assert request_key("openai", "m", REQUEST) == request_key("openai", "m", REQUEST)


def test_a_score_clears_the_error_of_the_same_sample(any_store: Store) -> None:
    store = any_store
    run = store.create_run("h", "quick", {"models": []}, {})
    store.put_error(run, "m", "b", "s1", ErrorRecord("timeout", "timed out", 5))
    assert [e.kind for e in store.errors(run)] == ["timeout"]
    store.put_scores(run, "m", "b", "generative", 5, [Score("s1", "acc", 1.0, "A")], ["k"])
    assert store.errors(run) == []
    assert store.scored_sample_ids(run, "m", "b") == {"s1"}
    assert store.scores(run)[0].completion_keys == ("k",)


def test_scores_and_their_new_completions_are_committed_together(any_store: Store) -> None:
    store = any_store
    run = store.create_run("h", "quick", {"models": []}, {})
    key = request_key("openai", "m", REQUEST)
    new = NewCompletion(key, "openai", "m", REQUEST, COMPLETION)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):  # no such run
        store.put_scores(run + 1, "m", "b", "generative", 0, [Score("s1", "acc", 1.0)], [key],
                         completions=[new])
    assert store.completion(key) is None  # the completion written beside the scores is not
    store.put_scores(run, "m", "b", "generative", 0, [Score("s1", "acc", 1.0)], [key],
                     completions=[new])
    assert store.completion(key) == COMPLETION
    assert store.scored_sample_ids(run, "m", "b") == {"s1"}


def test_runs_resume_only_when_unfinished(any_store: Store) -> None:
    store = any_store
    run = store.create_run("plan", "quick", {"models": []}, {})
    assert store.resumable_run("plan") == run
    store.set_run_status(run, "finished")
    assert store.resumable_run("plan") is None
    row = store.run(run)
    assert row is not None and row.finished_at is not None


def test_samples_round_trip(any_store: Store) -> None:
    store = any_store
    sample = Sample("id1", "prompt", "B", ("a", "b"), (("subject", "law"),))
    store.put_samples("mmlu", [sample])
    assert store.sample("mmlu", "id1") == sample


def test_a_store_that_cannot_be_opened_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    in_the_way = tmp_path / "bakeoff.sqlite"
    in_the_way.mkdir()  # a folder where the file should be
    with pytest.raises(StoreError, match=r"bakeoff.sqlite: cannot (open|use) the store \("):
        Store(in_the_way)
