"""MMLU and GSM8K read a user's file (hub schema) or the hub, and say which source they used."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

import bakeoff.benchmarks.data as data
from bakeoff.benchmarks.data import DataUnavailable, HubSource
from bakeoff.benchmarks.gsm8k import GSM8K, GSM8K_HUB_TEST, GSM8K_HUB_TRAIN
from bakeoff.benchmarks.listing import HubProbe
from bakeoff.benchmarks.mmlu import MMLU, MMLU_HUB_DEV, MMLU_HUB_TEST
from bakeoff.benchmarks.registry import get_benchmark


def mmlu_hub_row(question: str, subject: str, answer: int) -> dict[str, Any]:
    """A row in the cais/mmlu schema."""
    return {"question": question, "subject": subject,
            "choices": ["w", "x", "y", "z"], "answer": answer}


def gsm8k_row(n: int) -> dict[str, str]:
    return {"question": f"What is {n} + 1?", "answer": f"{n} + 1 = {n + 1}\n#### {n + 1}"}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_mmlu_reads_a_user_file_in_the_hub_schema(tmp_path: Path) -> None:
    rows = [mmlu_hub_row(f"Q{n}?", "anatomy", n % 4) for n in range(7)]
    mmlu = get_benchmark("mmlu", data_file=write_jsonl(tmp_path / "mmlu.jsonl", rows))
    samples = mmlu.load_samples()
    assert [s.id for s in samples] == ["mmlu/anatomy/5", "mmlu/anatomy/6"]
    assert [s.target for s in samples] == ["B", "C"]
    assert "Q4?\nA. w\nB. x\nC. y\nD. z\nAnswer: A\n\nQ5?" in samples[0].input
    assert getattr(mmlu, "data_source", None) == f"file {tmp_path / 'mmlu.jsonl'}"


def test_a_bad_user_file_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    rows = [mmlu_hub_row("Q?", "anatomy", 0), {"question": "Q?", "subject": "anatomy"}]
    with pytest.raises(DataUnavailable, match=r"mmlu\.jsonl: row 2: missing field 'choices'"):
        MMLU(data_file=write_jsonl(tmp_path / "mmlu.jsonl", rows)).load_samples()
    with pytest.raises(DataUnavailable, match=r"no data for mmlu: tried file .*no such file"):
        MMLU(data_file=tmp_path / "absent.jsonl").load_samples()


def test_gsm8k_reads_a_user_file(tmp_path: Path) -> None:
    gsm8k = GSM8K(data_file=write_jsonl(tmp_path / "g.jsonl", [gsm8k_row(n) for n in range(6)]))
    [sample] = gsm8k.load_samples()
    assert (sample.id, sample.target) == ("gsm8k/5", "6")
    assert gsm8k.data_source == f"file {tmp_path / 'g.jsonl'}"
    with pytest.raises(DataUnavailable, match="row 1: missing field 'answer'"):
        GSM8K(data_file=write_jsonl(tmp_path / "bad.jsonl", [{"question": "q"}])).load_samples()


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> dict[HubSource, list[dict[str, Any]]]:
    """The hub loader answering from memory (the real hub is unreachable here)."""
    splits: dict[HubSource, list[dict[str, Any]]] = {}

    def load(source: HubSource) -> list[dict[str, Any]]:
        if source not in splits:
            raise DataUnavailable("not on this fake hub")
        return splits[source]

    monkeypatch.setattr(data, "_load_hub", load)
    return splits


def test_mmlu_from_the_hub_takes_shots_from_dev_and_evaluates_all_test(
        fake_hub: dict[HubSource, list[dict[str, Any]]]) -> None:
    fake_hub[MMLU_HUB_TEST] = [mmlu_hub_row(f"T{n}?", "anatomy", 1) for n in range(3)]
    fake_hub[MMLU_HUB_DEV] = [mmlu_hub_row(f"D{n}?", "anatomy", 0) for n in range(5)]
    mmlu = MMLU()
    samples = mmlu.load_samples()
    assert [s.id for s in samples] == [f"mmlu/anatomy/{n}" for n in range(3)]
    assert samples[0].input.count("Answer: A\n\n") == 5
    assert samples[0].input.endswith("T0?\nA. w\nB. x\nC. y\nD. z\nAnswer:")
    assert mmlu.data_source == MMLU_HUB_TEST.describe()


def test_gsm8k_from_the_hub_takes_shots_from_train(
        fake_hub: dict[HubSource, list[dict[str, Any]]]) -> None:
    fake_hub[GSM8K_HUB_TEST] = [gsm8k_row(n) for n in range(2)]
    fake_hub[GSM8K_HUB_TRAIN] = [gsm8k_row(n) for n in range(100, 108)]
    gsm8k = GSM8K()
    samples = gsm8k.load_samples()
    assert [s.id for s in samples] == ["gsm8k/0", "gsm8k/1"]
    assert samples[0].input.startswith("Question: What is 100 + 1?")
    assert samples[0].input.count("Question:") == 6
    assert gsm8k.data_source == GSM8K_HUB_TEST.describe()


class _Revisions(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path.endswith("/revision/abc") else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Revisions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: object() if name == "datasets" else real_find_spec(name))
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_hub_probe_asks_for_the_pinned_revision(local_hub: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", local_hub)
    probe = HubProbe(timeout_s=5)
    assert probe.check(HubSource("org/set", "test", "abc"))[0] == "yes"
    assert probe.check(HubSource("org/set", "test", "zzz")) == (
        "no", "hub answered HTTP 404 for this revision")


def test_hub_probe_remembers_an_unreachable_hub(local_hub: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    probe = HubProbe(timeout_s=5)
    first = probe.check(HubSource("org/set", "test", "abc"))
    assert first[0] == "no" and first[1].startswith("hub unreachable at http://127.0.0.1:9")
    monkeypatch.setattr(probe, "endpoint", local_hub)  # would answer yes if asked again
    assert probe.check(HubSource("org/set", "test", "abc")) == first
