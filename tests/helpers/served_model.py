"""A loopback server on 127.0.0.1 that answers /v1/completions and /v1/chat/completions the way
vLLM and SGLang document them, for the `server = "vllm"` / `"sglang"` presets.

A fake, allowed here only because no vLLM or SGLang runs on this CPU machine (both need a
GPU); the provider, its HTTP client and the wire are real. What it copies from each server:

- a list `prompt` gets one choice per prompt, in order (vLLM, SGLang);
- `echo` with `logprobs` returns every prompt token's logprob, the first one null, then the
  generated tokens'; with `max_tokens` 0 vLLM returns the prompt's tokens only, SGLang refuses
  0 with HTTP 400 ("max_tokens must be positive");
- a BOS token starts every prompt, echoed as its text "<s>" but not in the echoed prompt;
  vLLM's `text_offset` counts over the token texts, so from the BOS text on; SGLang's is -1;
- vLLM adds `prompt_logprobs` to each choice: null, then {token id: {logprob, rank,
  decoded_token}} per prompt token;
- a chat request with `tools` to a server started without a tool-call parser is refused
  with vLLM's HTTP 400 message.

Its "model" splits text into words and punctuation (a word keeps its leading spaces) and
gives each token a log-probability from a hash of the tokens before it and itself.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Flavour = Literal["vllm", "sglang"]
BOS = "<s>"
GENERATED = " the"
CHAT_ANSWER = "The answer is B."
TOOL_PARSER_REFUSAL = ('"auto" tool choice requires --enable-auto-tool-choice and '
                       '--tool-call-parser to be set')
_TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]|\s+")


def tokenize(text: str, *, bos: bool) -> list[str]:
    return [BOS] * bos + _TOKEN.findall(text)


def token_logprob(before: list[str], token: str) -> float:
    digest = hashlib.sha256(json.dumps([*before, token]).encode()).digest()
    return -0.05 - int.from_bytes(digest[:4], "big") % 6000 / 1000


def expected_logprob(context: str, continuation: str, *, bos: bool = True) -> float:
    """The model's log-probability of `continuation` after `context`, computed directly: the
    full text's tokens from where it stops sharing the context's tokens."""
    context_tokens = tokenize(context, bos=bos)
    tokens = tokenize(context + continuation, bos=bos)
    start = len(context_tokens)
    if tokens[:start] != context_tokens:
        start -= 1  # the context's last token merged into the continuation's first
    return sum(token_logprob(tokens[:i], tokens[i]) for i in range(start, len(tokens)))


@dataclass
class ServedModel:
    """The running server: its URL and the request bodies it received, by path."""

    base_url: str
    flavour: Flavour
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for seen, body in self.requests if seen == path]


@contextmanager
def served_model(flavour: Flavour = "vllm", *, bos: bool = True,
                 tool_parser: bool = True) -> Iterator[ServedModel]:
    """Serve the fake model until the block ends. `bos` False: a tokenizer that adds no BOS
    (Qwen2.5's); `tool_parser` False: a server started without --tool-call-parser."""
    state = ServedModel("", flavour)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, bos, tool_parser))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _handler(state: ServedModel, bos: bool, tool_parser: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append((self.path, body))
            if self.path == "/v1/completions":
                status, answer = _completions(state.flavour, body, bos)
            elif self.path == "/v1/chat/completions":
                status, answer = _chat(body, tool_parser)
            else:
                status, answer = 404, {"error": {"message": f"no route {self.path}"}}
            content_type = "application/json"
            if status == 200 and body.get("stream"):
                content_type, payload = "text/event-stream", _events(answer)
            else:
                payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _completions(flavour: Flavour, body: dict[str, Any],
                 bos: bool) -> tuple[int, dict[str, Any]]:
    max_tokens = body.get("max_tokens", 16)
    if flavour == "sglang" and max_tokens <= 0:
        return 400, {"object": "error", "message": "max_tokens must be positive",
                     "type": "BadRequestError", "code": 400}
    prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
    choices = [_choice(flavour, index, prompt, body, bos) for index, prompt in enumerate(prompts)]
    prompt_tokens = sum(len(tokenize(p, bos=bos)) for p in prompts)
    return 200, {"id": "cmpl-1", "object": "text_completion", "created": 1,
                 "model": body.get("model"), "choices": choices,
                 "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(prompts),
                           "total_tokens": prompt_tokens + len(prompts)}}


def _choice(flavour: Flavour, index: int, prompt: str, body: dict[str, Any],
            bos: bool) -> dict[str, Any]:
    echo = bool(body.get("echo"))
    generated = [] if echo and body.get("max_tokens") == 0 else [GENERATED]
    prompt_tokens = tokenize(prompt, bos=bos)
    tokens = [*prompt_tokens, *generated] if echo else generated
    values = [None if i == 0 and echo else token_logprob(prompt_tokens[:i] if echo else
                                                         prompt_tokens, token)
              for i, token in enumerate(tokens)]
    choice: dict[str, Any] = {"index": index, "text": (prompt if echo else "") + "".join(
        generated), "finish_reason": "length", "logprobs": None}
    if body.get("logprobs") is not None:
        offsets = ([-1] * len(tokens) if flavour == "sglang"
                   else [sum(map(len, tokens[:i])) for i in range(len(tokens))])
        choice["logprobs"] = {"tokens": tokens, "token_logprobs": values, "text_offset": offsets,
                              "top_logprobs": [None if v is None else {t: v}
                                               for t, v in zip(tokens, values, strict=True)]}
    if flavour == "vllm" and echo:
        choice["prompt_logprobs"] = [None] + [
            {str(_token_id(t)): {"logprob": token_logprob(prompt_tokens[:i], t), "rank": 1,
                                 "decoded_token": t}}
            for i, t in enumerate(prompt_tokens) if i]
    return choice


def _events(answer: dict[str, Any]) -> bytes:
    """A whole answer as a stream: one chunk with its text, then one with its usage."""
    (choice,) = answer["choices"]
    if "message" in choice:
        kind = "chat.completion.chunk"
        choice = {"index": 0, "delta": choice["message"], "finish_reason": "stop"}
    else:
        kind = "text_completion"
    head = {key: answer[key] for key in ("id", "created", "model")}
    chunks = [{**head, "object": kind, "choices": [choice]},
              {**head, "object": kind, "choices": [], "usage": answer["usage"]}]
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


def _token_id(token: str) -> int:
    return int.from_bytes(hashlib.sha256(token.encode()).digest()[:2], "big")


def _chat(body: dict[str, Any], tool_parser: bool) -> tuple[int, dict[str, Any]]:
    if body.get("tools") and not tool_parser:
        return 400, {"error": {"message": TOOL_PARSER_REFUSAL, "type": "BadRequestError",
                               "param": None, "code": 400}}
    return 200, {"id": "chat-1", "object": "chat.completion", "created": 1,
                 "model": body.get("model"),
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": CHAT_ANSWER}}],
                 "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
