"""The store's schema, as an ordered list of migrations. Never edit one that has shipped:
append a new one. `PRAGMA user_version` records how many have been applied."""

from __future__ import annotations

MIGRATIONS: list[str] = []
migration = MIGRATIONS.append

migration(
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        plan_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
        suite TEXT NOT NULL,
        plan_json TEXT NOT NULL,
        environment_json TEXT NOT NULL
    );
    CREATE INDEX runs_plan ON runs (plan_hash, status);

    -- One row per (provider, model, request) ever answered: the completion cache.
    CREATE TABLE completions (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        model_identity TEXT NOT NULL,
        request_json TEXT NOT NULL,
        text TEXT NOT NULL,
        logprob REAL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        usage_source TEXT NOT NULL,
        started REAL NOT NULL,
        first_token REAL,
        finished REAL NOT NULL,
        finish_reason TEXT,
        created_at REAL NOT NULL
    );

    CREATE TABLE samples (
        benchmark TEXT NOT NULL,
        sample_id TEXT NOT NULL,
        input TEXT NOT NULL,
        target TEXT NOT NULL,
        choices_json TEXT NOT NULL,
        metadata_json TEXT NOT NULL,
        PRIMARY KEY (benchmark, sample_id)
    );

    -- A sample's outcome in a run: its score(s), or an error record while it has none.
    CREATE TABLE scores (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        model TEXT NOT NULL,
        benchmark TEXT NOT NULL,
        sample_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        mode TEXT NOT NULL,
        shots INTEGER NOT NULL,
        value REAL NOT NULL,
        extracted TEXT,
        completion_keys_json TEXT NOT NULL,
        PRIMARY KEY (run_id, model, benchmark, sample_id, metric)
    );

    CREATE TABLE errors (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        model TEXT NOT NULL,
        benchmark TEXT NOT NULL,
        sample_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (run_id, model, benchmark, sample_id)
    );
    """
)
