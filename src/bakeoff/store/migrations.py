"""The store's schema, as an ordered list of migrations. Never edit one that has shipped:
append a new one. `PRAGMA user_version` (SQLite) or the table bakeoff_schema (PostgreSQL)
records how many have been applied."""

from __future__ import annotations

import re

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

# Speed runs (bakeoff speed): a run's settings, each load level's summary, each request.
migration(
    """
    CREATE TABLE speed_runs (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
        settings_json TEXT NOT NULL,
        environment_json TEXT NOT NULL
    );

    -- One load level of one workload on one model: a concurrency level or Poisson arrivals.
    CREATE TABLE speed_levels (
        id INTEGER PRIMARY KEY,
        speed_run_id INTEGER NOT NULL REFERENCES speed_runs (id),
        model TEXT NOT NULL,
        model_identity TEXT NOT NULL,
        workload TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('concurrency', 'poisson')),
        concurrency INTEGER,
        rate REAL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        wall_s REAL NOT NULL,
        output_tokens INTEGER NOT NULL,
        throughput_tps REAL,
        prompt_tokens INTEGER NOT NULL,
        prompt_token_source TEXT NOT NULL,
        clipped_from INTEGER
    );
    CREATE INDEX speed_levels_run ON speed_levels (speed_run_id, model);

    -- Each request of a level. Warm-up requests are kept, flagged, and never summarised.
    CREATE TABLE speed_requests (
        level_id INTEGER NOT NULL REFERENCES speed_levels (id),
        idx INTEGER NOT NULL,
        warmup INTEGER NOT NULL,
        sent REAL NOT NULL,
        first_token REAL,
        finished REAL NOT NULL,
        chunk_arrivals_json TEXT NOT NULL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        token_source TEXT NOT NULL,
        finish_reason TEXT,
        error TEXT,
        PRIMARY KEY (level_id, idx)
    );
    """
)

migration(
    """
    -- The functions a model asked to call in a completion (JSON list of {id, name, arguments}),
    -- NULL when it called none.
    ALTER TABLE completions ADD COLUMN tool_calls_json TEXT;
    """
)

migration(
    """
    -- The chat behind a hands-on trial case's scores: every turn (system, user, the model's
    -- answers with their tool calls, tool results) as JSON, for the report's transcripts.
    CREATE TABLE transcripts (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        model TEXT NOT NULL,
        trial TEXT NOT NULL,
        case_id TEXT NOT NULL,
        messages_json TEXT NOT NULL,
        PRIMARY KEY (run_id, model, trial, case_id)
    );
    """
)

migration(
    """
    -- A pairwise verdict on two models' answers to the same open-ended case: a judge model's
    -- (both orders combined, `voter` NULL) or a person's blind vote (`judge` = 'human').
    -- model_a sorts before model_b, and `outcome` is 'a', 'b', 'tie' or 'both_bad'.
    -- For a judge, first_order / second_order are its verdicts with model_a shown first and
    -- with model_b shown first, already mapped back to 'a' / 'b' / 'tie'. For a person,
    -- first_order names the model that was shown on the left ('a' or 'b').
    CREATE TABLE verdicts (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        trial TEXT NOT NULL,
        case_id TEXT NOT NULL,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        judge TEXT NOT NULL,
        voter TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad')),
        first_order TEXT,
        second_order TEXT,
        completion_keys_json TEXT NOT NULL,
        created_at REAL NOT NULL,
        CHECK (model_a < model_b)
    );
    CREATE UNIQUE INDEX verdicts_by_judge ON verdicts (run_id, trial, case_id, model_a, model_b,
                                                       judge) WHERE voter IS NULL;
    CREATE INDEX verdicts_by_run ON verdicts (run_id, trial);
    """
)

migration(
    """
    -- The process executing a run (`bakeoff run`), so a second process on the same plan can
    -- tell a live run from one left behind by a process that is gone. NULL when none holds it.
    ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
    ALTER TABLE runs ADD COLUMN owner_host TEXT;
    """
)


def for_postgres(script: str) -> str:
    """A migration's PostgreSQL text: the same tables with PostgreSQL's names for SQLite's
    types. REAL is 8 bytes in SQLite (4 in PostgreSQL), INTEGER 8 bytes (4), an INTEGER
    PRIMARY KEY numbers its rows itself, and SQLite compares text byte by byte where
    PostgreSQL follows the database's locale: COLLATE "C" keeps SQLite's order (and
    `model_a < model_b` means what the code checks) on any server."""
    for sqlite_text, postgres_text in (
        ("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
        ("INTEGER", "BIGINT"),
        ("REAL", "DOUBLE PRECISION"),
        ("TEXT", 'TEXT COLLATE "C"'),
    ):
        script = re.sub(rf"(?<![\w\"]){sqlite_text}(?![\w\"])", postgres_text, script)
    return script


# Same numbers, same tables: migration N here is MIGRATIONS[N - 1] in PostgreSQL's words.
POSTGRES_MIGRATIONS: list[str] = [for_postgres(script) for script in MIGRATIONS]
