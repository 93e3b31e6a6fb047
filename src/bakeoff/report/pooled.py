"""A profile's quality test over the hands-on trials it weighs: each pair of models on every
case of those trials that both took, pooled into one paired test (exact McNemar for pass/fail,
a paired bootstrap for partial credit) on each trial's main metric, paired by trial and case id.

Why pooled: one trial holds a few cases (two in the quick suite), and no test on two cases can
be significant, so per-trial comparisons would never separate 0/10 from 8/10; the cases of the
trials a profile weighs, taken together, can.

Why across modes: a profile asks whether a model does the task, and a model that calls tools
natively and one prompted to write its calls are both doing it; so this test takes each model
as it ran, and every sentence that cites it names the modes where they differ. The per-trial
and per-category tables still keep modes apart (bakeoff.report.comparison).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from bakeoff.report.comparison import Comparison
from bakeoff.report.evidence import paired_text
from bakeoff.report.hands_on import SAFETY
from bakeoff.scoring.metrics import PairedTest, paired_test


@dataclass(frozen=True)
class PooledPair:
    """Two models over the pooled cases both took; `modes_a`/`modes_b` are each model's modes
    on the trials the two took in different modes (empty when every mode matched)."""

    model_a: str
    model_b: str
    # None when the two shared no case.
    test: PairedTest | None
    modes_a: tuple[str, ...] = ()
    modes_b: tuple[str, ...] = ()
    # Trials pooled for this pair, and those the two took in different modes.
    trials: int = 0
    mixed: int = 0

    def winner(self) -> str | None:
        """The model significantly better (p < 0.05), or None."""
        if self.test is None or not self.test.significant:
            return None
        return self.model_a if self.test.difference > 0 else self.model_b

    def passed(self, model: str) -> float:
        """The model's passes (sum of main-metric values) on the shared cases."""
        if self.test is None:
            return 0.0
        mean = self.test.mean_a if model == self.model_a else self.test.mean_b
        return round(mean * self.test.n, 6)

    def text(self, first: str) -> str:
        """'qwen 8/16 (native tools) vs gemma 2/16 (prompted tools), McNemar exact p = 0.07',
        `first` named first."""
        second = self.model_b if first == self.model_a else self.model_a
        assert self.test is not None
        n = self.test.n
        every = self.mixed == self.trials
        def figure(model: str) -> str:
            beside = f" ({self._modes(model)})" if self.mixed and every else ""
            return f"{model} {count_text(self.passed(model))}/{n}{beside}"
        text = f"{figure(first)} vs {figure(second)}, {paired_text(self.test)}"
        if self.mixed and not every:
            text += (f"; {self.mixed} of {self.trials} trials in different modes: "
                     f"{first} {self._modes(first)}, {second} {self._modes(second)}")
        return text

    def short(self, first: str) -> str:
        """'8/16 vs 2/16 for gemma (native vs prompted tools on 6 of 8 trials), McNemar exact
        p = 0.07': `first`'s figure first, unnamed (the sentence around it names it)."""
        second = self.model_b if first == self.model_a else self.model_a
        assert self.test is not None
        n = self.test.n
        modes = (f" ({self._modes(first)} vs {self._modes(second)} on {self.mixed} of "
                 f"{self.trials} trials)" if self.mixed else "")
        return (f"{count_text(self.passed(first))}/{n} vs "
                f"{count_text(self.passed(second))}/{n} for {second}{modes}, "
                f"{paired_text(self.test)}")

    def _modes(self, model: str) -> str:
        """The model's modes on the trials the two took in different modes."""
        return ", ".join(self.modes_a if model == self.model_a else self.modes_b)


@dataclass(frozen=True)
class PooledQuality:
    """A profile's trials pooled, every pair of models that took them."""

    # What the trials are about, as a sentence names it: "function calling and structured
    # output".
    subject: str
    trials: tuple[str, ...]
    pairs: tuple[PooledPair, ...]

    def pair(self, a: str, b: str) -> PooledPair | None:
        return next((p for p in self.pairs if {p.model_a, p.model_b} == {a, b}), None)

    def beaten_by(self, model: str, among: list[str]) -> list[PooledPair]:
        """The pairs in which another model of `among` is significantly better than `model`."""
        return [p for p in self.pairs if model in (p.model_a, p.model_b)
                and {p.model_a, p.model_b} <= set(among)
                and (winner := p.winner()) is not None and winner != model]

    def tested(self, model: str, among: list[str]) -> bool:
        """Whether `model` has a test against another model of `among`."""
        return any(p.test is not None and model in (p.model_a, p.model_b)
                   and {p.model_a, p.model_b} <= set(among) for p in self.pairs)


def profile_trials(comparison: Comparison, categories: tuple[str, ...]) -> tuple[str, ...]:
    """The trials a profile's quality weighs: those of `categories` (all when empty), judged
    trials left out (their quality is a rating) and, when no category is named, Safety too
    (attack success and over-refusal are never pooled into one pass count)."""
    return tuple(name for name, entry in comparison.trials.items() if not entry.judged
                 and (entry.category in categories if categories else entry.category != SAFETY))


def pooled_quality(comparison: Comparison, trials: tuple[str, ...],
                   subject: str) -> PooledQuality | None:
    """Every pair of models over the cases of `trials` both took; None when no model took
    any of them. Computed once per comparison (the profiles ask for the same pools)."""
    key = (trials, subject)
    if key not in comparison.pooled_cache:
        comparison.pooled_cache[key] = _pooled_quality(comparison, trials, subject)
    found: PooledQuality | None = comparison.pooled_cache[key]
    return found


def _pooled_quality(comparison: Comparison, trials: tuple[str, ...],
                    subject: str) -> PooledQuality | None:
    keys = [(name, comparison.trials[name].main_metric) for name in trials
            if comparison.trials[name].metrics]
    keys = [key for key in keys if key in comparison.items]
    scored = [m for m in comparison.models if any(m in comparison.items[k] for k in keys)]
    if not scored:
        return None
    pairs = tuple(_pooled_pair(comparison, keys, a, b) for a, b in combinations(scored, 2))
    return PooledQuality(subject, tuple(k[0] for k in keys), pairs)


def _pooled_pair(comparison: Comparison, keys: list[tuple[str, str]], a: str,
                 b: str) -> PooledPair:
    values_a: list[float] = []
    values_b: list[float] = []
    modes_a: list[str] = []
    modes_b: list[str] = []
    trials = 0
    for key in keys:
        by_model = comparison.items[key]
        if a not in by_model or b not in by_model:
            continue
        common = sorted(by_model[a].keys() & by_model[b].keys())
        if not common:
            continue
        trials += 1
        values_a += [by_model[a][case].value for case in common]
        values_b += [by_model[b][case].value for case in common]
        summaries = comparison.metrics[key]
        if summaries[a].mode != summaries[b].mode:
            modes_a.append(summaries[a].mode)
            modes_b.append(summaries[b].mode)
    test = paired_test(values_a, values_b) if values_a else None
    return PooledPair(a, b, test, _distinct(modes_a), _distinct(modes_b), trials, len(modes_a))


def _distinct(modes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(modes))


def count_text(count: float) -> str:
    """A count of passes: 34, or 33.5 when checks give partial credit."""
    return f"{count:.0f}" if count == int(count) else f"{count:.2f}".rstrip("0")
