"""The run store: one SQLite file in WAL mode, or a PostgreSQL database that a team shares
(bakeoff.store.postgres); the same tables and the same SQL on both (see connections.py).

Every completion is committed as soon as it arrives (benchmark samples' together with their
scores, several samples to a transaction), keyed by a hash of (provider, model, request), so
an interrupted run loses at most the calls in flight and a re-run never asks for the same
completion twice.
Secrets never reach this file: requests hold no keys, and configs only name the environment
variable a key is read from.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bakeoff.store.connections import Connection, SqliteConnection, StoreError
from bakeoff.store.locations import is_url
from bakeoff.types import (
    Completion,
    ErrorRecord,
    Message,
    Request,
    Sample,
    Score,
    Timing,
    ToolCall,
    Usage,
)


@dataclass(frozen=True)
class RunRow:
    id: int
    plan_hash: str
    created_at: float
    finished_at: float | None
    status: str
    suite: str
    plan: dict[str, Any]
    environment: dict[str, Any]


@dataclass(frozen=True)
class NewRun:
    """A run to create, as `Store.claim_run` takes it."""

    suite: str
    plan: dict[str, Any]
    environment: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """The run a process took: `resumed` when it existed before."""

    run_id: int
    resumed: bool


class RunInProgress(StoreError):
    """Another live process executes the run this process asked for."""

    def __init__(self, run_id: int, pid: int, host: str) -> None:
        super().__init__(run_id, pid, host)
        self.run_id, self.pid, self.host = run_id, pid, host

    def __str__(self) -> str:
        return (f"run {self.run_id} of this plan is in progress in process {self.pid} on "
                f"{self.host}; wait for it to end, or stop it and run this again to resume")


@dataclass(frozen=True)
class ScoreRow:
    model: str
    benchmark: str
    sample_id: str
    metric: str
    mode: str
    shots: int
    value: float
    extracted: str | None
    completion_keys: tuple[str, ...]


# The `judge` of a person's vote in the arena.
HUMAN = "human"
OUTCOMES = ("a", "b", "tie", "both_bad")


@dataclass(frozen=True)
class VerdictRow:
    """A pairwise verdict on two models' answers to one case (see migration 5).

    `model_a` sorts before `model_b`; `outcome` is "a", "b", "tie" or "both_bad". A judge model's
    verdict has `judge` = its name and no voter; a person's vote has `judge` = HUMAN and the
    name they typed as `voter`."""

    run_id: int
    trial: str
    case_id: str
    model_a: str
    model_b: str
    judge: str
    outcome: str
    voter: str | None = None
    first_order: str | None = None
    second_order: str | None = None
    completion_keys: tuple[str, ...] = ()
    created_at: float = 0.0
    id: int = 0  # set by the store


@dataclass(frozen=True)
class ErrorRow:
    model: str
    benchmark: str
    sample_id: str
    kind: str
    message: str
    attempts: int


@dataclass(frozen=True)
class SpeedRunRow:
    id: int
    created_at: float
    finished_at: float | None
    status: str
    settings: dict[str, Any]
    environment: dict[str, Any]


@dataclass(frozen=True)
class SpeedRequestRow:
    """One timed request; `chunk_arrivals` are the instants content chunks came."""

    index: int
    warmup: bool
    sent: float
    chunk_arrivals: tuple[float, ...]
    finished: float
    input_tokens: int | None
    output_tokens: int | None
    token_source: str
    finish_reason: str | None
    error: str | None


@dataclass(frozen=True)
class SpeedLevelRow:
    """One load level of one workload on one model, with its throughput."""

    speed_run_id: int
    model: str
    model_identity: str
    workload: str
    mode: str  # "concurrency" or "poisson"
    concurrency: int | None
    rate: float | None
    requests: int
    errors: int
    wall_s: float
    output_tokens: int
    throughput_tps: float | None
    prompt_tokens: int
    prompt_token_source: str
    clipped_from: int | None
    id: int = 0  # set by the store


@dataclass(frozen=True)
class NewCompletion:
    """A completion to cache under `key`, as `Store.put_completion` takes it."""

    key: str
    provider: str
    model_identity: str
    request: Request
    completion: Completion


@dataclass(frozen=True)
class ScoredSample:
    """A benchmark sample's scores and its new completions, as `Store.put_scored` takes them."""

    run_id: int
    model: str
    benchmark: str
    mode: str
    shots: int
    scores: Sequence[Score]
    completion_keys: Sequence[str]
    completions: Sequence[NewCompletion] = ()


class Store:
    """The store at `location`: a SQLite file's path, or a postgresql:// URL."""

    def __init__(self, location: Path | str) -> None:
        # The file's path; None for a PostgreSQL store. `location` shows either, safely.
        self.path = None if is_url(location) else Path(location)
        self._db = _connect(location)
        self.location = self._db.location
        with self._db.opening():
            # Accept the store before changing anything in it (its journal mode included).
            self._check_version(self._db.schema_version())
            self._db.prepare()
            self._migrate()

    def close(self) -> None:
        self._db.close()

    def check_integrity(self) -> None:
        """StoreError when the database finds the store damaged, so a run never adds to a
        damaged store."""
        self._db.check_integrity()

    def _check_version(self, applied: int) -> None:
        if applied > len(self._db.migrations):
            raise StoreError(
                f"{self.location}: written by a newer bakeoff (schema {applied}); upgrade bakeoff"
            )

    def _migrate(self) -> None:
        """Apply the missing migrations in an exclusive transaction, so that processes opening
        a new store at once migrate it once: the others wait, then find it up to date."""
        migrations = self._db.migrations
        if self._db.schema_version() == len(migrations):
            return
        with self._db.transaction(exclusive=True):
            applied = self._db.schema_version()  # another process may have migrated meanwhile
            self._check_version(applied)
            for number, script in enumerate(migrations[applied:], start=applied + 1):
                for statement in _statements(script):
                    self._db.execute(statement)
                self._db.set_schema_version(number)

    # Runs -------------------------------------------------------------------------------

    def create_run(self, plan_hash: str, suite: str, plan: dict[str, Any],
                   environment: dict[str, Any]) -> int:
        return self._db.insert(
            "INSERT INTO runs (plan_hash, created_at, status, suite, plan_json, environment_json)"
            " VALUES (?, ?, 'running', ?, ?, ?)",
            (plan_hash, time.time(), suite, _dumps(plan), _dumps(environment)),
        )

    def resumable_run(self, plan_hash: str) -> int | None:
        """The latest unfinished run of the same plan, if any."""
        row = self._db.execute(
            "SELECT id FROM runs WHERE plan_hash = ? AND status != 'finished'"
            " ORDER BY id DESC LIMIT 1",
            (plan_hash,),
        ).fetchone()
        return None if row is None else int(row["id"])

    def claim_run(self, plan_hash: str, new: NewRun,
                  reopen: Callable[[int], bool] = lambda run_id: False) -> Claim:
        """Take the run of this plan for this process: the latest unfinished one, else the
        latest finished one if `reopen(id)` says so, else a new one.

        Raises RunInProgress when a live process holds that run; a holder that is gone (or
        this process) does not count. One write transaction, so two processes never both
        get the same run."""
        owner = (os.getpid(), socket.gethostname())
        with self._db.transaction(exclusive=True):
            row = self._db.execute(
                "SELECT id, owner_pid, owner_host FROM runs WHERE plan_hash = ?"
                " AND status != 'finished' ORDER BY id DESC LIMIT 1", (plan_hash,)).fetchone()
            if row is None:
                row = self._db.execute(
                    "SELECT id, owner_pid, owner_host FROM runs WHERE plan_hash = ?"
                    " AND status = 'finished' ORDER BY id DESC LIMIT 1", (plan_hash,)).fetchone()
                row = row if row is not None and reopen(int(row["id"])) else None
            if row is None:
                return Claim(self._db.insert(
                    "INSERT INTO runs (plan_hash, created_at, status, suite, plan_json,"
                    " environment_json, owner_pid, owner_host)"
                    " VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
                    (plan_hash, time.time(), new.suite, _dumps(new.plan),
                     _dumps(new.environment), *owner)), resumed=False)
            run_id = int(row["id"])
            if row["owner_pid"] is not None and _alive(row["owner_pid"], row["owner_host"]):
                raise RunInProgress(run_id, row["owner_pid"], row["owner_host"])
            self._db.execute(
                "UPDATE runs SET status = 'running', finished_at = NULL, owner_pid = ?,"
                " owner_host = ? WHERE id = ?", (*owner, run_id))
            return Claim(run_id, resumed=True)

    def release_run(self, run_id: int) -> None:
        """Let other processes take the run again (this process no longer executes it)."""
        self._db.execute(
            "UPDATE runs SET owner_pid = NULL, owner_host = NULL"
            " WHERE id = ? AND owner_pid = ? AND owner_host = ?",
            (run_id, os.getpid(), socket.gethostname()))

    def set_run_status(self, run_id: int, status: str) -> None:
        finished = time.time() if status == "finished" else None
        self._db.execute(
            "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, finished, run_id)
        )

    def run(self, run_id: int) -> RunRow | None:
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _run_row(row)

    def runs(self) -> list[RunRow]:
        return [_run_row(r) for r in self._db.execute("SELECT * FROM runs ORDER BY id")]

    # Completions (the cache) ----------------------------------------------------------------

    def completion(self, key: str) -> Completion | None:
        row = self._db.execute("SELECT * FROM completions WHERE key = ?", (key,)).fetchone()
        return None if row is None else _completion(row)

    def completions(self, keys: Sequence[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT * FROM completions WHERE key IN ({marks})", chunk
            ):
                found[row["key"]] = _completion(row)
        return found

    def put_completion(self, key: str, provider: str, model_identity: str, request: Request,
                       completion: Completion) -> None:
        self._write_completion(NewCompletion(key, provider, model_identity, request, completion))

    def _write_completion(self, new: NewCompletion) -> None:
        completion = new.completion
        self._db.execute(
            _PUT_COMPLETION,
            (new.key, new.provider, new.model_identity, new.request.canonical,
             completion.text,
             completion.logprob, completion.usage.input_tokens, completion.usage.output_tokens,
             completion.usage.source, completion.timing.started, completion.timing.first_token,
             completion.timing.finished, completion.finish_reason, time.time(),
             _dumps([asdict(c) for c in completion.tool_calls]) if completion.tool_calls
             else None),
        )

    # Samples, scores and errors -----------------------------------------------------------

    def put_samples(self, benchmark: str, samples: Sequence[Sample]) -> None:
        with self._db.transaction():
            self._db.executemany(
                _PUT_SAMPLE,
                [(benchmark, s.id, s.input, s.target, _dumps(list(s.choices)),
                  _dumps(dict(s.metadata))) for s in samples],
            )

    def sample(self, benchmark: str, sample_id: str) -> Sample | None:
        row = self._db.execute(
            "SELECT * FROM samples WHERE benchmark = ? AND sample_id = ?", (benchmark, sample_id)
        ).fetchone()
        if row is None:
            return None
        return Sample(id=row["sample_id"], input=row["input"], target=row["target"],
                      choices=tuple(json.loads(row["choices_json"])),
                      metadata=tuple(json.loads(row["metadata_json"]).items()))

    def scored_sample_ids(self, run_id: int, model: str, benchmark: str) -> set[str]:
        rows = self._db.execute(
            "SELECT DISTINCT sample_id FROM scores"
            " WHERE run_id = ? AND model = ? AND benchmark = ?",
            (run_id, model, benchmark),
        )
        return {r["sample_id"] for r in rows}

    def put_scores(self, run_id: int, model: str, benchmark: str, mode: str, shots: int,
                   scores: Sequence[Score], completion_keys: Sequence[str],
                   completions: Sequence[NewCompletion] = ()) -> None:
        """Store a sample's scores; a success clears an earlier error record of that sample.

        `completions` (the sample's new answers) are written in the same transaction: one
        commit per sample, and never a score without the completions it was made from."""
        with self._db.transaction():
            for new in _in_key_order(completions):
                self._write_completion(new)
            self._write_scores(run_id, model, benchmark, mode, shots, scores, completion_keys)

    def put_scored(self, samples: Sequence[ScoredSample]) -> None:
        """`put_scores` for several samples in one transaction (one commit for them all)."""
        with self._db.transaction():
            for new in _in_key_order([new for s in samples for new in s.completions]):
                self._write_completion(new)
            for sample in samples:
                self._write_scores(sample.run_id, sample.model, sample.benchmark, sample.mode,
                                   sample.shots, sample.scores, sample.completion_keys)

    def put_trial_result(self, run_id: int, model: str, trial: str, mode: str,
                         scores: Sequence[Score], completion_keys: Sequence[str],
                         messages: Sequence[Message]) -> None:
        """A trial case's checks (as scores, the reason in `extracted`) and its transcript,
        stored together so that a scored case always has its chat."""
        with self._db.transaction():
            self._write_scores(run_id, model, trial, mode, 0, scores, completion_keys)
            self._db.execute(
                _PUT_TRANSCRIPT,
                (run_id, model, trial, scores[0].sample_id,
                 _dumps([m.as_dict() for m in messages])))

    def transcript(self, run_id: int, model: str, trial: str,
                   case_id: str) -> tuple[Message, ...] | None:
        row = self._db.execute(
            "SELECT messages_json FROM transcripts WHERE run_id = ? AND model = ? AND trial = ?"
            " AND case_id = ?", (run_id, model, trial, case_id)).fetchone()
        return None if row is None else tuple(_message(m) for m in
                                              json.loads(row["messages_json"]))

    def _write_scores(self, run_id: int, model: str, benchmark: str, mode: str, shots: int,
                      scores: Sequence[Score], completion_keys: Sequence[str]) -> None:
        keys_json = _dumps(list(completion_keys))
        for score in scores:
            self._db.execute(
                _PUT_SCORE,
                (run_id, model, benchmark, score.sample_id, score.metric, mode, shots,
                 score.value, score.extracted, keys_json),
            )
        if scores:
            self._db.execute(
                "DELETE FROM errors WHERE run_id = ? AND model = ? AND benchmark = ?"
                " AND sample_id = ?", (run_id, model, benchmark, scores[0].sample_id),
            )

    def put_error(self, run_id: int, model: str, benchmark: str, sample_id: str,
                  error: ErrorRecord) -> None:
        self._db.execute(
            _PUT_ERROR,
            (run_id, model, benchmark, sample_id, error.kind, error.message, error.attempts,
             time.time()),
        )

    def scores(self, run_id: int) -> list[ScoreRow]:
        rows = self._db.execute(
            "SELECT * FROM scores WHERE run_id = ? ORDER BY model, benchmark, sample_id, metric",
            (run_id,),
        )
        return [ScoreRow(model=r["model"], benchmark=r["benchmark"], sample_id=r["sample_id"],
                         metric=r["metric"], mode=r["mode"], shots=r["shots"], value=r["value"],
                         extracted=r["extracted"],
                         completion_keys=tuple(json.loads(r["completion_keys_json"])))
                for r in rows]

    def errors(self, run_id: int) -> list[ErrorRow]:
        rows = self._db.execute(
            "SELECT * FROM errors WHERE run_id = ? ORDER BY model, benchmark, sample_id",
            (run_id,),
        )
        return [ErrorRow(model=r["model"], benchmark=r["benchmark"], sample_id=r["sample_id"],
                         kind=r["kind"], message=r["message"], attempts=r["attempts"])
                for r in rows]

    # Verdicts ------------------------------------------------------------------------------

    def put_verdict(self, verdict: VerdictRow) -> int:
        """Store a verdict. A judge's verdict on the same pair and case replaces the earlier
        one; every person's vote is kept."""
        if verdict.model_a >= verdict.model_b:
            raise ValueError(f"verdict models out of order: {verdict.model_a!r}, "
                             f"{verdict.model_b!r}")
        if verdict.outcome not in OUTCOMES:
            raise ValueError(f"unknown verdict outcome {verdict.outcome!r}")
        # Exclusive: two judges' writers replacing the same verdict at once would otherwise
        # both insert it.
        with self._db.transaction(exclusive=True):
            if verdict.voter is None:
                self._db.execute(
                    "DELETE FROM verdicts WHERE run_id = ? AND trial = ? AND case_id = ?"
                    " AND model_a = ? AND model_b = ? AND judge = ? AND voter IS NULL",
                    (verdict.run_id, verdict.trial, verdict.case_id, verdict.model_a,
                     verdict.model_b, verdict.judge))
            verdict_id = self._db.insert(
                "INSERT INTO verdicts (run_id, trial, case_id, model_a, model_b, judge, voter,"
                " outcome, first_order, second_order, completion_keys_json, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (verdict.run_id, verdict.trial, verdict.case_id, verdict.model_a,
                 verdict.model_b, verdict.judge, verdict.voter, verdict.outcome,
                 verdict.first_order, verdict.second_order,
                 _dumps(list(verdict.completion_keys)), verdict.created_at or time.time()))
        return verdict_id

    def verdicts(self, run_ids: Sequence[int] | None = None,
                 judge: str | None = None) -> list[VerdictRow]:
        """Verdicts of the given runs (all runs when None), of one judge when given, oldest
        first."""
        clauses: list[str] = []
        params: list[Any] = []
        if run_ids is not None:
            clauses.append(f"run_id IN ({','.join('?' * len(run_ids))})")
            params.extend(run_ids)
        if judge is not None:
            clauses.append("judge = ?")
            params.append(judge)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(f"SELECT * FROM verdicts{where} ORDER BY id", params)
        return [VerdictRow(run_id=r["run_id"], trial=r["trial"], case_id=r["case_id"],
                           model_a=r["model_a"], model_b=r["model_b"], judge=r["judge"],
                           outcome=r["outcome"], voter=r["voter"],
                           first_order=r["first_order"], second_order=r["second_order"],
                           completion_keys=tuple(json.loads(r["completion_keys_json"])),
                           created_at=r["created_at"], id=r["id"])
                for r in rows]

    # Speed runs -----------------------------------------------------------------------------

    def create_speed_run(self, settings: dict[str, Any], environment: dict[str, Any]) -> int:
        return self._db.insert(
            "INSERT INTO speed_runs (created_at, status, settings_json, environment_json)"
            " VALUES (?, 'running', ?, ?)", (time.time(), _dumps(settings), _dumps(environment)),
        )

    def set_speed_run_status(self, speed_run_id: int, status: str) -> None:
        finished = time.time() if status == "finished" else None
        self._db.execute("UPDATE speed_runs SET status = ?, finished_at = ? WHERE id = ?",
                         (status, finished, speed_run_id))

    def speed_run(self, speed_run_id: int) -> SpeedRunRow | None:
        row = self._db.execute("SELECT * FROM speed_runs WHERE id = ?",
                               (speed_run_id,)).fetchone()
        if row is None:
            return None
        return SpeedRunRow(id=row["id"], created_at=row["created_at"],
                           finished_at=row["finished_at"], status=row["status"],
                           settings=json.loads(row["settings_json"]),
                           environment=json.loads(row["environment_json"]))

    def speed_runs(self) -> list[SpeedRunRow]:
        ids = [int(r["id"]) for r in self._db.execute("SELECT id FROM speed_runs ORDER BY id")]
        return [run for run in map(self.speed_run, ids) if run is not None]

    def put_speed_level(self, level: SpeedLevelRow, requests: Sequence[SpeedRequestRow]) -> int:
        """Store a level and its requests together; returns the level's id."""
        with self._db.transaction():
            level_id = self._db.insert(
                "INSERT INTO speed_levels (speed_run_id, model, model_identity, workload, mode,"
                " concurrency, rate, requests, errors, wall_s, output_tokens, throughput_tps,"
                " prompt_tokens, prompt_token_source, clipped_from)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (level.speed_run_id, level.model, level.model_identity, level.workload,
                 level.mode, level.concurrency, level.rate, level.requests, level.errors,
                 level.wall_s, level.output_tokens, level.throughput_tps, level.prompt_tokens,
                 level.prompt_token_source, level.clipped_from),
            )
            self._db.executemany(
                "INSERT INTO speed_requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(level_id, r.index, int(r.warmup), r.sent,
                  r.chunk_arrivals[0] if r.chunk_arrivals else None, r.finished,
                  _dumps(list(r.chunk_arrivals)), r.input_tokens, r.output_tokens,
                  r.token_source, r.finish_reason, r.error) for r in requests],
            )
        return level_id

    def speed_levels(self, speed_run_id: int) -> list[SpeedLevelRow]:
        rows = self._db.execute("SELECT * FROM speed_levels WHERE speed_run_id = ? ORDER BY id",
                                (speed_run_id,))
        return [SpeedLevelRow(**dict(r)) for r in rows]

    def speed_requests(self, level_id: int) -> list[SpeedRequestRow]:
        rows = self._db.execute("SELECT * FROM speed_requests WHERE level_id = ? ORDER BY idx",
                                (level_id,))
        return [SpeedRequestRow(index=r["idx"], warmup=bool(r["warmup"]), sent=r["sent"],
                                chunk_arrivals=tuple(json.loads(r["chunk_arrivals_json"])),
                                finished=r["finished"], input_tokens=r["input_tokens"],
                                output_tokens=r["output_tokens"], token_source=r["token_source"],
                                finish_reason=r["finish_reason"], error=r["error"])
                for r in rows]


def _connect(location: Path | str) -> Connection:
    if not is_url(location):
        return SqliteConnection(Path(location))
    from bakeoff.store.postgres import PostgresConnection  # loads psycopg: only when asked

    return PostgresConnection(str(location))


def _upsert(table: str, columns: str, key: str) -> str:
    """An INSERT that replaces the row with the same `key`, in words SQLite and PostgreSQL
    both take."""
    names = columns.split(", ")
    keys = key.split(", ")
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in keys)
    return (f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(names))})"
            f" ON CONFLICT ({key}) DO UPDATE SET {updates}")


_PUT_COMPLETION = _upsert(
    "completions", "key, provider, model_identity, request_json, text, logprob, input_tokens,"
    " output_tokens, usage_source, started, first_token, finished, finish_reason, created_at,"
    " tool_calls_json", "key")
_PUT_SAMPLE = _upsert("samples", "benchmark, sample_id, input, target, choices_json,"
                      " metadata_json", "benchmark, sample_id")
_PUT_SCORE = _upsert("scores", "run_id, model, benchmark, sample_id, metric, mode, shots,"
                     " value, extracted, completion_keys_json",
                     "run_id, model, benchmark, sample_id, metric")
_PUT_ERROR = _upsert("errors", "run_id, model, benchmark, sample_id, kind, message, attempts,"
                     " created_at", "run_id, model, benchmark, sample_id")
_PUT_TRANSCRIPT = _upsert("transcripts", "run_id, model, trial, case_id, messages_json",
                          "run_id, model, trial, case_id")


def _in_key_order(completions: Sequence[NewCompletion]) -> list[NewCompletion]:
    """Completions in one order for every writer: two transactions writing the same cached
    answers then lock them in the same order and never wait on each other (a deadlock)."""
    return sorted(completions, key=lambda new: new.key)


def _alive(pid: int, host: str | None) -> bool:
    """Whether process `pid` on `host` may still be running. This process's own earlier
    claim does not count; a process on another host cannot be checked, so it counts."""
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _run_row(row: Any) -> RunRow:
    return RunRow(id=row["id"], plan_hash=row["plan_hash"], created_at=row["created_at"],
                  finished_at=row["finished_at"], status=row["status"], suite=row["suite"],
                  plan=json.loads(row["plan_json"]),
                  environment=json.loads(row["environment_json"]))


def _message(data: dict[str, Any]) -> Message:
    return Message(role=data["role"], content=data["content"],
                   tool_calls=tuple(ToolCall(**c) for c in data.get("tool_calls", [])),
                   tool_call_id=data.get("tool_call_id"))


def _completion(row: Any) -> Completion:
    return Completion(
        text=row["text"],
        usage=Usage(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
                    source=row["usage_source"]),
        timing=Timing(started=row["started"], finished=row["finished"],
                      first_token=row["first_token"]),
        finish_reason=row["finish_reason"],
        logprob=row["logprob"],
        tool_calls=tuple(ToolCall(**call) for call in json.loads(row["tool_calls_json"] or "[]")),
    )


__all__ = ["ErrorRow", "NewCompletion", "RunRow", "ScoreRow", "ScoredSample", "SpeedLevelRow",
           "SpeedRequestRow", "SpeedRunRow", "Store", "StoreError"]
