"""Bradley–Terry ratings from pairwise games, with a length-controlled variant and bootstrap
intervals.

The model: P(a beats b) = sigmoid(ln(10) / 400 * (R_a - R_b) + gamma * dlen), where R are
ratings on the Elo scale (base 10, scale 400) and `dlen` is the game's normalised answer-length
difference, (len_a - len_b) / (len_a + len_b) in characters (0 when both answers are empty).
The raw fit has no length term (gamma = 0); the length-controlled fit estimates gamma and
reports the ratings at dlen = 0, so a preference that only follows length goes into gamma, not
into the ratings.

Fitting is maximum likelihood by Newton's method (IRLS) on the logistic log-likelihood, where a
game's score is 1 (a won), 0 (b won) or 0.5 (a tie: half a win to each side). A small ridge
penalty (RIDGE, on the natural-log strengths and on gamma) keeps the estimates finite when the
data are perfectly separated (a model that won every game) and pins the free constant; the
ratings are then anchored so that the models' mean is START (1000). When the outcomes are
perfectly separated no maximum exists: the estimates then say which way the data point, not by
how much.

Intervals: a bootstrap over cases (prompts) — each round resamples the cases with replacement
and refits on all their games — and the 2.5th and 97.5th percentiles of each model's rating
over the rounds (default 1,000 rounds, a seeded numpy generator).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BASE = 10.0
SCALE = 400.0
START = 1000.0
# log-odds per rating point
LOGIT_PER_POINT = math.log(BASE) / SCALE
# Ridge on the strengths (natural-log units) and gamma: tiny next to any real count of games.
RIDGE = 1e-3
ROUNDS = 1000
MAX_ITERATIONS = 100
TOLERANCE = 1e-10
MAX_STEP = 5.0  # natural-log units per Newton step

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class Game:
    """One pairwise outcome. `score` is a's: 1 win, 0.5 tie, 0 loss. `cluster` names the case
    (prompt) the game came from: the bootstrap resamples clusters, not games."""

    cluster: Hashable
    model_a: str
    model_b: str
    score: float
    dlen: float = 0.0


@dataclass(frozen=True)
class Fit:
    """Ratings by model (mean START), the length coefficient (None for the raw fit) and the
    95% bootstrap interval of each rating (equal to the rating when no bootstrap ran)."""

    ratings: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    length_coefficient: float | None


def length_difference(length_a: int, length_b: int) -> float:
    """(len_a - len_b) / (len_a + len_b), 0 when both are empty: in [-1, 1]."""
    total = length_a + length_b
    return (length_a - length_b) / total if total else 0.0


def fit(games: Sequence[Game], *, length_controlled: bool = False, rounds: int = ROUNDS,
        seed: int = 0) -> Fit:
    """Fit the ratings of every model in `games` and bootstrap their intervals (rounds=0:
    none)."""
    if not games:
        raise ValueError("no games to fit")
    models = sorted({g.model_a for g in games} | {g.model_b for g in games})
    design, scores = _design(games, models, length_controlled)
    weights = np.ones(len(games))
    coefficients = _newton(design, scores, weights, np.zeros(design.shape[1]))
    ratings = _ratings(coefficients, len(models))
    samples = _bootstrap(games, design, scores, coefficients, len(models), rounds, seed)
    if samples.size:
        low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    else:
        low = high = ratings
    return Fit(ratings={m: float(r) for m, r in zip(models, ratings, strict=True)},
               intervals={m: (float(lo), float(hi))
                          for m, lo, hi in zip(models, low, high, strict=True)},
               length_coefficient=float(coefficients[-1]) if length_controlled else None)


def _design(games: Sequence[Game], models: list[str],
            length_controlled: bool) -> tuple[NDArray[np.float64], Vector]:
    """One row per game: +1 for a's strength, -1 for b's, then dlen when length-controlled."""
    index = {m: i for i, m in enumerate(models)}
    columns = len(models) + (1 if length_controlled else 0)
    design = np.zeros((len(games), columns))
    for row, game in enumerate(games):
        design[row, index[game.model_a]] += 1.0
        design[row, index[game.model_b]] -= 1.0
        if length_controlled:
            design[row, -1] = game.dlen
    scores = np.array([g.score for g in games], dtype=np.float64)
    return design, scores


def _newton(design: NDArray[np.float64], scores: Vector, weights: Vector,
            start: Vector) -> Vector:
    """Maximise sum w * (s log p + (1 - s) log(1 - p)) - RIDGE/2 * |beta|^2 by Newton steps."""
    beta = start.copy()
    ridge = RIDGE * np.eye(design.shape[1])
    for _ in range(MAX_ITERATIONS):
        p = _sigmoid(design @ beta)
        gradient = design.T @ (weights * (scores - p)) - RIDGE * beta
        hessian = (design.T * (weights * p * (1.0 - p))) @ design + ridge
        step = np.linalg.solve(hessian, gradient)
        # A capped step keeps Newton stable far from the optimum (separated data).
        largest = float(np.max(np.abs(step)))
        if largest > MAX_STEP:
            step *= MAX_STEP / largest
        beta += step
        if float(np.max(np.abs(step))) < TOLERANCE:
            break
    return beta


def _sigmoid(z: Vector) -> Vector:
    """1 / (1 + e^-z) without overflow for large |z|."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)


def _ratings(coefficients: Vector, model_count: int) -> Vector:
    """Strengths (natural log) to ratings on the Elo scale, anchored at a mean of START."""
    strengths = coefficients[:model_count]
    ratings: Vector = START + (strengths - strengths.mean()) / LOGIT_PER_POINT
    return ratings


def _bootstrap(games: Sequence[Game], design: NDArray[np.float64], scores: Vector,
               start: Vector, model_count: int, rounds: int, seed: int) -> NDArray[np.float64]:
    """Ratings refitted on `rounds` resamples of the clusters: shape (rounds, models)."""
    clusters = sorted({g.cluster for g in games}, key=repr)
    position = {c: i for i, c in enumerate(clusters)}
    cluster_of_game = np.array([position[g.cluster] for g in games])
    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, model_count))
    for round_ in range(rounds):
        drawn = rng.integers(0, len(clusters), size=len(clusters))
        # A game weighs as many times as its cluster was drawn.
        weights = np.bincount(drawn, minlength=len(clusters))[cluster_of_game].astype(float)
        samples[round_] = _ratings(_newton(design, scores, weights, start), model_count)
    return samples
