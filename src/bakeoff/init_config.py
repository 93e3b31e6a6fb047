"""`bakeoff init`: a commented bakeoff.toml to start from, for local GGUF models, an
OpenAI-compatible gateway, or both. The text is assembled from fixed parts, so every file it
writes is one `bakeoff.config.load_config` reads (tests/test_init_config.py checks each)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from bakeoff.providers.bundled import BUNDLED_MODELS

Setup = Literal["local", "gateway", "both"]
SETUPS: tuple[Setup, ...] = ("local", "gateway", "both")

# Two bundled models, so a first run compares something with no download beyond them.
LOCAL_MODELS = ("smollm2-135m-instruct", "qwen2.5-coder-0.5b-instruct")

_HEAD = """\
# bakeoff.toml, written by `bakeoff init --{setup}`. Edit it, then:
#   bakeoff models              the models below and their spec sheets
#   bakeoff run --estimate      what a run would ask (and cost), calling no model
#   bakeoff run                 run the default suite and write the report
# README.md describes every key: "Comparing API models" (models, suites), "Custom benchmarks",
# "Custom trials", "Judged answers" ([judge]), "Where results go" ([output], store).
# An unknown key is an error.

# The suite `bakeoff run` uses without --suite: "quick", "full" (built in) or one below.
default_suite = "quick"
"""

_LOCAL = """
# A bundled model: a small GGUF bakeoff downloads once and runs in this process (llama.cpp).
# Bundled: {bundled}.
[[models]]
name = "{name}"
provider = "llama-cpp"
bundled = "{name}"
# concurrency = 8            # sequences decoded together
# n_threads = 2              # CPU threads (default: every core)
# price_per_hour = 0.10      # this machine's USD per hour, for the report's cost figures
"""

_LOCAL_FILE = """
# Your own GGUF file (a path relative to where you run bakeoff, or absolute):
# [[models]]
# name = "my-model"
# provider = "llama-cpp"
# path = "models/my-model.Q4_K_M.gguf"
# n_ctx = 8192               # the context llama.cpp allocates
"""

_GATEWAY = """
# A model behind an OpenAI-compatible API (a gateway, vLLM, llama.cpp server, OpenAI...).
[[models]]
name = "{name}"                 # bakeoff's name for it, used with -m
provider = "openai"
base_url = "https://gateway.example.com/v1"
model = "{model}"     # the model id the gateway expects
api_key_env = "GATEWAY_API_KEY"   # the environment variable holding the key (never the key)
concurrency = 4               # requests in flight at once
# price_input_per_mtok = 0.15  # USD per 1M input tokens, for cost (or `card = "..."`)
# price_output_per_mtok = 0.60 # USD per 1M output tokens
# requests_per_minute = 60     # the gateway's rate limit, if it has one
# context = 128000             # the context window the report shows
"""

_SUITE = """
# A suite of your own: benchmarks and hands-on trials by name (`bakeoff benchmarks`,
# `bakeoff tasks`), with items per benchmark. `bakeoff run --suite smoke` takes minutes.
[suites.smoke]
benchmarks = ["mmlu", "gsm8k", "tool_simple"]
limits = {{ mmlu = 20, gsm8k = 10, tool_simple = 5 }}

[output]
dir = "bakeoff-results"       # the store (bakeoff.sqlite) and the reports

# A judge compares open-ended answers in pairs (the open_ended trial); none without this.
# [judge]
# model = "{judge}"
"""


def config_text(setup: Setup) -> str:
    """The commented bakeoff.toml for `setup`."""
    parts = [_HEAD.format(setup=setup)]
    if setup in ("local", "both"):
        bundled = ", ".join(BUNDLED_MODELS)
        parts += [_LOCAL.format(name=name, bundled=bundled) for name in LOCAL_MODELS]
        parts.append(_LOCAL_FILE)
    if setup in ("gateway", "both"):
        parts += [_GATEWAY.format(name="model-a", model="vendor/model-a"),
                  _GATEWAY.format(name="model-b", model="vendor/model-b")]
    judge = LOCAL_MODELS[-1] if setup != "gateway" else "model-b"
    parts.append(_SUITE.format(judge=judge))
    return "".join(parts)


class InitError(Exception):
    """The file is there already (and --force was not given)."""


def write_config(path: Path, setup: Setup, *, force: bool = False) -> Path:
    """Write `config_text(setup)` to `path`; InitError when it exists and not `force`."""
    if path.exists() and not force:
        raise InitError(f"{path} exists already; --force overwrites it")
    path.write_text(config_text(setup), encoding="utf-8")
    return path
