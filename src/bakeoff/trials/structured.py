"""Structured output: does the answer parse as JSON, follow the JSON Schema, and carry the
right facts?

Eight schema templates written here, from flat to nested (enums, arrays with minItems /
maxItems, patterns, required and optional keys, the formats date and email). Five ask the model
to extract facts from a short generated text, and the content metric compares the answer with
them; three ask it to invent something (a reading list, a recipe, a town), where content checks
the one fact the prompt states (the servings, the town's name) or, with none (the reading
list), repeats the schema result. Names, numbers and dates vary with the seed.

Two trials share the same cases (one random source, so the same seed gives the same schemas
and texts): json_constrained sets `response_format` for a model whose provider constrains
output to a schema (mode "constrained"; any other model gets the same prompt without it, mode
"free"), and json_free never sets it (mode "free"). Both prompts state the schema and forbid
code fences: the whole answer must be the JSON object, so a fenced answer is not valid JSON.

Metrics, main first: "schema" (jsonschema Draft 2020-12 with format checking), "valid_json",
"content".
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from bakeoff.trials.base import Case, Check, SingleTurnTrial, Transcript, Trial, TrialInfo, case_rng
from bakeoff.trials.tools_checker import normalise
from bakeoff.types import Abilities, GenerationConfig, JsonSchemaFormat, Message

CATEGORY = "Structured output"
SCHEMA, VALID_JSON, CONTENT = "schema", "valid_json", "content"
# Both trials draw their cases from this one random source.
_SOURCE = "structured"


@dataclass(frozen=True)
class Template:
    """A case's schema, task text and facts (None: nothing to extract)."""

    name: str
    shape: str  # "flat" or "nested"
    schema: dict[str, Any]
    task: str
    facts: dict[str, Any] | None
    max_tokens: int = 256


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A closed object; every key required unless `required` says which."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False}


STRING = {"type": "string"}
EMAIL = {"type": "string", "format": "email"}
DATE = {"type": "string", "format": "date"}
FIRST = ("Marta", "Kofi", "Ines", "Tomasz", "Aiko", "Rahul", "Lena", "Diego", "Noor", "Emeka")
LAST = ("Kowalski", "Mensah", "Duarte", "Lindqvist", "Tanaka", "Iyer", "Novak", "Okafor")
CITIES = ("Ghent", "Bergen", "Cordoba", "Leipzig", "Kumasi", "Sapporo", "Pune", "Valparaiso")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(("mail.test", "example.org"))
    return f"{first} {last}", f"{first.lower()}.{last.lower()}@{domain}"


def _day(rng: random.Random) -> tuple[str, str]:
    """A date as ISO text and as a person writes it."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return f"2026-{month:02d}-{day:02d}", f"{day} {MONTHS[month - 1]} 2026"


# The templates, flat to nested


def _contact(rng: random.Random) -> Template:
    name, email = _person(rng)
    age, city = rng.randint(19, 80), rng.choice(CITIES)
    schema = _object({"name": STRING, "age": {"type": "integer", "minimum": 0, "maximum": 130},
                      "email": EMAIL, "city": STRING})
    text = (f"New member: {name} joined the club last week. They are {age} years old, live in "
            f"{city} and can be reached at {email}.")
    return Template("contact", "flat", schema, _extract(text),
                    {"name": name, "age": age, "email": email, "city": city}, 96)


def _event(rng: random.Random) -> Template:
    title = f"{rng.choice(('Riverside', 'Harbour', 'Old Town', 'Northside'))} " \
            f"{rng.choice(('Jazz Night', 'Book Fair', 'Food Market', 'Film Evening'))}"
    venue = rng.choice(("the Old Mill", "Pier 4", "the Town Hall", "Garden Hall"))
    iso, said = _day(rng)
    price = rng.choice((0, 5, 12.5, 18, 24.9))
    sold_out = rng.random() < 0.5
    schema = _object({"title": STRING, "date": DATE, "venue": STRING,
                      "price_eur": {"type": "number", "minimum": 0},
                      "sold_out": {"type": "boolean"}})
    cost = "Entry is free" if price == 0 else f"Tickets cost {price:g} euros"
    text = (f'The event "{title}" takes place at {venue} on {said}. {cost} and they are '
            f"{'sold out' if sold_out else 'still available'}.")
    return Template("event", "flat", schema, _extract(text + " (Write the date as YYYY-MM-DD.)"),
                    {"title": title, "date": iso, "venue": venue, "price_eur": price,
                     "sold_out": sold_out}, 128)


CATEGORIES = ("electronics", "kitchen", "garden", "toys", "books")
PRODUCTS = {"electronics": ("USB-C charger", "Noise-cancelling headphones"),
            "kitchen": ("Cast-iron skillet", "Pepper mill"), "garden": ("Pruning shears",
                                                                        "Hose reel"),
            "toys": ("Wooden train set", "Kite"), "books": ("Atlas of Rivers", "Pocket Thesaurus")}


def _product(rng: random.Random) -> Template:
    category = rng.choice(CATEGORIES)
    name = rng.choice(PRODUCTS[category])
    sku = f"{''.join(rng.choice('BCDFGHKMPT') for _ in range(3))}-{rng.randint(1000, 9999)}"
    price, in_stock = round(rng.uniform(3, 250), 2), rng.random() < 0.6
    schema = _object({
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"}, "name": STRING,
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "price": {"type": "number", "minimum": 0},
        "in_stock": {"type": "boolean"},
        "tags": {"type": "array", "items": STRING, "minItems": 1, "maxItems": 3}})
    text = (f"Listing {sku}: {name}, {price:.2f} dollars, in our {category} department. "
            + ("Ships today." if in_stock else "Currently out of stock."))
    return Template("product", "flat", schema, _extract(text + " Add one to three tags."),
                    {"sku": sku, "name": name, "category": category, "price": price,
                     "in_stock": in_stock}, 128)


ITEMS = ("USB-C cable", "desk lamp", "notebook", "water bottle", "phone case", "mouse pad")


def _order(rng: random.Random) -> Template:
    order_id = f"ORD-{rng.randint(10000, 99999)}"
    name, email = _person(rng)
    lines = [{"product": product, "quantity": rng.randint(1, 4)}
             for product in rng.sample(ITEMS, rng.randint(2, 3))]
    express = rng.random() < 0.5
    schema = _object({
        "order_id": {"type": "string", "pattern": "^ORD-[0-9]{5}$"},
        "customer": _object({"name": STRING, "email": EMAIL}),
        "items": {"type": "array", "minItems": 1, "maxItems": 5,
                  "items": _object({"product": STRING,
                                    "quantity": {"type": "integer", "minimum": 1}})},
        "express": {"type": "boolean"}})
    listed = ", ".join(f"{line['quantity']} x {line['product']}" for line in lines)
    text = (f"Order {order_id} was placed by {name} ({email}): {listed}. "
            + ("The customer paid for express delivery." if express else "Standard delivery."))
    return Template("order", "nested", schema, _extract(text),
                    {"order_id": order_id, "customer": {"name": name, "email": email},
                     "items": lines, "express": express}, 192)


def _meeting(rng: random.Random) -> Template:
    subject = rng.choice(("quarterly budget", "website relaunch", "hiring plan", "office move"))
    iso, said = _day(rng)
    hour, minute = rng.randint(8, 17), rng.choice((0, 30))
    people = [_person(rng)[1] for _ in range(rng.randint(2, 3))]
    room = rng.choice(("Fjord", "Atrium", ""))
    schema = _object({
        "subject": STRING, "date": DATE,
        "start_time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        "attendees": {"type": "array", "items": EMAIL, "minItems": 1},
        "room": STRING}, ["subject", "date", "start_time", "attendees"])
    text = (f'Hi all, let\'s meet on {said} at {hour}:{minute:02d} about "{subject}". '
            f"I'm inviting {', '.join(people[:-1])} and {people[-1]}."
            + (f" We'll use room {room}." if room else ""))
    facts: dict[str, Any] = {"subject": subject, "date": iso,
                             "start_time": f"{hour:02d}:{minute:02d}", "attendees": people}
    if room:
        facts["room"] = room
    return Template("meeting", "nested", schema,
                    _extract(text + " (Date as YYYY-MM-DD, time as HH:MM.)"), facts, 160)


TOPICS = ("volcanoes", "the history of printing", "beekeeping", "chess", "deep-sea life")


def _reading_list(rng: random.Random) -> Template:
    topic = rng.choice(TOPICS)
    low = rng.randint(2, 3)
    high = low + rng.randint(0, 2)
    schema = _object({
        "topic": STRING,
        "books": {"type": "array", "minItems": low, "maxItems": high,
                  "items": _object({"title": STRING, "author": STRING,
                                    "year": {"type": "integer", "minimum": 1450,
                                             "maximum": 2026}})}})
    count = f"{low}" if low == high else f"{low} to {high}"
    return Template("reading_list", "nested", schema,
                    f"Recommend {count} books about {topic}.", None, 192)


DISHES = ("lentil soup", "pancakes", "tomato salad", "fried rice", "banana bread")
UNITS = ("g", "ml", "pcs", "tbsp", "tsp", "cup")


def _recipe(rng: random.Random) -> Template:
    dish, servings = rng.choice(DISHES), rng.randint(2, 6)
    schema = _object({
        "dish": STRING, "servings": {"type": "integer", "minimum": 1},
        "ingredients": {"type": "array", "minItems": 2, "maxItems": 8,
                        "items": _object({"item": STRING,
                                          "amount": {"type": "number", "exclusiveMinimum": 0},
                                          "unit": {"type": "string", "enum": list(UNITS)}})},
        "steps": {"type": "array", "items": STRING, "minItems": 2, "maxItems": 5}})
    return Template("recipe", "nested", schema,
                    f"Write a short recipe for {dish} for {servings} people.",
                    {"servings": servings}, 256)


def _town(rng: random.Random) -> Template:
    name = rng.choice(("Velmora", "Oakhaven", "Saltbridge", "Kerrow", "Lindmoor"))
    schema = _object({
        "name": STRING, "population": {"type": "integer", "minimum": 1},
        "climate": {"type": "string", "enum": ["arid", "temperate", "tropical", "polar"]},
        "motto": {"type": "string", "maxLength": 60},
        "districts": {"type": "array", "minItems": 2, "maxItems": 3,
                      "items": _object({
                          "name": STRING,
                          "kind": {"type": "string",
                                   "enum": ["residential", "industrial", "market", "historic"]},
                          "landmarks": {"type": "array", "items": STRING, "maxItems": 2}},
                          ["name", "kind"])}},
        ["name", "population", "climate", "districts"])
    return Template("town", "nested", schema,
                    f"Invent a small fictional town called {name}.", {"name": name}, 256)


def _extract(text: str) -> str:
    return f"Extract the details from this text.\n\nText: {text}"


# Cases cycle through the templates in this order, so the first few (the quick suite) are a
# flat extraction, a nested one and a generated answer.
TEMPLATES: tuple[Callable[[random.Random], Template], ...] = (
    _contact, _order, _reading_list, _event, _product, _meeting, _recipe, _town)


def prompt(template: Template) -> str:
    schema = json.dumps(template.schema, sort_keys=True)
    return (f"{template.task}\n\nAnswer with one JSON object that follows this JSON Schema:\n"
            f"{schema}\n"
            "Write only the JSON object: no code fence, no text before or after it.")


# Checking


def parse_answer(text: str) -> tuple[Any, str]:
    """The whole answer as JSON, or (None, why not). NaN and Infinity are not JSON."""
    body = text.strip()
    if not body:
        return None, "the answer is empty"
    if body.startswith("```"):
        return None, "the answer is in a code fence, which the prompt forbade"

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        return json.loads(body, parse_constant=refuse), ""
    except ValueError as error:
        return None, f"not JSON: {error}"


def schema_error(schema: dict[str, Any], value: Any) -> str | None:
    """The most relevant violation of `schema` (Draft 2020-12, formats checked), or None."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
    return f"{where}: {error.message}"


def fact_error(expected: Any, found: Any, where: str = "$") -> str | None:
    """Where `found` differs from the facts: strings normalised, numbers within 1e-6 relative,
    lists matched order-free, objects on the keys the facts name."""
    if isinstance(expected, dict):
        if not isinstance(found, dict):
            return f"{where} should be an object"
        for key, value in expected.items():
            if key not in found:
                return f"{where}.{key} is missing"
            if (error := fact_error(value, found[key], f"{where}.{key}")) is not None:
                return error
        return None
    if isinstance(expected, list):
        if not isinstance(found, list) or len(found) != len(expected):
            return f"{where} should list {len(expected)} entries, found {json.dumps(found)}"
        unmatched = list(found)
        for item in expected:
            match = next((f for f in unmatched if fact_error(item, f) is None), None)
            if match is None:
                return f"{where} lacks {json.dumps(item)}"
            unmatched.remove(match)
        return None
    if _same_scalar(expected, found):
        return None
    return f"{where} expected {json.dumps(expected)}, found {json.dumps(found)}"


def _same_scalar(expected: Any, found: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found
    if isinstance(expected, str) and isinstance(found, str):
        return normalise(expected) == normalise(found)
    if isinstance(expected, int | float) and isinstance(found, int | float):
        return abs(expected - found) <= 1e-6 * max(abs(expected), abs(found))
    return False


class StructuredTrial(SingleTurnTrial):
    def __init__(self, info: TrialInfo, constrained: bool) -> None:
        self.info = info
        self._constrained = constrained

    def cases(self, seed: int, count: int) -> list[Case]:
        return [self._case(index, TEMPLATES[index % len(TEMPLATES)](
            case_rng(_SOURCE, seed, index))) for index in range(count)]

    def _case(self, index: int, template: Template) -> Case:
        return Case(
            id=f"{self.info.name}/{index}",
            messages=(Message("user", prompt(template)),),
            expected=json.dumps({"schema": template.schema, "facts": template.facts},
                                sort_keys=True),
            response_format=JsonSchemaFormat.of(template.name, template.schema)
            if self._constrained else None,
            config=GenerationConfig(max_tokens=template.max_tokens, temperature=0.0),
            metadata=(("schema", template.name), ("shape", template.shape),
                      ("facts", "yes" if template.facts else "no")))

    def mode_for(self, abilities: Abilities) -> str:
        return "constrained" if self._constrained and abilities.structured_output else "free"

    def opening(self, case: Case, abilities: Abilities) -> Case:
        if self.mode_for(abilities) == "free":
            return replace(case, response_format=None)
        return case

    def check(self, case: Case, transcript: Transcript) -> list[Check]:
        truth = case.truth()
        value, why = parse_answer(transcript.final.content)
        if why and transcript.completions and \
                transcript.completions[-1].finish_reason == "length":
            why += " (the answer was cut off at max_tokens)"
        if why:
            return [Check.of(False, f"schema: not checked, {why}", SCHEMA),
                    Check.of(False, f"valid_json: {why}", VALID_JSON),
                    Check.of(False, f"content: not checked, {why}", CONTENT)]
        error = schema_error(truth["schema"], value)
        schema = Check.of(error is None, f"schema: {error}" if error else "schema: follows it",
                          SCHEMA)
        return [schema, Check.of(True, "valid_json: parses", VALID_JSON),
                self._content(truth["facts"], value, schema)]

    @staticmethod
    def _content(facts: dict[str, Any] | None, value: Any, schema: Check) -> Check:
        if facts is None:
            return Check(CONTENT, schema.value, "content: no facts to check, so the schema "
                                                "result")
        error = fact_error(facts, value)
        return Check.of(error is None, f"content: {error}" if error else
                        f"content: all {len(facts)} facts correct", CONTENT)


def _info(name: str, checker: str, description: str) -> TrialInfo:
    return TrialInfo(name=name, category=CATEGORY, checker=checker, description=description,
                     metrics=(SCHEMA, VALID_JSON, CONTENT), full_count=24, quick_count=2)


TRIALS: tuple[Trial, ...] = (
    StructuredTrial(_info(
        "json_constrained", "jsonschema Draft 2020-12, then the facts",
        "JSON following a schema, with the provider's constrained mode where it has one."),
        constrained=True),
    StructuredTrial(_info(
        "json_free", "jsonschema Draft 2020-12, then the facts",
        "JSON following a schema stated only in the prompt (never constrained)."),
        constrained=False),
)
