"""Open-ended answers: the prompts the comparison articles ask by hand ("Explain quantum
entanglement simply"), one set per use-case profile, rated by pairwise verdicts.

There is no right answer to check in code, so the only check is that the model answered
(metric "answered": 1.0 for a non-empty answer). Quality comes afterwards from comparing the
models' answers two at a time: a judge model sees both orders (bakeoff.judging.judge), people
vote blind in the arena, and Bradley–Terry turns the verdicts into ratings
(bakeoff.judging.ratings). `TrialInfo.judged` tells the run to judge this trial.

The prompts are written here, six per profile: a customer's message to answer as a support
agent (support-chat), a short passage to summarise (summarisation), a snippet to explain
(code-explanation), records to generate in a stated shape (synthetic-data) and plain
explanations (general). Each case's metadata carries ("profile", ...). The cases are a fixed
list in an order that takes the profiles in turn, so `cases(seed, count)` is the first `count`
of it on every machine (the seed changes nothing: the prompts are not generated).
"""

from __future__ import annotations

from itertools import zip_longest

from bakeoff.trials.base import Case, Check, SingleTurnTrial, Transcript, Trial, TrialInfo
from bakeoff.types import GenerationConfig, Message

NAME = "open_ended"
CATEGORY = "Open-ended answers"
METRIC = "answered"
MAX_TOKENS = 256

SUPPORT_AGENT = (
    "You are a customer support agent for Fernleaf, a company that sells a note-taking app "
    "(Fernleaf Notes) with a free plan and a Pro plan at 6 euros a month, billed through the "
    "website. Be friendly, precise and brief; say what the customer should do next.")

SUPPORT = (
    "Hi, I was charged twice for Pro this month. Can you fix it? I only have one account.",
    "My notes stopped syncing between my phone and my laptop since yesterday. What can I try?",
    "How do I cancel Pro? I don't want to lose my notes when I go back to the free plan.",
    "I deleted a notebook by mistake this morning. Is there any way to get it back?",
    "Your app keeps logging me out every few hours, it's really annoying. What's going on?",
    "Can I share a notebook with my team without everyone paying for Pro?",
)

PASSAGES = (
    "The town council of Wrenfield voted on Tuesday to close the old covered market for "
    "eighteen months of repairs. Engineers found that two of the roof beams had rotted and "
    "that the drains under the floor no longer carry away rain water. Stall holders will move "
    "to a temporary hall in the car park behind the library, where rents will be cut by a "
    "third during the works. Some traders said the hall is too far from the bus stops and "
    "fear they will lose customers; the council promised extra signs and a free shuttle on "
    "Saturdays.",
    "Honeybees decide where to found a new colony by a kind of vote. Scouts fly out, inspect "
    "hollow trees and wall cavities, and come back to dance for the sites they liked; the "
    "better the site, the longer they dance. Other scouts follow the dances, visit the sites "
    "and join in. Support for weak sites fades while the best one gathers more and more "
    "dancers, and once enough scouts are gathered at one site at the same time, the swarm "
    "takes off and flies there.",
    "Our quarterly results were mixed. Revenue rose 8% to 41 million euros, driven by the new "
    "subscription plans, but costs grew faster because we hired 60 engineers and moved to a "
    "larger data centre. Operating profit therefore fell from 5.2 to 3.9 million euros. We "
    "expect the hiring to slow in the second half of the year and the new data centre to cut "
    "hosting costs by about a fifth from next spring.",
    "A heat pump moves heat instead of making it. A fluid that boils at a low temperature "
    "takes in heat from the outside air, even on a cold day, and a compressor squeezes the "
    "vapour so that it becomes hotter than the inside of the house. The hot vapour gives its "
    "heat to the water of the radiators, condenses, and flows back outside to start again. "
    "Because the electricity only drives the compressor, a heat pump can deliver three or four "
    "units of heat for each unit of electricity it uses.",
    "Maria asked her landlord in March to repair the broken boiler. He promised to send a "
    "plumber within a week, but nobody came, and for five weeks Maria heated water on the "
    "stove. In late April she wrote to the housing office, which gave the landlord fourteen "
    "days to make the repair. The boiler was replaced on the twelfth day, and the office "
    "advised Maria that she could ask for a rent reduction for the weeks without hot water.",
    "Researchers followed 2,000 office workers for two years to see whether standing desks "
    "reduce back pain. Half received a standing desk and half kept their usual desk. Those "
    "with standing desks sat about an hour less per day, but back pain fell by similar amounts "
    "in both groups. The authors conclude that standing desks change how people work but that "
    "the study gives no evidence that they prevent back pain, and they call for longer trials.",
)

SNIPPETS = (
    ("Python", "def dedupe(items):\n    seen = set()\n    out = []\n    for item in items:\n"
               "        if item not in seen:\n            seen.add(item)\n"
               "            out.append(item)\n    return out"),
    ("SQL", "SELECT c.name, COUNT(o.id) AS orders\nFROM customers c\n"
            "LEFT JOIN orders o ON o.customer_id = c.id\n"
            "WHERE o.created_at >= DATE '2024-01-01' OR o.id IS NULL\n"
            "GROUP BY c.name\nHAVING COUNT(o.id) < 3\nORDER BY orders;"),
    ("JavaScript", "function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n"
                   "    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), wait);\n"
                   "  };\n}"),
    ("Python", "from functools import lru_cache\n\n@lru_cache(maxsize=None)\n"
               "def ways(n):\n    if n < 0:\n        return 0\n    if n == 0:\n        return 1\n"
               "    return ways(n - 1) + ways(n - 2) + ways(n - 3)"),
    ("Bash", "find . -name '*.log' -mtime +7 -print0 | xargs -0 gzip -9\n"
             "du -sh . | tee -a disk-usage.txt"),
    ("Python", "def chunks(seq, size):\n    for start in range(0, len(seq), size):\n"
               "        yield seq[start:start + size]\n\n"
               "totals = [sum(batch) for batch in chunks(list(range(10)), 4)]"),
)

SYNTHETIC = (
    "Generate 5 fictional customer records as JSON Lines (one JSON object per line) with the "
    "fields name (string), city (string), age (integer from 18 to 90) and "
    "newsletter (true or false). Output only the records.",
    "Write 4 short fictional product reviews for a pair of running shoes as a CSV table with "
    "the header rating,title,text where rating is an integer from 1 to 5. Vary the ratings.",
    "Create 6 fictional support tickets as a JSON array. Each ticket has id (string like "
    "T-1001), priority (low, medium or high), subject and a one-sentence body.",
    "Generate 5 pairs of a question and its answer about the solar system, as JSON Lines with "
    "the fields question and answer. The answers must be correct and one sentence long.",
    "Produce 8 rows of fictional sensor readings as CSV with the header "
    "timestamp,sensor_id,temperature_c: timestamps one minute apart starting at "
    "2024-05-01T08:00:00, two sensors (S1, S2), temperatures between 18 and 26.",
    "Invent 5 fictional employees as a JSON array of objects with name, department (one of "
    "Sales, Engineering, Finance), start_date (YYYY-MM-DD) and manager (the name of another "
    "employee in the list, or null for exactly one of them).",
)

GENERAL = (
    "Explain quantum entanglement simply",
    "Why is the sky blue during the day and red at sunset?",
    "What is the difference between weather and climate?",
    "How does a vaccine teach the immune system to fight a disease?",
    "Explain what inflation is to a 14-year-old.",
    "Why do we have leap years?",
)


def _profile_cases() -> dict[str, list[tuple[Message, ...]]]:
    """Each profile's prompts as opening turns, in the order written above."""
    return {
        "general": [(Message("user", text),) for text in GENERAL],
        "support-chat": [(Message("system", SUPPORT_AGENT), Message("user", text))
                         for text in SUPPORT],
        "summarisation": [(Message("user", "Summarise the following text in two or three "
                                           f"sentences.\n\n{text}"),) for text in PASSAGES],
        "code-explanation": [(Message("user", f"Explain what this {language} code does and "
                                              f"when you would use it.\n\n{code}"),)
                             for language, code in SNIPPETS],
        "synthetic-data": [(Message("user", text),) for text in SYNTHETIC],
    }


def all_cases() -> list[Case]:
    """Every case, the profiles taken in turn: general, support, summary, code, data, ..."""
    numbered = {profile: list(enumerate(turns, 1))
                for profile, turns in _profile_cases().items()}
    cases = []
    for row in zip_longest(*numbered.values()):
        for profile, entry in zip(numbered, row, strict=True):
            if entry is not None:
                number, messages = entry
                cases.append(Case(
                    id=f"{NAME}/{profile}-{number}", messages=messages,
                    config=GenerationConfig(max_tokens=MAX_TOKENS, temperature=0.0),
                    metadata=(("profile", profile),)))
    return cases


class OpenEndedTrial(SingleTurnTrial):
    info = TrialInfo(
        name=NAME, category=CATEGORY,
        checker=("answered: a non-empty answer; quality from pairwise verdicts (a judge model "
                 "in both orders, people's blind votes) rated by Bradley–Terry"),
        description=("open prompts per use case: support replies, summaries, code "
                     "explanations, synthetic records, plain explanations"),
        metrics=(METRIC,), full_count=30, quick_count=4, judged=True)

    def cases(self, seed: int, count: int) -> list[Case]:
        return all_cases()[:count]

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        answer = transcript.final.content.strip() if transcript.answers else ""
        reason = f"answered ({len(answer)} characters)" if answer else "empty answer"
        return [Check.of(bool(answer), reason, METRIC)]


TRIALS: tuple[Trial, ...] = (OpenEndedTrial(),)
