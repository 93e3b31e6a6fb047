"""`bakeoff run` judges open-ended answers when a judge is configured, `bakeoff judge RUN`
judges a stored run again (from the cache) and prints the ratings, and the [judge] table's
errors are one located line with exit code 2.

The models are a provider kind registered by the test (a "panel": a fixed reply, or a judge's
verdict), so the whole command runs in a second with the real config, store and runner."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Literal

import pytest

from bakeoff.providers.base import ModelConfig, Provider, StreamEvent
from bakeoff.providers.registry import register, unregister
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    LoglikelihoodRequest,
    ProviderError,
    Timing,
    Usage,
)
from tests.helpers.cli import bakeoff, one_error_line

JUDGE_REPLY = "<judge>"


class PanelConfig(ModelConfig):
    provider: Literal["panel"]
    reply: str

    def build(self) -> Provider:
        return PanelProvider(self.name, self.reply)

    def identity(self) -> str:
        return f"panel|{self.reply}"

    def abilities(self) -> Abilities:
        return Abilities(endpoint="chat")

    def served_by(self) -> str:
        return "a panel"


class PanelProvider:
    """Replies with `reply`; as a judge, prefers the answer that says "good"."""

    kind = "panel"
    abilities = Abilities(endpoint="chat")

    def __init__(self, model_id: str, reply: str) -> None:
        self.model_id, self.reply = model_id, reply

    async def generate(self, request: GenerationRequest) -> Completion:
        text = self.reply
        if text == JUDGE_REPLY:
            shown = re.findall(r"\[Answer [AB]\]\n(.*?)\n\[End", request.messages[-1].content,
                               re.S)
            text = "Verdict: " + ("A" if "good" in shown[0] else "B")
        now = time.time()
        return Completion(text, Usage(10, 5), Timing(now, now, now), finish_reason="stop")

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        yield await self.generate(request)

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        raise ProviderError("unsupported", "no log-probabilities")

    async def aclose(self) -> None:
        pass


@pytest.fixture(autouse=True)
def panel_kind() -> Iterator[None]:
    register(PanelConfig)
    yield
    unregister("panel")


MODELS = f"""
[[models]]
name = "careful"
provider = "panel"
reply = "A good, careful answer."

[[models]]
name = "terse"
provider = "panel"
reply = "ok"

[[models]]
name = "referee"
provider = "panel"
reply = "{JUDGE_REPLY}"

[suites.open]
benchmarks = ["open_ended"]
limits = {{ open_ended = 3 }}

[suites.other]
benchmarks = ["abstention"]
limits = {{ abstention = 1 }}
"""
JUDGED = MODELS + '\n[judge]\nmodel = "referee"\n'


def project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "bakeoff.toml").write_text(config, encoding="utf-8")
    return tmp_path


def test_run_judges_after_answering_and_judge_replays_from_the_cache(tmp_path: Path) -> None:
    root = project(tmp_path, JUDGED)
    ran = bakeoff("run", "-s", "open", "-m", "careful", "-m", "terse", cwd=root)
    assert ran.returncode == 0, ran.stderr
    assert "judge referee: 3 pairs judged in both orders (0 flipped" in ran.stdout
    assert "6 calls made" in ran.stdout

    again = bakeoff("judge", "1", cwd=root, env={"COLUMNS": "120"})
    assert again.returncode == 0, again.stderr
    assert "0 calls made, 6 reused from the store" in again.stdout
    assert "judge referee — Bradley–Terry ratings" in again.stdout
    rows = [line for line in again.stdout.splitlines() if "careful" in line or "terse" in line]
    assert "careful" in rows[0] and "terse" in rows[1]
    assert "position bias 0% (0 verdicts flipped with the order)" in again.stdout


def test_the_judge_stops_at_the_spending_cap_and_a_rerun_judges_the_rest(
        tmp_path: Path) -> None:
    # Only the judge has a price: one call's estimate (its prompt and 192 output tokens at
    # $1,000 per 1M) is well over $0.10, so the cap refuses the first judge call.
    priced = JUDGED.replace(f'reply = "{JUDGE_REPLY}"', f'reply = "{JUDGE_REPLY}"\n'
                            "price_input_per_mtok = 1000.0\nprice_output_per_mtok = 1000.0")
    root = project(tmp_path, priced)
    capped = bakeoff("run", "-s", "open", "-m", "careful", "-m", "terse", "--max-cost", "0.10",
                     cwd=root, env={"COLUMNS": "200"})
    assert capped.returncode == 3, capped.stderr
    assert "0 pairs judged" in capped.stdout and "3 left out at the --max-cost cap" in capped.stdout
    assert "budget reached: run 1" in capped.stderr

    resumed = bakeoff("run", "-s", "open", "-m", "careful", "-m", "terse", "--max-cost", "100",
                      cwd=root, env={"COLUMNS": "200"})
    assert resumed.returncode == 0, resumed.stderr
    assert "run 1 resumed" in resumed.stdout
    assert "judge referee: 3 pairs judged in both orders" in resumed.stdout
    assert "6 calls made" in resumed.stdout


def test_judge_with_another_model_labels_a_contestant_judging_itself(tmp_path: Path) -> None:
    root = project(tmp_path, MODELS)
    assert bakeoff("run", "-s", "open", "-m", "careful", "-m", "terse", cwd=root).returncode == 0
    judged = bakeoff("judge", "1", "--judge", "terse", cwd=root, env={"COLUMNS": "120"})
    assert judged.returncode == 0, judged.stderr
    # "ok" is no verdict: every pair is left out, none is a tie.
    assert "0 pairs judged" in judged.stdout and "3 left out with no verdict line" in judged.stdout

    (root / "bakeoff.toml").write_text(MODELS.replace('reply = "ok"', 'reply = "Verdict: A"'),
                                       encoding="utf-8")
    assert bakeoff("run", "-s", "open", "-m", "careful", "-m", "terse", cwd=root).returncode == 0
    judged = bakeoff("judge", "2", "--judge", "terse", cwd=root, env={"COLUMNS": "160"})
    assert "terse (judged by itself)" in judged.stdout
    assert "position bias 100%" in judged.stdout


def test_judge_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    root = project(tmp_path, MODELS)
    assert "no store yet" in one_error_line(bakeoff("judge", "1", cwd=root))
    assert bakeoff("run", "-s", "other", "-m", "terse", cwd=root).returncode == 0
    assert "no judge: add [judge]" in one_error_line(bakeoff("judge", "1", cwd=root))
    line = one_error_line(bakeoff("judge", "1", "--judge", "nobody", cwd=root))
    assert "unknown model 'nobody'" in line
    assert "no run 7" in one_error_line(bakeoff("judge", "7", "--judge", "referee", cwd=root))
    line = one_error_line(bakeoff("judge", "1", "--judge", "referee", cwd=root))
    assert "run 1 has no judged trial" in line


@pytest.mark.parametrize(("table", "problem"), [
    ('[judge]\nmodel = "nobody"\n', "judge.model: unknown model 'nobody' (known: careful,"),
    ('[judge]\nmodel = "referee"\ntemperature = 0\n', "judge.temperature: unknown key"),
    ("[judge]\n", "judge.model: Field required"),
])
def test_a_bad_judge_table_is_a_located_error(tmp_path: Path, table: str, problem: str) -> None:
    root = project(tmp_path, MODELS + table)
    assert problem in one_error_line(bakeoff("judge", "1", cwd=root))


def test_a_bundled_model_may_judge_and_is_the_default_judge() -> None:
    from bakeoff.config import default_config, parse_config

    assert parse_config(MODELS + '[judge]\nmodel = "gemma-3-270m"\n', "x.toml").judge
    judge = default_config().judge
    assert judge is not None and judge.model == "qwen2.5-coder-0.5b-instruct"
