"""Stored safety, abstention and judged results, written through the Store API, for the report
tests. Two models, alpha and beta; every figure below is what the tests compute by hand.

- safety_extraction, safety_injection, safety_policy (20 cases each, metric "resisted"): the
  attack succeeded on alpha in extraction case 0 and injection case 0 (2/60); on beta in
  extraction 0-7, injection 0-5 and policy 0-4 (19/60). alpha alone broken: 0 cases, beta
  alone: 17, so McNemar exact p = 2 / 2^17 < 0.001.
- safety_overrefusal (50 cases, metric "answered"): alpha refused 0-1 (2/50 = 4%), beta 0-2
  (3/50 = 6%): one discordant case, p = 1, not significant.
- abstention (10 cases; 0-4 answerable, 5-9 not): alpha answers 0-4 right and abstains on 5-9
  (right behaviour 10/10); beta answers 0-2 right, 3-4 wrong and guesses on 5-9 (3/10):
  alpha alone right on 7, p = 2 / 2^7 = 0.0156.
- `weak_attacks=True` makes beta's attack record close to alpha's: broken on extraction 0-1 and
  injection 0-1 (4/60 vs 2/60, p = 0.5, not significant).
- open_chat (4 cases, a judged trial, metric "answered", category "Open-ended answers"): both
  answer every case; verdicts by the judge "alpha" (a contestant: self-judged) and by people.
"""

from __future__ import annotations

from pathlib import Path

from bakeoff.store import HUMAN, Store, VerdictRow
from bakeoff.types import Message, Sample, Score

ATTACKS = ("safety_extraction", "safety_injection", "safety_policy")
# trial -> model -> cases where the attack succeeded
BROKEN = {
    "safety_extraction": {"alpha": range(1), "beta": range(8)},
    "safety_injection": {"alpha": range(1), "beta": range(6)},
    "safety_policy": {"alpha": range(0), "beta": range(5)},
}
WEAK_BROKEN = {
    "safety_extraction": {"alpha": range(1), "beta": range(2)},
    "safety_injection": {"alpha": range(1), "beta": range(2)},
    "safety_policy": {"alpha": range(0), "beta": range(0)},
}
REFUSED = {"alpha": range(2), "beta": range(3)}
OPEN_CHAT = "open_chat"


def build_safety_store(path: Path, *, weak_attacks: bool = False, abstention: bool = True,
                       safety: bool = True, verdicts: bool = False) -> tuple[Store, int]:
    store = Store(path)
    run_id = store.create_run("plan-safety", "quick",
                              {"models": [{"name": "alpha"}, {"name": "beta"}]}, {})
    if safety:
        for trial, broken in (WEAK_BROKEN if weak_attacks else BROKEN).items():
            _binary(store, run_id, trial, "resisted", 20,
                    {m: set(range(20)) - set(cases) for m, cases in broken.items()})
        _binary(store, run_id, "safety_overrefusal", "answered", 50,
                {m: set(range(50)) - set(cases) for m, cases in REFUSED.items()})
    if abstention:
        _abstention(store, run_id)
    if verdicts:
        _binary(store, run_id, OPEN_CHAT, "answered", 4,
                {"alpha": set(range(4)), "beta": set(range(4))})
        _verdicts(store, run_id)
    return store, run_id


def _binary(store: Store, run_id: int, trial: str, metric: str, cases: int,
            passed: dict[str, set[int]]) -> None:
    store.put_samples(trial, [Sample(f"{trial}/{i}", f"[user] {trial} {i}", "null")
                              for i in range(cases)])
    for model, ok in passed.items():
        for i in range(cases):
            value = 1.0 if i in ok else 0.0
            store.put_trial_result(
                run_id, model, trial, "chat", [Score(f"{trial}/{i}", metric, value, "why")], [],
                [Message("user", f"{trial} {i}"), Message("assistant", "x" * (10 + i))])


def _abstention(store: Store, run_id: int) -> None:
    store.put_samples("abstention", [
        Sample(f"abstention/{i}", "q", "t", metadata=(("answerable", "yes" if i < 5 else "no"),))
        for i in range(10)])
    # model -> case -> (correct, attempted)
    grades = {"alpha": [(1, 1)] * 5 + [(0, 0)] * 5,
              "beta": [(1, 1)] * 3 + [(0, 1)] * 2 + [(0, 1)] * 5}
    for model, cases in grades.items():
        for i, (correct, attempted) in enumerate(cases):
            right = correct if i < 5 else 1 - attempted
            case = f"abstention/{i}"
            store.put_trial_result(run_id, model, "abstention", "chat", [
                Score(case, "pass", float(right), "why"),
                Score(case, "correct", float(correct), "why"),
                Score(case, "attempted", float(attempted), "why")], [],
                [Message("user", "q"), Message("assistant", "a")])


def _verdicts(store: Store, run_id: int) -> None:
    """The judge alpha prefers its own answer on cases 0-2 and flips on case 3 (a tie); people
    prefer alpha twice and beta once."""
    for i in range(4):
        flipped = i == 3
        store.put_verdict(VerdictRow(
            run_id, OPEN_CHAT, f"{OPEN_CHAT}/{i}", "alpha", "beta", "alpha",
            "tie" if flipped else "a", first_order="a", second_order="b" if flipped else "a"))
    for voter, case, outcome in (("v1", 0, "a"), ("v2", 1, "a"), ("v1", 2, "b")):
        store.put_verdict(VerdictRow(run_id, OPEN_CHAT, f"{OPEN_CHAT}/{case}", "alpha", "beta",
                                     HUMAN, outcome, voter=voter))
