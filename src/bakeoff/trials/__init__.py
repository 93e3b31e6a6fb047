"""Hands-on trials: puzzles, programs that must run, tools, JSON, long context, instructions
and languages, each a generated case, a (multi-turn) chat and a checker in code."""
