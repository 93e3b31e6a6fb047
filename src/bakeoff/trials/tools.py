"""Function calling: can the model call the right function with the right arguments, call
nothing when nothing fits, and use what a function returns?

Six trials, in the categories BFCL uses (its method, not its items): one call (tool_simple),
one call chosen among several functions (tool_multiple), several calls of one function
(tool_parallel), several functions at once (tool_parallel_multiple), no call when no function
fits (tool_irrelevance), and a chat where the model calls, gets the result and answers with it
(tool_multi_turn). Every case is generated from a seeded template over a small library of
realistic functions written here (weather, currency, calendar, units, search, orders, stocks,
translation); names, amounts, dates and results vary with the seed.

A model with native tools gets the functions as `Case.tools` ("native tools"); any other model
gets them described in the system prompt with a strict JSON answer format ("prompted tools").
The two modes are labelled apart. tools_checker.py holds the checking rules.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bakeoff.trials.base import PASS, Case, Check, Transcript, Trial, TrialInfo, case_rng
from bakeoff.trials.tools_checker import (
    NO_CALL,
    Call,
    Failure,
    calls_in,
    match_calls,
    uses_result,
)
from bakeoff.types import Abilities, GenerationConfig, Message, Tool

CATEGORY = "Function calling"


@dataclass(frozen=True)
class Ask:
    """One request to one function: how a user says it, the call that fulfils it, and what the
    function returns (with the figures an answer using that result must state)."""

    clause: str  # imperative and lower-case: "get the current weather in Oslo"
    arguments: dict[str, list[Any]]  # accepted values; None among them: may be left out
    result: dict[str, Any] = field(default_factory=dict)
    numbers: tuple[float, ...] = ()
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Function:
    tool: Tool
    ask: Callable[[random.Random], Ask]

    @property
    def name(self) -> str:
        return self.tool.name

    def expected(self, ask: Ask) -> dict[str, Any]:
        """The expected call, as tools_checker reads it."""
        types = {name: spec["type"] for name, spec in self.tool.parameters["properties"].items()}
        return {"name": self.name, "arguments": ask.arguments, "types": types}


def _schema(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


# The library. Each ask() draws its values from the case's random source.

CITIES = (("Oslo", "Norway"), ("Lima", "Peru"), ("Nairobi", "Kenya"), ("Osaka", "Japan"),
          ("Toronto", "Canada"), ("Lisbon", "Portugal"), ("Hanoi", "Vietnam"),
          ("Adelaide", "Australia"), ("Krakow", "Poland"), ("Bogota", "Colombia"),
          ("Tunis", "Tunisia"), ("Porto", "Portugal"), ("Tallinn", "Estonia"))
SKIES = ("sunny", "light rain", "overcast", "snow showers", "fog", "thunderstorms")


def _weather(rng: random.Random) -> Ask:
    city, country = rng.choice(CITIES)
    unit = rng.choice(("celsius", "fahrenheit", ""))
    temperature = rng.randint(1, 30)
    if unit == "fahrenheit":
        temperature = round(temperature * 9 / 5 + 32)
    sky = rng.choice(SKIES)
    return Ask(f"get the current weather in {city}" + (f" in {unit}" if unit else ""),
               {"city": [city, f"{city}, {country}"],
                "unit": [unit] if unit else [None, "celsius"]},
               {"city": city, "temperature": temperature, "unit": unit or "celsius",
                "conditions": sky},
               numbers=(temperature,), words=(sky,))


WEATHER = Function(Tool.function(
    "get_weather", "Current weather in a city.",
    _schema({"city": {"type": "string", "description": "City name, e.g. Paris"},
             "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                      "description": "Temperature unit (default celsius)"}}, "city")),
    _weather)

CURRENCIES = (("USD", "US dollars"), ("EUR", "euros"), ("GBP", "British pounds"),
              ("JPY", "Japanese yen"), ("CHF", "Swiss francs"), ("CAD", "Canadian dollars"),
              ("SEK", "Swedish kronor"), ("INR", "Indian rupees"), ("BRL", "Brazilian reais"))


def _currency(rng: random.Random, amount: float | None = None,
              source: str | None = None) -> Ask:
    if amount is None:
        amount = rng.choice((rng.randint(2, 300) * 5, round(rng.uniform(10, 500), 2)))
    codes = [code for code, _ in CURRENCIES if code != source]
    target = rng.choice(codes)
    source = source or rng.choice([code for code in codes if code != target])
    names = dict(CURRENCIES)
    # Said as codes or as names: the schema asks for codes, so names must be mapped.
    said = (source, target) if rng.random() < 0.5 else (names[source], names[target])
    rate = round(rng.uniform(0.2, 3.0), 4)
    converted = round(amount * rate, 2)
    return Ask(f"convert {amount:g} {said[0]} to {said[1]}",
               {"amount": [amount], "from_currency": [source], "to_currency": [target]},
               {"amount": amount, "from": source, "to": target, "rate": rate,
                "converted_amount": converted},
               numbers=(converted,))


CURRENCY = Function(Tool.function(
    "convert_currency", "Convert an amount of money at today's exchange rate.",
    _schema({"amount": {"type": "number"},
             "from_currency": {"type": "string", "description": "ISO 4217 code, e.g. USD"},
             "to_currency": {"type": "string", "description": "ISO 4217 code, e.g. EUR"}},
            "amount", "from_currency", "to_currency")),
    _currency)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
EVENTS = ("Dentist appointment", "Team retro", "Call with Priya", "Piano lesson",
          "Budget review", "Car service", "Book club")
DURATIONS = ((30, "half an hour"), (45, "45 minutes"), (60, "an hour"),
             (90, "an hour and a half"), (120, "two hours"))


def _calendar(rng: random.Random) -> Ask:
    title = rng.choice(EVENTS)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(8, 18), rng.choice((0, 15, 30, 45))
    minutes, said = rng.choice(DURATIONS)
    clock = f"{(hour - 1) % 12 + 1}:{minute:02d} {'am' if hour < 12 else 'pm'}"
    return Ask(f"put \"{title}\" in my calendar on {MONTHS[month - 1]} {day}, 2026 at {clock} "
               f"for {said}",
               {"title": [title], "date": [f"2026-{month:02d}-{day:02d}"],
                "start_time": [f"{hour:02d}:{minute:02d}", f"{hour:02d}:{minute:02d}:00"],
                "duration_minutes": [minutes]})


CALENDAR = Function(Tool.function(
    "create_event", "Add an event to the user's calendar.",
    _schema({"title": {"type": "string"},
             "date": {"type": "string", "description": "YYYY-MM-DD"},
             "start_time": {"type": "string", "description": "24-hour time, HH:MM"},
             "duration_minutes": {"type": "integer"}},
            "title", "date", "start_time", "duration_minutes")),
    _calendar)

# unit -> (quantity, size in a base unit)
UNITS = {"kilometers": ("length", 1000.0), "miles": ("length", 1609.344),
         "meters": ("length", 1.0), "feet": ("length", 0.3048),
         "kilograms": ("mass", 1.0), "pounds": ("mass", 0.45359237),
         "liters": ("volume", 1.0), "gallons": ("volume", 3.785411784)}


def _units(rng: random.Random) -> Ask:
    source = rng.choice(sorted(UNITS))
    kind, size = UNITS[source]
    target = rng.choice(sorted(u for u, (k, _) in UNITS.items() if k == kind and u != source))
    value = rng.choice((rng.randint(2, 200), rng.randint(10, 999) / 10))
    converted = round(value * size / UNITS[target][1], 3)
    return Ask(f"convert {value:g} {source} to {target}",
               {"value": [value], "from_unit": [source], "to_unit": [target]},
               {"value": value, "from_unit": source, "to_unit": target, "result": converted},
               numbers=(converted,))


UNIT = Function(Tool.function(
    "convert_units", "Convert a length, mass or volume between units.",
    _schema({"value": {"type": "number"},
             "from_unit": {"type": "string", "enum": sorted(UNITS)},
             "to_unit": {"type": "string", "enum": sorted(UNITS)}},
            "value", "from_unit", "to_unit")),
    _units)

QUERIES = ("cheap flights to Reykjavik", "how to repot an orchid", "best budget e-readers",
           "opening hours of the city library", "sourdough starter ratio",
           "train strike dates this month", "beginner running plan")


def _search(rng: random.Random) -> Ask:
    query = rng.choice(QUERIES)
    count = rng.choice((0, 3, 10))
    return Ask(f"search the web for \"{query}\""
               + (f" and show me the top {count} results" if count else ""),
               {"query": [query], "max_results": [count] if count else [None, 5]})


SEARCH = Function(Tool.function(
    "search_web", "Search the web and return the top results.",
    _schema({"query": {"type": "string"},
             "max_results": {"type": "integer", "description": "How many results (default 5)"}},
            "query")),
    _search)

STATUSES = ("shipped", "out for delivery", "delayed", "delivered", "being packed")
CARRIERS = ("DHL", "UPS", "FedEx", "PostNord", "Correos")


def _order(rng: random.Random) -> Ask:
    order_id = f"{rng.choice('ABKMRT')}{rng.choice('ABKMRT')}-{rng.randint(10000, 99999)}"
    status, carrier = rng.choice(STATUSES), rng.choice(CARRIERS)
    total = round(rng.uniform(15, 400), 2)
    return Ask(f"check the status of my order {order_id}", {"order_id": [order_id]},
               {"order_id": order_id, "status": status, "carrier": carrier, "total": total,
                "currency": "USD"},
               words=(status, carrier))


ORDER = Function(Tool.function(
    "get_order_status", "Status, carrier and total of a customer's order.",
    _schema({"order_id": {"type": "string", "description": "e.g. AB-12345"}}, "order_id")),
    _order)

COMPANIES = (("Nvidia", "NVDA"), ("Apple", "AAPL"), ("Microsoft", "MSFT"), ("Toyota", "TM"),
             ("Coca-Cola", "KO"), ("Netflix", "NFLX"), ("Shell", "SHEL"), ("Intel", "INTC"))


def _stock(rng: random.Random) -> Ask:
    company, symbol = rng.choice(COMPANIES)
    price = round(rng.uniform(20, 900), 2)
    said = company if rng.random() < 0.5 else symbol
    return Ask(f"get the latest stock price of {said}", {"symbol": [symbol]},
               {"symbol": symbol, "price": price, "currency": "USD"}, numbers=(price,))


STOCK = Function(Tool.function(
    "get_stock_price", "Latest trading price of a listed company's stock.",
    _schema({"symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL"}},
            "symbol")),
    _stock)

PHRASES = ("Where is the train station?", "Two coffees, please.",
           "The meeting moved to Friday.", "Is breakfast included?", "I lost my keys.")
LANGUAGES = (("Spanish", "es"), ("German", "de"), ("Japanese", "ja"), ("Italian", "it"),
             ("Polish", "pl"), ("Turkish", "tr"))


def _translate(rng: random.Random) -> Ask:
    phrase = rng.choice(PHRASES)
    language, code = rng.choice(LANGUAGES)
    return Ask(f"translate \"{phrase}\" into {language}",
               {"text": [phrase], "target_language": [language, code]})


TRANSLATE = Function(Tool.function(
    "translate_text", "Translate a text into another language.",
    _schema({"text": {"type": "string"},
             "target_language": {"type": "string", "description": "Language name or code"}},
            "text", "target_language")),
    _translate)

LIBRARY = (WEATHER, CURRENCY, CALENDAR, UNIT, SEARCH, ORDER, STOCK, TRANSLATE)
# Functions whose results a multi-turn answer can quote.
ANSWERABLE = (WEATHER, CURRENCY, UNIT, ORDER, STOCK)


# Building a case


@dataclass(frozen=True)
class Spec:
    """What a category's generator decides; `case_from` turns it into a Case."""

    request: str
    tools: tuple[Function, ...]
    steps: tuple[tuple[dict[str, Any], ...], ...]  # the expected calls, per answer
    results: dict[str, Any] = field(default_factory=dict)
    numbers: tuple[float, ...] = ()
    words: tuple[str, ...] = ()
    max_tokens: int = 128


def _please(rng: random.Random, clauses: list[str]) -> str:
    joined = clauses[0] if len(clauses) == 1 else (", ".join(clauses[:-1])
                                                   + " and " + clauses[-1])
    opening, end = rng.choice((("Please ", "."), ("Could you ", "?"), ("I need you to ", ".")))
    return opening + joined + end


def _distinct_asks(rng: random.Random, function: Function, count: int) -> list[Ask]:
    """`count` asks of one function with different requests (a parallel case)."""
    asks: list[Ask] = []
    while len(asks) < count:
        ask = function.ask(rng)
        if all(ask.arguments != seen.arguments for seen in asks):
            asks.append(ask)
    return asks


def _with_distractors(rng: random.Random, needed: list[Function], extra: int,
                      exclude: tuple[Function, ...] = ()) -> tuple[Function, ...]:
    """The needed functions and `extra` others, in a shuffled order."""
    others = [f for f in LIBRARY if f not in needed and f not in exclude]
    offered = needed + rng.sample(others, min(extra, len(others)))
    rng.shuffle(offered)
    return tuple(offered)


def _simple(rng: random.Random) -> Spec:
    function = rng.choice(LIBRARY)
    ask = function.ask(rng)
    return Spec(_please(rng, [ask.clause]), (function,), ((function.expected(ask),),))


def _multiple(rng: random.Random) -> Spec:
    function = rng.choice(LIBRARY)
    ask = function.ask(rng)
    return Spec(_please(rng, [ask.clause]),
                _with_distractors(rng, [function], rng.randint(2, 4)),
                ((function.expected(ask),),))


def _parallel(rng: random.Random) -> Spec:
    function = rng.choice(LIBRARY)
    asks = _distinct_asks(rng, function, rng.randint(2, 3))
    return Spec(_please(rng, [ask.clause for ask in asks]), (function,),
                (tuple(function.expected(ask) for ask in asks),), max_tokens=256)


def _parallel_multiple(rng: random.Random) -> Spec:
    functions = rng.sample(LIBRARY, 2)
    asks = [(f, a) for f in functions for a in _distinct_asks(rng, f, rng.randint(1, 2))]
    rng.shuffle(asks)
    return Spec(_please(rng, [ask.clause for _, ask in asks]),
                _with_distractors(rng, functions, 1),
                (tuple(f.expected(ask) for f, ask in asks),), max_tokens=256)


def _irrelevance(rng: random.Random) -> Spec:
    wanted = rng.choice([f for f in LIBRARY if f is not SEARCH])
    ask = wanted.ask(rng)
    # A web search could serve almost any request, so it is never offered here.
    offered = _with_distractors(rng, [], rng.randint(2, 3), exclude=(wanted, SEARCH))
    return Spec(_please(rng, [ask.clause]), offered, ((),))


def _multi_turn(rng: random.Random) -> Spec:
    if rng.random() < 0.25:
        return _order_in_currency(rng)
    function = rng.choice(ANSWERABLE)
    ask = function.ask(rng)
    return Spec(_please(rng, [ask.clause]) + " Then tell me what you found.",
                _with_distractors(rng, [function], rng.randint(1, 2)),
                ((function.expected(ask),),), {function.name: ask.result},
                ask.numbers, ask.words, max_tokens=160)


def _order_in_currency(rng: random.Random) -> Spec:
    """Two steps: the order's total first, then that total converted (three answers)."""
    order = _order(rng)
    total = order.result["total"]
    exchange = _currency(rng, amount=total, source="USD")
    target = exchange.arguments["to_currency"][0]
    return Spec(f"What did my order {order.arguments['order_id'][0]} cost in {target}? "
                "Look up its total, convert it, then tell me the amount.",
                _with_distractors(rng, [ORDER, CURRENCY], 1),
                ((ORDER.expected(order),), (CURRENCY.expected(exchange),)),
                {ORDER.name: order.result, CURRENCY.name: exchange.result},
                exchange.numbers, max_tokens=160)


# The prompted format, for a model without native tools


def tool_mode(abilities: Abilities) -> str:
    """Native tools where the model has them, else the prompted format: never ranked together."""
    return "native tools" if abilities.tools else "prompted tools"


def tool_opening(case: Case, abilities: Abilities) -> Case:
    """The case as this model takes it: as it is with native tools, else with the tools
    described in a system prompt and none sent."""
    if abilities.tools:
        return case
    system = Message("system", prompted_system(case.tools))
    return replace(case, messages=(system, *case.messages), tools=(), tool_choice="auto")


def prompted_system(tools: tuple[Tool, ...]) -> str:
    described = json.dumps([{"name": t.name, "description": t.description,
                             "parameters": t.parameters} for t in tools], sort_keys=True)
    return ("You can call these functions (parameters as JSON Schema):\n"
            f"{described}\n\n"
            "To call functions, answer with only this JSON object and nothing else:\n"
            '{"calls": [{"name": "<function name>", "arguments": {"<argument>": <value>}}]}\n'
            "Put several calls in the list when the request needs several. "
            f"If no function fits the request, answer only {NO_CALL}. "
            "When function results come back, call another function if the request still "
            "needs one; otherwise answer the user in plain text.")


def prompted_results(calls: list[Call], results: dict[str, Any]) -> str:
    lines = [f"{call.name}: {_result_json(call, results)}" for call in calls]
    return "Function results:\n" + "\n".join(lines)


def _result_json(call: Call, results: dict[str, Any]) -> str:
    result = results.get(call.name, {"error": f"{call.name} is not available"})
    return json.dumps(result, sort_keys=True)


# The trials


class ToolTrial:
    """One BFCL-style category; `generate` writes a case's Spec from its random source."""

    def __init__(self, info: TrialInfo, generate: Callable[[random.Random], Spec]) -> None:
        self.info = info
        self._generate = generate

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(index, self._generate(case_rng(self.info.name, seed, index)))
                for index in range(count)]

    def _case(self, index: int, spec: Spec) -> Case:
        truth = {"steps": [list(step) for step in spec.steps], "results": spec.results,
                 "answer": {"numbers": list(spec.numbers), "words": list(spec.words)}
                 if spec.results else None}
        turns = len(spec.steps) + (1 if spec.results else 0)
        return Case(id=f"{self.info.name}/{index}",
                    messages=(Message("user", spec.request),),
                    expected=json.dumps(truth, sort_keys=True),
                    tools=tuple(f.tool for f in spec.tools),
                    config=GenerationConfig(max_tokens=spec.max_tokens, temperature=0.0),
                    metadata=(("category", self.info.name.removeprefix("tool_")),
                              ("functions", ",".join(sorted({str(call["name"])
                                                             for step in spec.steps
                                                             for call in step})) or "none")),
                    max_turns=turns)

    def mode_for(self, abilities: Abilities) -> str:
        return tool_mode(abilities)

    def opening(self, case: Case, abilities: Abilities) -> Case:
        return tool_opening(case, abilities)

    def reply(self, case: Case, transcript: Transcript) -> tuple[Message, ...]:
        """Each call's canned result: tool turns for native tools, one user turn for the
        prompted format (a model without tools cannot take a "tool" turn)."""
        results: dict[str, Any] = case.truth()["results"]
        native = bool(case.tools)
        calls = calls_in(transcript.final, native)
        if not results or isinstance(calls, Failure) or not calls:
            return ()
        if native:
            return tuple(Message("tool", _result_json(call, results), tool_call_id=call.id)
                         for call in calls)
        return (Message("user", prompted_results(calls, results)),)

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        failure = self._failure(case, transcript)
        return [Check.of(failure is None, "passed" if failure is None else str(failure), PASS)]

    def _failure(self, case: Case, transcript: Transcript) -> Failure | None:
        truth = case.truth()
        steps: list[list[dict[str, Any]]] = truth["steps"]
        answers = transcript.answers
        for index, expected in enumerate(steps):
            if index >= len(answers):
                return Failure("no_call", f"the chat ended before answer {index + 1}")
            found = calls_in(answers[index], bool(case.tools))
            failure = found if isinstance(found, Failure) else match_calls(expected, found)
            if failure is not None:
                step = f"(answer {index + 1}) " if len(steps) > 1 else ""
                return Failure(failure.rule, step + failure.detail)
        if truth["answer"] is None:
            return None
        return self._answer_failure(case, answers[len(steps):], truth["answer"])

    def _answer_failure(self, case: Case, rest: tuple[Message, ...],
                        answer: dict[str, Any]) -> Failure | None:
        if not rest:
            return Failure("result_not_used", "no answer after the tool result")
        final = rest[0]
        calls = calls_in(final, bool(case.tools))
        if isinstance(calls, list) and calls:
            return Failure("result_not_used", f"called {calls[0].name} again instead of "
                                              "answering")
        return uses_result(final.content, answer["numbers"], answer["words"])


def _trial(name: str, checker: str, description: str, generate: Callable[[random.Random], Spec],
           full: int = 20, quick: int = 2) -> ToolTrial:
    return ToolTrial(TrialInfo(name=name, category=CATEGORY, checker=checker,
                               description=description, full_count=full, quick_count=quick),
                     generate)


TRIALS: tuple[Trial, ...] = (
    _trial("tool_simple", "the one call matches: function, arguments, types, values",
           "One request, one function offered, one call expected.", _simple),
    _trial("tool_multiple", "the right function of several, with the right arguments",
           "One request, 3-5 functions offered, one call expected.", _multiple),
    _trial("tool_parallel", "every call matches, order-free",
           "Several requests to one function in one message: 2-3 calls in one answer.",
           _parallel, full=15),
    _trial("tool_parallel_multiple", "every call matches, order-free",
           "Requests to two functions in one message: 2-4 calls in one answer.",
           _parallel_multiple, full=15),
    _trial("tool_irrelevance", "passes only when no call is made",
           "No offered function fits the request: the model must not call one.",
           _irrelevance, full=15),
    _trial("tool_multi_turn", "the calls match and the final answer states the result",
           "Call, receive the (canned) result, answer with it; some need two calls in turn.",
           _multi_turn, full=15),
)
