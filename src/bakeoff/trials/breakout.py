"""Breakout: the seed articles' "write a Pygame Breakout game", as a game a harness plays.

The prompt states a small contract: a module with `class Game(width, height)` whose ball,
paddle and bricks are `pygame.Rect`s, the ball's velocity in `ball_dx`/`ball_dy`, `score`,
`lives`, `game_over`, and `step(keys)` advancing one frame with keys from {"left", "right"}.
Cases vary the screen size, the points per brick and the lives, so the same prompt is never
asked twice and the checker knows the numbers to expect.

The harness (`_HARNESS`, run in bakeoff.scoring.sandbox with SDL's dummy video and audio
drivers, so no window opens) imports the answer as `game.py`, then plays short scenarios, each
on a fresh `Game` in which it places the ball and sets its velocity:

- contract: the attributes exist with the stated types and starting values;
- ball_moves: the ball moves on its own from the first frames;
- controls: "left" and "right" move the paddle;
- walls: the ball comes back from the left, right and top walls instead of leaving;
- paddle: the ball dropped onto the paddle bounces up, no life lost;
- bricks: the ball sent up into the lowest brick breaks it, and the score rises by the stated
  points per brick;
- ball_lost: a ball that falls past the paddle costs one life, and losing the last life sets
  game_over.

Every step runs under a timer, so a game loop at import or an endless `step` is reported as
such. A "ghost game" (the ball moves but touches nothing) fails walls, paddle, bricks and
ball_lost, each with what the ball did. Metrics: "pass" (every property) and one per property.
"""

from __future__ import annotations

import ast
import json
import re
import secrets
from collections.abc import Sequence
from typing import Any

from bakeoff.scoring.sandbox import Limits, SandboxResult, SandboxUnavailable, run_program
from bakeoff.trials.base import (
    PASS,
    Case,
    Check,
    SingleTurnTrial,
    Transcript,
    Trial,
    TrialInfo,
    case_rng,
)
from bakeoff.trials.programs import CATEGORY, clean
from bakeoff.types import GenerationConfig, Message

# The properties the harness checks, in its order; all but "contract" are metrics too.
PROPERTIES = ("contract", "ball_moves", "controls", "walls", "paddle", "bricks", "ball_lost")
METRICS = (PASS, *PROPERTIES[1:])
SIZES = ((320, 240), (400, 300), (480, 360), (560, 420), (640, 480))
POINTS = (1, 5, 10, 25, 50)
MAX_TOKENS = 768
LIMITS = Limits(timeout_s=30.0, processes=32)

_FENCE = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def make_prompt(width: int, height: int, points: int, lives: int) -> str:
    return f"""Write a small Breakout game in Python with pygame, as a module that tests import and drive frame by frame. The contract:

- Use pygame: the ball, the paddle and every brick are pygame.Rect objects.
- class Game with __init__(self, width, height); the tests call Game({width}, {height}).
- Attributes:
  ball: pygame.Rect, the ball's only position (tests move it by setting ball.x and ball.y);
  ball_dx, ball_dy: the ball's speed in pixels per frame (y grows downwards); tests may set them;
  paddle: pygame.Rect near the bottom edge;
  bricks: list of pygame.Rect in rows near the top; a brick the ball hits is removed from it;
  score: starts at 0 and grows by {points} for each broken brick;
  lives: starts at {lives}; game_over: starts False.
- step(self, keys) advances one frame; keys is a set that may hold "left" and "right". It moves the paddle, moves the ball from the very first frame (no launch key), bounces the ball off the left, right and top walls, the paddle and the bricks. When the ball falls below the bottom edge, one life is lost and the ball is served again; when no life is left, game_over becomes True.
- No window, drawing or event loop is needed; a main() with a game loop may run only under if __name__ == "__main__":.

Reply with the whole module in one ```python code block."""  # noqa: E501 - the prompt's lines


def extract_code(text: str) -> str:
    """The first fenced block that defines class Game, else the first block, else all."""
    blocks = _FENCE.findall(text)
    defines = re.compile(r"^class\s+Game\b", re.MULTILINE)
    return next((block for block in blocks if defines.search(block)),
                blocks[0] if blocks else text)


def static_problem(code: str) -> str | None:
    """Why the module cannot be played without running it, or None."""
    if not code.strip():
        return "empty answer"
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        return f"the code does not parse: {error.msg} (line {error.lineno})"
    if not any(isinstance(node, ast.ClassDef) and node.name == "Game" for node in tree.body):
        return "the code defines no top-level class Game"
    return None


# Runs in the sandbox after CONFIG and CODE are set; prints one JSON line after MARK:
# {property: [passed, reason]}. Progress lines ("stage <name>") tell where a timeout hit.
_HARNESS = r'''
import importlib.util, json, os, signal, sys, traceback

os.environ.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                  PYGAME_HIDE_SUPPORT_PROMPT="1")
W, H, POINTS, LIVES, MARK = (CONFIG[key] for key in ("width", "height", "points", "lives",
                                                      "mark"))
SPEED = 4


class Failed(Exception):
    """A property does not hold; the message says why."""


class Stuck(BaseException):
    """The timer ran out; not an Exception, so the answer's `except Exception` lets it by."""


class Sink:
    """The answer's prints go nowhere, so they cannot pose as the result line."""
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def on_alarm(signum, frame):
    raise Stuck()


signal.signal(signal.SIGALRM, on_alarm)


def say(text):
    sys.__stdout__.write(MARK + text + "\n")
    sys.__stdout__.flush()


def where(error):
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if os.path.basename(f.filename) == "game.py"]
    return f" (game.py line {frames[-1].lineno})" if frames else ""


def guarded(doing, action, seconds=2.0):
    """action() under a timer with the answer's output swallowed; Failed on any error."""
    signal.setitimer(signal.ITIMER_REAL, seconds)
    sys.stdout = Sink()
    try:
        return action()
    except Failed:
        raise
    except Stuck:
        raise Failed(f"{doing} did not return within {seconds:g} s") from None
    except BaseException as error:
        raise Failed(f"{doing} raised {type(error).__name__}: {error}{where(error)}") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout = sys.__stdout__


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def wrong(name, value):
    """What is wrong with attribute `name` of a new game, or None."""
    if name in ("ball", "paddle") and not isinstance(value, pygame.Rect):
        return f"a {type(value).__name__}, not a pygame.Rect"
    if name in ("ball_dx", "ball_dy", "score", "lives") and not number(value):
        return f"{value!r}, not a number"
    if name == "bricks" and not (isinstance(value, list) and value and all(
            isinstance(brick, pygame.Rect) for brick in value)):
        return f"{value!r:.60}, not a non-empty list of pygame.Rect"
    return None


def new_game(*needs):
    """A fresh Game whose attributes in `needs` exist and have the stated types, so each
    scenario fails only for what it uses."""
    game = guarded(f"Game({W}, {H})", lambda: GAME(W, H), 3.0)
    for name in needs:
        if not hasattr(game, name):
            raise Failed(f"Game({W}, {H}) has no attribute {name!r}")
        problem = wrong(name, getattr(game, name))
        if problem:
            raise Failed(f"game.{name} is {problem}")
    return game


def step(game, keys=()):
    guarded(f"step({set(keys) or 'set()'})", lambda: game.step(set(keys)))


def contract():
    game = new_game("ball", "paddle", "ball_dx", "ball_dy", "bricks", "score", "lives",
                    "game_over")
    starts = {"score": 0, "lives": LIVES, "game_over": False}
    for name, expected in starts.items():
        value = getattr(game, name)
        if not (value is False if expected is False else number(value) and value == expected):
            raise Failed(f"game.{name} starts as {value!r}, expected {expected!r}")
    return f"Game({W}, {H}) has every attribute, with the stated starting values"


def ball_moves():
    game = new_game("ball")
    start = game.ball.center
    for frame in range(1, 11):
        step(game)
        if game.ball.center != start:
            return f"the ball moved from {start} to {game.ball.center} in {frame} frame(s)"
    raise Failed(f"the ball stayed at {start} for 10 frames")


def controls():
    game = new_game("paddle")
    game.paddle.centerx = W // 2
    start = game.paddle.x
    for _ in range(8):
        step(game, {"left"})
    left = game.paddle.x
    if left >= start:
        raise Failed(f"holding 'left' for 8 frames took the paddle's x from {start} to {left}")
    for _ in range(16):
        step(game, {"right"})
    right = game.paddle.x
    if right <= left:
        raise Failed(f"holding 'right' for 16 frames took the paddle's x from {left} to {right}")
    return f"the paddle moved left ({start} -> {left}) and right ({left} -> {right})"


def brick_list(game):
    """The game's bricks when they are a list of Rects (a wall test needs none)."""
    bricks = getattr(game, "bricks", None)
    return bricks if isinstance(bricks, list) and wrong("bricks", bricks) is None else []


def open_lane(game):
    """A height between the lowest brick and the paddle: nothing there but the walls."""
    lowest = max((brick.bottom for brick in brick_list(game)), default=H // 4)
    return (lowest + game.paddle.top) // 2


# wall -> (how far the ball is from it, the velocity towards it, the velocity away from it)
GAP = {"left": lambda ball: ball.left, "right": lambda ball: W - ball.right,
       "top": lambda ball: ball.top}
TOWARDS = {"left": (-SPEED, 0), "right": (SPEED, 0), "top": (0, -SPEED)}


def bounce_off(wall):
    game = new_game("ball", "ball_dx", "ball_dy", "paddle")
    ball = game.ball
    if wall == "top":
        ball.centerx = W // 2
        lane = pygame.Rect(ball.x - 40, 0, ball.width + 80, H)
        bricks = brick_list(game)
        bricks[:] = [brick for brick in bricks if not brick.colliderect(lane)]
        ball.top = 8
    else:
        ball.centery = open_lane(game)
        if wall == "left":
            ball.left = 8
        else:
            ball.right = W - 8
    game.ball_dx, game.ball_dy = TOWARDS[wall]
    gaps = []
    for _ in range(20):
        step(game)
        gaps.append(GAP[wall](game.ball))
    deepest = min(gaps)
    speed = game.ball_dx if wall != "top" else game.ball_dy
    away = speed > 0 if wall in ("left", "top") else speed < 0
    if deepest < -(SPEED + 4) or not away or gaps[-1] <= deepest:
        edge = {"left": "ball.left", "right": "W - ball.right", "top": "ball.top"}[wall]
        raise Failed(f"the ball went through the {wall} wall ({edge} reached {deepest} "
                     f"in 20 frames, speed {TOWARDS[wall]})" if deepest < -(SPEED + 4) else
                     f"the ball did not come back from the {wall} wall (after 20 frames "
                     f"{edge} is {gaps[-1]}, speed ({game.ball_dx}, {game.ball_dy}))")
    return deepest


def walls():
    for wall in ("left", "right", "top"):
        bounce_off(wall)
    return "the ball came back from the left, right and top walls"


def paddle():
    game = new_game("ball", "ball_dx", "ball_dy", "paddle", "lives")
    ball, bat = game.ball, game.paddle
    ball.centerx = bat.centerx
    ball.bottom = bat.top - 10
    game.ball_dx, game.ball_dy = 0, SPEED
    lives, lowest = game.lives, ball.bottom
    for _ in range(20):
        step(game)
        lowest = max(lowest, game.ball.bottom)
    if game.lives != lives or lowest > bat.bottom:
        raise Failed(f"the ball passed through the paddle (ball.bottom reached {lowest}, "
                     f"paddle spans y {bat.top}-{bat.bottom}; lives {lives} -> {game.lives})")
    if game.ball_dy >= 0 or game.ball.bottom >= lowest:
        raise Failed(f"the ball did not bounce up off the paddle (after 20 frames it is at "
                     f"y={game.ball.y} with ball_dy={game.ball_dy})")
    return f"the ball bounced off the paddle at y={lowest}"


def bricks():
    game = new_game("ball", "ball_dx", "ball_dy", "bricks", "score")
    target = max(game.bricks, key=lambda brick: (brick.bottom, -brick.x))
    target = pygame.Rect(target)
    game.ball.centerx = target.centerx
    game.ball.top = target.bottom + 10
    game.ball_dx, game.ball_dy = 0, -SPEED
    count, score = len(game.bricks), game.score
    for _ in range(20):
        step(game)
        if len(game.bricks) < count:
            break
    broken = count - len(game.bricks)
    if broken <= 0:
        raise Failed(f"no brick broke: the ball sent up into the brick at {tuple(target)} "
                     f"ended at y={game.ball.y} after 20 frames, {count} bricks left")
    gained = game.score - score
    if gained == 0:
        raise Failed(f"{broken} brick(s) broke but the score stayed {score}")
    if gained != POINTS * broken:
        raise Failed(f"{broken} brick(s) broke and the score rose by {gained}, expected "
                     f"{POINTS * broken} ({POINTS} per brick)")
    return f"{broken} brick(s) broke and the score rose by {gained}"


def drop_ball(game):
    """Send the ball down beside the paddle; play until a life or the game is lost."""
    game.paddle.left = 0
    game.ball.centerx = W - max(20, game.ball.width)
    game.ball.top = min(game.paddle.top, H - game.ball.height - 2)
    game.ball_dx, game.ball_dy = 0, SPEED
    lives = game.lives
    for _ in range(60):
        step(game)
        if game.lives != lives or game.game_over:
            return
    raise Failed(f"the ball fell below the bottom edge and no life was lost (lives stayed "
                 f"{lives}, ball at y={game.ball.y})")


def ball_lost():
    game = new_game("ball", "ball_dx", "ball_dy", "paddle", "lives", "game_over")
    drop_ball(game)
    if game.game_over or game.lives != LIVES - 1:
        raise Failed(f"losing the ball with {LIVES} lives left gave lives={game.lives}, "
                     f"game_over={game.game_over}; expected lives={LIVES - 1}, game_over=False")
    served = False
    for _ in range(30):
        if 0 <= game.ball.top and game.ball.bottom <= H:
            served = True
            break
        step(game)
    if not served:
        raise Failed(f"after a life was lost the ball was not served again (ball at "
                     f"y={game.ball.y})")
    game.lives = 1
    drop_ball(game)
    if not game.game_over:
        raise Failed(f"losing the last life left game_over={game.game_over!r} "
                     f"(lives={game.lives})")
    step(game)
    return f"losing the ball cost a life ({LIVES} -> {LIVES - 1}); the last one ended the game"


def load():
    with open("game.py", "w", encoding="utf-8") as handle:
        handle.write(CODE)
    spec = importlib.util.spec_from_file_location("game", "game.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["game"] = module
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "Game", None), type):
        raise Failed("the module defines no class Game")
    return module.Game


results = {}
say("stage import")
try:
    import pygame
    pygame.init()
    pygame.display.set_mode((W, H))
    GAME = guarded("importing the module", load, 5.0)
except Failed as failure:
    results = {name: [False, str(failure)] for name in PROPERTIES}
for name in PROPERTIES:
    if name in results:
        continue
    say("stage " + name)
    try:
        results[name] = [True, globals()[name]()]
    except Failed as failure:
        results[name] = [False, str(failure)]
say(json.dumps(results))
'''


def harness(code: str, width: int, height: int, points: int, lives: int, mark: str) -> str:
    config = {"width": width, "height": height, "points": points, "lives": lives, "mark": mark}
    return (f"CONFIG = {config!r}\nCODE = {code!r}\nPROPERTIES = {PROPERTIES!r}\n"
            + _HARNESS)


def play(code: str, truth: dict[str, Any], limits: Limits = LIMITS) -> dict[str, tuple[bool, str]]:
    """Each property's (holds, reason) for the module `code`, played in the sandbox."""
    mark = f"bakeoff-breakout-{secrets.token_hex(8)}:"
    program = harness(code, truth["width"], truth["height"], truth["points"], truth["lives"],
                      mark)
    result = run_program(program, limits)
    if result.status == "error":
        raise SandboxUnavailable(f"the sandbox could not run the game: {result.stderr[-200:]}")
    lines = [line[len(mark):] for line in result.stdout.splitlines() if line.startswith(mark)]
    finals = [line for line in lines if line.startswith("{")]
    if finals:
        return {name: (bool(ok), clean(reason))
                for name, (ok, reason) in json.loads(finals[-1]).items()}
    reason = clean(_unfinished(result, lines, limits))
    return {name: (False, reason) for name in PROPERTIES}


def _unfinished(result: SandboxResult, lines: Sequence[str], limits: Limits) -> str:
    stages = [line.removeprefix("stage ") for line in lines if line.startswith("stage ")]
    during = f" during {stages[-1]!r}" if stages else ""
    if result.status == "timeout":
        return f"the game did not finish in {limits.timeout_s:g} s{during}"
    tail = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
    return f"the harness ended{during}: {tail[0]}"


class BreakoutTrial(SingleTurnTrial):
    info = TrialInfo(
        name="program_breakout", category=CATEGORY,
        checker="the module is played headless in the sandbox: ball moves, walls, paddle, "
                "bricks and score, lives and game over",
        description="Write a pygame Breakout game to a stated contract (class Game, step(keys), "
                    "Rect ball/paddle/bricks); a harness plays it frame by frame.",
        metrics=METRICS, full_count=5, quick_count=1)

    def __init__(self, limits: Limits = LIMITS) -> None:
        self.limits = limits

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(seed, index) for index in range(count)]

    def _case(self, seed: int, index: int) -> Case:
        rng = case_rng(self.info.name, seed, index)
        width, height = rng.choice(SIZES)
        points, lives = rng.choice(POINTS), rng.randint(2, 5)
        truth = {"width": width, "height": height, "points": points, "lives": lives}
        return Case(id=f"{self.info.name}/{index}",
                    messages=(Message("user", make_prompt(width, height, points, lives)),),
                    expected=json.dumps(truth, sort_keys=True),
                    config=GenerationConfig(max_tokens=MAX_TOKENS, temperature=0.0),
                    metadata=(("size", f"{width}x{height}"),))

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        text = transcript.final.content if transcript.answers else ""
        code = extract_code(text)
        problem = static_problem(code)
        if problem is not None:
            outcome = {name: (False, problem) for name in PROPERTIES}
        else:
            outcome = play(code, case.truth(), self.limits)
        return checks(outcome)


def checks(outcome: dict[str, tuple[bool, str]]) -> list[Check]:
    """The pass check (every property; the failed ones named) and one check per property."""
    failed: dict[str, list[str]] = {}  # reason -> the properties that failed with it
    for name in PROPERTIES:
        if not outcome[name][0]:
            failed.setdefault(outcome[name][1], []).append(name)
    summary = ("; ".join(f"{', '.join(names)}: {reason}" for reason, names in failed.items())
               if failed else "every property holds: " + ", ".join(PROPERTIES))
    return [Check.of(not failed, summary),
            *(Check.of(outcome[name][0], outcome[name][1], metric=name)
              for name in PROPERTIES[1:])]


TRIALS: tuple[Trial, ...] = (BreakoutTrial(),)
