"""Judged answers: pairwise verdicts on open-ended answers (a judge model's, or people's votes)
and the Bradley–Terry ratings computed from them.

bakeoff.judging.ratings is what the report reads; bakeoff.judging.judge asks a judge model.
"""
