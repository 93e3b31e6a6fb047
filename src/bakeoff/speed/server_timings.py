"""A llama.cpp server's own account of each request, to check bakeoff's clock against.

llama.cpp's C++ server returns `timings` (prompt_ms, predicted_ms, predicted_per_second) in
each response. llama-cpp-python's server (0.3.16) does not: its responses carry no timings,
and its streams no usage. With `--verbose` (its default) it resets llama.cpp's performance
counters before each completion and prints them after it, to its log:

    llama_perf_context_print: prompt eval time =  3126.92 ms /   191 tokens (...)
    llama_perf_context_print:        eval time =  1159.62 ms /    39 runs   (...)
    llama_perf_context_print:       total time =  4760.46 ms /   230 tokens

These blocks are parsed here. "prompt eval" is llama_decode time for batches of more than one
token (the prompt, less any prefix the server kept in its cache); "eval" is llama_decode time
for single tokens (one per generated token after the first), the model's compute alone;
"total" runs from the counter reset (after the prompt is tokenized) to the end of generation,
so total − prompt eval is the server's wall time for generating, sampling and streaming.
Requests served one at a time print their blocks in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"llama_perf_context_print:\s+(prompt eval|eval|total) time =\s+"
                   r"([0-9.]+) ms /\s+(\d+) (?:tokens|runs)")


@dataclass(frozen=True)
class ServerTiming:
    prompt_ms: float
    prompt_tokens: int  # tokens evaluated in batches (the uncached prompt)
    eval_ms: float
    eval_runs: int  # single-token decodes
    total_ms: float

    @property
    def generation_ms(self) -> float:
        """Server wall time after the prompt: decoding, sampling and streaming."""
        return self.total_ms - self.prompt_ms

    @property
    def kernel_decode_tokens_per_s(self) -> float | None:
        return self.eval_runs / self.eval_ms * 1000 if self.eval_ms > 0 else None

    @property
    def wall_decode_tokens_per_s(self) -> float | None:
        """Decode steps per second of server wall time after the prompt."""
        return self.eval_runs / self.generation_ms * 1000 if self.generation_ms > 0 else None


def parse_server_timings(log_text: str) -> list[ServerTiming]:
    """Every complete prompt-eval / eval / total block in a llama-cpp-python server log."""
    timings: list[ServerTiming] = []
    seen: dict[str, tuple[float, int]] = {}
    for match in _LINE.finditer(log_text):
        kind, ms, count = match.group(1), float(match.group(2)), int(match.group(3))
        if kind == "prompt eval":
            seen = {}
        seen[kind] = (ms, count)
        if kind == "total" and "prompt eval" in seen and "eval" in seen:
            timings.append(ServerTiming(prompt_ms=seen["prompt eval"][0],
                                        prompt_tokens=seen["prompt eval"][1],
                                        eval_ms=seen["eval"][0], eval_runs=seen["eval"][1],
                                        total_ms=ms))
            seen = {}
    return timings


@dataclass(frozen=True)
class Agreement:
    """One request seen from both ends: bakeoff's stream clock and the server's counters."""

    ttft_s: float
    server_prompt_s: float
    decode_tokens_per_s: float  # bakeoff: 1 / TPOT = (tokens − 1) / (e2e − TTFT)
    server_wall_decode_tokens_per_s: float | None
    server_kernel_decode_tokens_per_s: float | None
    e2e_s: float
    server_total_s: float
    output_tokens: int
    server_eval_runs: int

    @property
    def ttft_ratio(self) -> float:
        return self.ttft_s / self.server_prompt_s

    @property
    def decode_ratio(self) -> float | None:
        wall = self.server_wall_decode_tokens_per_s
        return None if wall is None else self.decode_tokens_per_s / wall


def agreement(ttft_s: float, tpot_s: float, e2e_s: float, output_tokens: int,
              server: ServerTiming) -> Agreement:
    return Agreement(
        ttft_s=ttft_s, server_prompt_s=server.prompt_ms / 1000,
        decode_tokens_per_s=1 / tpot_s,
        server_wall_decode_tokens_per_s=server.wall_decode_tokens_per_s,
        server_kernel_decode_tokens_per_s=server.kernel_decode_tokens_per_s,
        e2e_s=e2e_s, server_total_s=server.total_ms / 1000, output_tokens=output_tokens,
        server_eval_runs=server.eval_runs)
