"""The Breakout harness on games written for the tests (tests/trials/breakout_games/): a working
game passes every property at every case's size, a ghost game and partly broken games fail
with the right reasons, and one real answer from the bundled Qwen2.5-Coder 0.5B is checked."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.cache import FetchError
from bakeoff.scoring.sandbox import SandboxUnavailable, check_available
from bakeoff.trials.base import Case, Check, Transcript
from bakeoff.trials.breakout import (
    METRICS,
    PROPERTIES,
    TRIALS,
    BreakoutTrial,
    extract_code,
    make_prompt,
)
from bakeoff.types import GenerationConfig, Message

GAMES = Path(__file__).parent / "breakout_games"
TRIAL = BreakoutTrial()


@pytest.fixture
def sandboxed() -> None:
    try:
        check_available()
    except SandboxUnavailable as error:  # pragma: no cover - CI and the dev machine have it
        pytest.skip(str(error))


needs_sandbox = pytest.mark.usefixtures("sandboxed")


def game(name: str, case: Case | None = None) -> str:
    """A test game's source; the working game takes the case's points and lives."""
    source = (GAMES / f"{name}.py").read_text()
    if case is not None:
        truth = case.truth()
        source = source.replace("POINTS = 10", f"POINTS = {truth['points']}")
        source = source.replace("LIVES = 3", f"LIVES = {truth['lives']}")
    return source


def case_with(points: int = 10, lives: int = 3, size: tuple[int, int] = (400, 300)) -> Case:
    base = TRIAL.cases(0, 1)[0]
    truth = {"width": size[0], "height": size[1], "points": points, "lives": lives}
    return replace(base, expected=json.dumps(truth, sort_keys=True),
                   messages=(Message("user", make_prompt(size[0], size[1], points, lives)),))


def play(case: Case, text: str) -> dict[str, Check]:
    checks = TRIAL.check(case, Transcript((*case.messages, Message("assistant", text)), ()))
    assert [check.metric for check in checks] == list(METRICS)
    return {check.metric: check for check in checks}


def fenced(code: str) -> str:
    return f"Here is the game:\n\n```python\n{code}```\n\nEnjoy!"


def failed(checks: dict[str, Check]) -> set[str]:
    return {metric for metric, check in checks.items() if check.value < 1.0}


# --- cases ----------------------------------------------------------------------------------


def test_it_is_registered_with_its_info() -> None:
    [trial] = TRIALS
    assert trial.info.name == "program_breakout"
    assert trial.info.category == "Programs"
    assert trial.info.metrics == ("pass", "ball_moves", "controls", "walls", "paddle",
                                  "bricks", "ball_lost")
    assert 1 <= trial.info.quick_count <= 5  # one game: ~700 tokens is minutes on a laptop


def test_the_same_seed_gives_the_same_cases_and_the_prompt_states_the_numbers() -> None:
    first, again, more = TRIAL.cases(4, 5), TRIAL.cases(4, 5), TRIAL.cases(4, 8)
    assert first == again and more[:5] == first
    assert [case.messages for case in TRIAL.cases(5, 5)] != [case.messages for case in first]
    for case in first:
        truth = case.truth()
        prompt = case.messages[0].content
        assert f"Game({truth['width']}, {truth['height']})" in prompt
        assert f"grows by {truth['points']} for each broken brick" in prompt
        assert f"lives: starts at {truth['lives']};" in prompt
        assert truth["lives"] >= 2  # so losing one life does not end the game
        assert case.meta("size") == f"{truth['width']}x{truth['height']}"


def test_the_code_is_the_block_that_defines_game() -> None:
    text = ("Run it with:\n```bash\npython game.py\n```\n```python\nimport pygame\nclass Game:\n"
            "    pass\n```")
    assert extract_code(text) == "import pygame\nclass Game:\n    pass\n"
    assert extract_code("class Game:\n    pass") == "class Game:\n    pass"


# --- the harness on the test games ---------------------------------------------------------


@needs_sandbox
@pytest.mark.parametrize("index", range(5))
def test_a_working_game_passes_every_property_at_each_cases_size(index: int) -> None:
    case = TRIAL.cases(0, 5)[index]
    checks = play(case, fenced(game("working", case)))
    assert failed(checks) == set(), checks["pass"].reason
    assert checks["pass"].reason.startswith("every property holds")
    assert "score rose by" in checks["bricks"].reason


@needs_sandbox
def test_a_ghost_game_fails_with_what_the_ball_did() -> None:
    checks = play(case_with(), fenced(game("ghost")))
    assert failed(checks) == {"pass", "walls", "paddle", "bricks", "ball_lost"}
    assert re.search(r"the ball went through the left wall \(ball.left reached -\d+",
                     checks["walls"].reason)
    assert "the ball passed through the paddle" in checks["paddle"].reason
    assert "no brick broke" in checks["bricks"].reason
    assert "no life was lost (lives stayed 3" in checks["ball_lost"].reason
    assert "moved from" in checks["ball_moves"].reason
    for metric in ("walls", "paddle", "bricks", "ball_lost"):
        assert checks[metric].reason in checks["pass"].reason


@needs_sandbox
@pytest.mark.parametrize(("name", "metric", "reason"), [
    ("no_paddle_bounce", "paddle", r"the ball passed through the paddle \(ball.bottom reached"),
    ("no_score", "bricks", r"1 brick\(s\) broke but the score stayed 0"),
    ("no_game_over", "ball_lost", r"losing the last life left game_over=False \(lives=0\)"),
])
def test_a_partly_broken_game_fails_only_its_property(name: str, metric: str,
                                                      reason: str) -> None:
    checks = play(case_with(), fenced(game(name)))
    assert failed(checks) == {"pass", metric}
    assert re.search(reason, checks[metric].reason), checks[metric].reason
    assert checks["pass"].reason == f"{metric}: {checks[metric].reason}"


@needs_sandbox
def test_the_wrong_points_and_lives_are_named() -> None:
    checks = play(case_with(points=25, lives=5), fenced(game("working")))
    assert "score rose by 10, expected 25 (25 per brick)" in checks["bricks"].reason
    assert "contract: game.lives starts as 3, expected 5" in checks["pass"].reason


@needs_sandbox
def test_a_ball_that_is_not_a_rect_breaks_the_contract() -> None:
    source = game("working").replace(
        "        self.ball = pygame.Rect(self.width // 2 - 5, self.height // 2, 10, 10)",
        "        self.ball = [self.width // 2 - 5, self.height // 2, 10, 10]")
    checks = play(case_with(), fenced(source))
    assert failed(checks) == set(METRICS)
    assert checks["ball_moves"].reason == "game.ball is a list, not a pygame.Rect"
    # The paddle test needs no ball, but this step() fails on its own list.
    assert checks["controls"].reason.startswith("step({'left'}) raised AttributeError")
    assert checks["pass"].reason.startswith("contract, ball_moves, walls, paddle, bricks, "
                                            "ball_lost: game.ball is a list, not a pygame.Rect")


@needs_sandbox
def test_a_game_without_bricks_fails_only_what_needs_them() -> None:
    source = game("working").replace("for row in range(4)", "for row in range(0)")
    checks = play(case_with(), fenced(source))
    assert failed(checks) == {"pass", "bricks"}
    assert checks["bricks"].reason == "game.bricks is [], not a non-empty list of pygame.Rect"
    assert checks["pass"].reason == f"contract, bricks: {checks['bricks'].reason}"


@needs_sandbox
def test_an_error_in_step_names_the_line() -> None:
    source = game("working").replace("        self.ball.x += self.ball_dx",
                                     "        self.ball.x += self.ball_dx / 0")
    checks = play(case_with(), fenced(source))
    assert re.fullmatch(r"step\(set\(\)\) raised ZeroDivisionError: division by zero "
                        r"\(game.py line \d+\)", checks["ball_moves"].reason)


@needs_sandbox
def test_a_game_loop_at_import_is_stopped_and_reported() -> None:
    checks = play(case_with(), fenced(game("loop_at_import")))
    assert failed(checks) == set(METRICS)
    assert checks["walls"].reason == "importing the module did not return within 5 s"


@needs_sandbox
def test_an_endless_step_is_stopped_and_reported() -> None:
    source = game("working").replace(
        "        if self.game_over:\n            return",
        "        while self.ball.colliderect(self.paddle):  # hangs on touching the paddle\n"
        "            pass")
    checks = play(case_with(), fenced(source))
    assert failed(checks) == {"pass", "paddle"}
    assert checks["paddle"].reason == "step(set()) did not return within 2 s"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty answer"),
    ("Sorry, I can't help with games.", "the code does not parse"),
    (fenced("import pygame\n\nclass Breakout:\n    pass\n"),
     "the code defines no top-level class Game"),
])
def test_an_answer_that_cannot_be_played_fails_every_property(text: str, reason: str) -> None:
    checks = play(case_with(), text)
    assert failed(checks) == set(METRICS)
    assert all(check.reason.startswith(reason) for metric, check in checks.items()
               if metric != "pass")
    assert checks["pass"].reason.startswith(", ".join(PROPERTIES) + ": " + reason)


# --- one real answer ------------------------------------------------------------------------


@needs_sandbox
@pytest.mark.slow  # a 0.5B model writes ~700 tokens: minutes on two cores
def test_a_real_game_from_the_bundled_coder_gets_a_reasoned_check() -> None:
    pytest.importorskip("llama_cpp")
    from bakeoff.providers.bundled import ensure_model
    from bakeoff.providers.llama_cpp.provider import LlamaCppProvider

    try:
        path: Path = ensure_model("qwen2.5-coder-0.5b-instruct")
    except FetchError as error:
        pytest.skip(f"the bundled model cannot be fetched here: {error}")
    provider = LlamaCppProvider(path, "qwen2.5-coder-0.5b-instruct", n_ctx=2048)
    case = replace(TRIAL.cases(0, 1)[0], config=GenerationConfig(max_tokens=768))
    try:
        completion = asyncio.run(provider.generate(case.request()))
    finally:
        asyncio.run(provider.aclose())
    checks = play(case, completion.text)
    assert all(check.reason for check in checks.values())
