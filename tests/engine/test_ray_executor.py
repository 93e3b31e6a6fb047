"""The Ray executor against a real local Ray cluster of two worker processes and a real
loopback OpenAI-compatible server (tests/helpers/counting_server.py), into real SQLite stores.

The same suite run by the local executor and by Ray gives the same scores and completions; a
worker killed with SIGKILL mid-run loses nothing and asks nothing stored twice; a model's
concurrency holds across both workers together; the CLI starts a Ray of its own, and Ctrl-C
keeps what finished for a rerun to resume (slow).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
import ray

from bakeoff.api import RunResult, load_config, run_suite
from bakeoff.engine.executor import Executor, LocalExecutor
from bakeoff.engine.plan import Tasks
from bakeoff.engine.ray_executor import RayExecutor, plan_shards
from tests.helpers.cli import BAKEOFF, bakeoff_process
from tests.helpers.counting_server import CountingServer, counting_server
from tests.helpers.projects import CONFIG, write_project

WORKERS = 2
STORE = "results/bakeoff.sqlite"
ITEMS = 5 + 4  # support_faq's, capitals' (one of its five is the prompt's example)
ITEMS_WITH_TRIAL = ITEMS + 3
SHARD = 2  # items per shard: several shards per task, so both workers share every task


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """One local Ray of two CPUs for the module; the executor uses it as it finds it."""
    ray.init(num_cpus=WORKERS, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with counting_server() as running:
        yield running


def project(root: Path, base_url: str, *, concurrency: int, models: tuple[str, ...],
            trial: bool) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = "".join(f"""
[[models]]
name = "{name}"
provider = "openai"
base_url = "{base_url}"
concurrency = {concurrency}
max_retries = 0
""" for name in models)
    tasks = ('benchmarks = ["support_faq", "capitals", "instructions"]\n'
             'limits = { instructions = 3 }' if trial else
             'benchmarks = ["support_faq", "capitals"]')
    write_project(root, CONFIG + entries + f"\n[suites.small]\n{tasks}\n")
    return root


def run(root: Path, executor: Executor) -> RunResult:
    return run_suite(load_config(root / "bakeoff.toml"), suite_name="small",
                     store_file=root / STORE, executor=executor)


def rows(root: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(root / STORE) as db:
        return db.execute(query).fetchall()


SCORES = "SELECT model, benchmark, sample_id, metric, value, extracted FROM scores ORDER BY 1,2,3,4"
COMPLETIONS = "SELECT key, text FROM completions ORDER BY key"
ERRORS = "SELECT count(*) FROM errors"


def ray_executor() -> RayExecutor:
    return RayExecutor(workers=WORKERS, shard_size=SHARD)


def in_background(action: Callable[[], None]) -> Future[None]:
    """Run `action` on a thread; its Future re-raises what it raised."""
    future: Future[None] = Future()

    def target() -> None:
        try:
            action()
            future.set_result(None)
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=target, daemon=True).start()
    return future


def test_shards_cover_every_item_once_with_models_interleaved(tmp_path: Path) -> None:
    root = project(tmp_path, "http://127.0.0.1:9/v1", concurrency=1, models=("a", "b"),
                   trial=False)
    from bakeoff.api import prepare_run

    plan, tasks = prepare_run(load_config(root / "bakeoff.toml"), None, "small")
    shards = plan_shards(plan.models, tasks, 2)
    assert [s.model for s in shards[:4]] == ["a", "b", "a", "b"]
    for model in ("a", "b"):
        for task, items in tasks.samples().items():
            ids = [i for s in shards if (s.model, s.task) == (model, task) for i in s.item_ids]
            assert sorted(ids) == sorted(item.id for item in items)
    assert max(len(s.item_ids) for s in shards) == 2
    assert isinstance(tasks, Tasks)


def test_ray_gives_the_results_of_the_local_executor(tmp_path: Path, server: CountingServer,
                                                     ray_cluster: None) -> None:
    local = project(tmp_path / "local", server.base_url, concurrency=2, models=("a", "b"),
                    trial=True)
    distributed = project(tmp_path / "ray", server.base_url, concurrency=2, models=("a", "b"),
                          trial=True)
    first = run(local, LocalExecutor())
    asked_locally = dict(server.asked)
    server.asked.clear()
    second = run(distributed, ray_executor())

    assert rows(distributed, SCORES) == rows(local, SCORES)
    assert rows(distributed, COMPLETIONS) == rows(local, COMPLETIONS)
    assert rows(distributed, ERRORS) == [(0,)]
    # Every prompt asked once by each executor; the same prompts.
    assert dict(server.asked) == asked_locally
    assert set(server.asked.values()) == {1}
    assert (second.counts.scored, second.counts.calls) == (first.counts.scored,
                                                            first.counts.calls)
    assert len({row[:3] for row in rows(distributed, SCORES)}) == 2 * ITEMS_WITH_TRIAL


def test_a_rerun_on_ray_asks_nothing_again(tmp_path: Path, server: CountingServer,
                                           ray_cluster: None) -> None:
    root = project(tmp_path, server.base_url, concurrency=1, models=("a",), trial=False)
    run(root, LocalExecutor())
    asked = sum(server.asked.values())
    # A second run of the same plan on the same store is a new run: every answer is reused.
    again = run(root, ray_executor())
    assert sum(server.asked.values()) == asked
    assert (again.counts.calls, again.counts.cache_hits) == (0, ITEMS)


def test_a_worker_killed_mid_run_loses_nothing(tmp_path: Path, server: CountingServer,
                                               ray_cluster: None) -> None:
    # 2 models x 9 items, one request each, in shards of 2 spread over both workers. With
    # concurrency 1 (held across workers) one request per model is in flight at a time: once
    # 3 were answered the next two are held, and everything answered before is committed.
    root = project(tmp_path, server.base_url, concurrency=1, models=("a", "b"), trial=False)
    server.hold_after(3)
    killed: dict[str, object] = {}

    def kill_one_worker() -> None:
        try:
            server.wait_until_held(2)
            owners = {client: connection_owner(client[1]) for client in server.held_clients}
            victim = owners[server.held_clients[0]]
            killed["prompts"] = {prompt for client, prompt in
                                 zip(server.held_clients, server.held_prompts, strict=True)
                                 if owners[client] == victim}
            os.kill(victim, signal.SIGKILL)
        finally:
            server.release()

    killer = in_background(kill_one_worker)
    result = run(root, ray_executor())
    killer.result(timeout=60)

    # Every item scored (a score row is unique per run, model, task, item and metric).
    scored = rows(root, "SELECT DISTINCT model, benchmark, sample_id FROM scores")
    assert len(scored) == 2 * ITEMS
    assert rows(root, ERRORS) == [(0,)]
    assert result.counts.scored == 2 * ITEMS
    # Only what the dead worker had in flight was asked again, and only once more.
    repeated = {prompt for prompt, times in server.asked.items() if times > 1}
    assert repeated <= killed["prompts"]  # type: ignore[operator]
    assert max(server.asked.values()) <= 2
    assert len(rows(root, COMPLETIONS)) == len(server.asked)


def test_concurrency_holds_across_workers(tmp_path: Path, server: CountingServer,
                                          ray_cluster: None) -> None:
    root = project(tmp_path, server.base_url, concurrency=2, models=("a",), trial=False)
    server.hold_after(0)

    def release_once_two_wait() -> None:
        try:
            server.wait_until_held(2)  # both places taken, by whichever workers
        finally:
            server.release()

    releaser = in_background(release_once_two_wait)
    result = run(root, ray_executor())
    releaser.result(timeout=60)
    assert result.counts.scored == ITEMS
    assert server.most_in_flight == 2


def connection_owner(port: int) -> int:
    """The process holding the TCP connection whose local port is `port` (Linux /proc)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            inode = fields[9]
    assert inode is not None, f"no connection from port {port}"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue  # gone, or not ours to read
        if f"socket:[{inode}]" in links:
            return int(entry.name)
    raise AssertionError(f"no process holds the connection from port {port}")


def test_the_cli_starts_a_local_ray_for_the_run(tmp_path: Path, server: CountingServer) -> None:
    root = project(tmp_path, server.base_url, concurrency=2, models=("a",), trial=False)
    ran = bakeoff_process("run", "-s", "small", "--store", STORE, "--executor", "ray",
                          "--ray-workers", "2", "--ray-shard-size", "3", cwd=root,
                          timeout_s=300)
    assert ran.returncode == 0, ran.stderr
    assert f"{ITEMS} samples scored, {ITEMS} calls made" in ran.stdout
    assert set(server.asked.values()) == {1} and len(server.asked) == ITEMS
    [(environment,)] = rows(root, "SELECT environment_json FROM runs")
    assert json.loads(str(environment))["command"] == (
        f"bakeoff run --suite small --store {STORE} --executor ray --ray-workers 2 "
        "--ray-shard-size 3")


@pytest.mark.slow  # two processes each start a Ray of their own: about 30 s on 2 cores
def test_ctrl_c_keeps_what_finished_and_a_rerun_resumes(tmp_path: Path,
                                                         server: CountingServer) -> None:
    root = project(tmp_path, server.base_url, concurrency=1, models=("a", "b"), trial=False)
    command = [*BAKEOFF, "run", "-s", "small", "--store", STORE, "--executor", "ray",
               "--ray-workers", "2", "--ray-shard-size", "2"]
    server.hold_after(3)
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        server.wait_until_held(2)  # one request per model in flight, the rest committed
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        server.release()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted: run 1 keeps what finished" in stderr
    in_flight = set(server.held_prompts)

    rerun = bakeoff_process(*command[3:], cwd=root, timeout_s=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "run 1 resumed" in rerun.stdout
    assert len({row[:3] for row in rows(root, SCORES)}) == 2 * ITEMS
    # Only the requests in flight at Ctrl-C were asked again.
    assert {prompt for prompt, times in server.asked.items() if times > 1} <= in_flight
    assert max(server.asked.values()) <= 2
