"""Provider kinds: one config model plus one registry line make a new kind usable end to end."""

import json
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Literal

import pytest

from bakeoff import api
from bakeoff.config import parse_config
from bakeoff.providers.base import ModelConfig, Provider, StreamEvent, check_abilities, collect
from bakeoff.providers.registry import kinds, parse_model, register, unregister
from bakeoff.store import Store
from bakeoff.types import (
    Abilities,
    Completion,
    GenerationRequest,
    JsonSchemaFormat,
    LoglikelihoodRequest,
    Message,
    ProviderError,
    Timing,
    Tool,
    Usage,
)

# --- the whole of a new provider kind ------------------------------------------------------

class ParrotConfig(ModelConfig):
    provider: Literal["parrot"]
    reply: str

    def build(self) -> Provider:
        return ParrotProvider(self.name, self.reply)

    def identity(self) -> str:
        return f"parrot|{self.reply}"

    def abilities(self) -> Abilities:
        return Abilities(endpoint="chat")

    def served_by(self) -> str:
        return "a parrot"


class ParrotProvider:
    kind = "parrot"
    abilities = Abilities(endpoint="chat")

    def __init__(self, model_id: str, reply: str) -> None:
        self.model_id, self.reply = model_id, reply

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        check_abilities(self.model_id, self.abilities, request)
        now = time.time()
        yield Completion(self.reply, Usage(1, 1), Timing(now, now, now), finish_reason="stop")

    async def generate(self, request: GenerationRequest) -> Completion:
        return await collect(self.stream(request))

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        raise ProviderError("unsupported", "a parrot has no log-probabilities")

    async def aclose(self) -> None:
        pass

# --------------------------------------------------------------------------------------------


@pytest.fixture
def parrot_kind() -> Iterator[None]:
    register(ParrotConfig)
    yield
    unregister("parrot")


CONFIG = """
[[models]]
name = "polly"
provider = "parrot"
reply = "Paris"

[[models]]
name = "pete"
provider = "parrot"
reply = "Rome"

[benchmarks.capitals]
kind = "generative"
path = "capitals.jsonl"

[suites.s]
benchmarks = ["capitals"]
"""


@pytest.mark.usefixtures("parrot_kind")
def test_a_new_kind_runs_a_suite_with_no_other_module_touched(tmp_path: Path) -> None:
    rows = [{"question": "Capital of France?", "answer": "Paris"},
            {"question": "Capital of Italy?", "answer": "Rome"},
            {"question": "Capital of Spain?", "answer": "Madrid"}]
    (tmp_path / "capitals.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "bakeoff.toml").write_text(CONFIG)
    config = api.load_config(tmp_path / "bakeoff.toml")

    result = api.run_suite(config, suite_name="s", store_file=tmp_path / "store.sqlite")

    store = Store(tmp_path / "store.sqlite")
    try:
        correct = {(row.model, store.sample("capitals", row.sample_id).target): row.value
                   for row in store.scores(result.run_id) if row.metric == "exact_match"}
    finally:
        store.close()
    assert correct == {("polly", "Paris"): 1.0, ("polly", "Rome"): 0.0, ("polly", "Madrid"): 0.0,
                       ("pete", "Paris"): 0.0, ("pete", "Rome"): 1.0, ("pete", "Madrid"): 0.0}
    assert "polly" in result.report_path.read_text(encoding="utf-8")


@pytest.mark.usefixtures("parrot_kind")
def test_a_kind_has_exactly_its_own_keys() -> None:
    assert "parrot" in kinds()
    model = parse_model({"name": "p", "provider": "parrot", "reply": "hi"})
    assert isinstance(model, ParrotConfig) and model.identity() == "parrot|hi"
    with pytest.raises(Exception, match="base_url"):
        parse_config(CONFIG.replace('reply = "Rome"', 'reply = "Rome"\nbase_url = "http://a"'),
                     "bakeoff.toml")


def test_an_unregistered_kind_is_an_unknown_provider() -> None:
    with pytest.raises(Exception, match="unknown provider 'parrot'"):
        parse_config(CONFIG, "bakeoff.toml")


@pytest.mark.parametrize(
    ("request_", "missing"),
    [
        (GenerationRequest(messages=(Message("user", "weather?"),),
                           tools=(Tool.function("weather", "", {"type": "object"}),)),
         "function calling"),
        (GenerationRequest(messages=(Message("user", "json"),),
                           response_format=JsonSchemaFormat.of("x", {"type": "object"})),
         "JSON Schema output"),
    ],
)
def test_a_request_beyond_a_models_abilities_is_unsupported_not_answered(
        request_: GenerationRequest, missing: str) -> None:
    with pytest.raises(ProviderError, match=missing) as raised:
        check_abilities("polly", Abilities(), request_)
    assert raised.value.kind == "unsupported"
    check_abilities("polly", Abilities(tools=True, structured_output=True), request_)
