"""Every hands-on trial by the name a suite uses for it. One line per trial family module."""

from __future__ import annotations

from bakeoff.trials.base import Trial

TRIALS: dict[str, Trial] = {}


def register(*trials: Trial) -> None:
    for trial in trials:
        if trial.info.name in TRIALS:
            raise ValueError(f"trial {trial.info.name!r} is registered twice")
        TRIALS[trial.info.name] = trial


def get_trial(name: str) -> Trial:
    try:
        return TRIALS[name]
    except KeyError:
        raise LookupError(f"unknown trial {name!r} (known: {', '.join(TRIALS)})") from None


def _register_families() -> None:
    """One line per trial family module: its TRIALS join the suites."""
    from bakeoff.trials import (
        abstention,
        breakout,
        instructions,
        languages,
        long_context,
        open_ended,
        programs,
        puzzles,
        safety,
        structured,
        tools,
    )

    for family in (puzzles, programs, breakout, tools, structured, long_context,
                   instructions, languages, abstention, safety, open_ended):
        register(*family.TRIALS)


_register_families()
