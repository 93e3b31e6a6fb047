"""Any OpenAI-compatible endpoint (OpenAI, vLLM, SGLang, llama.cpp servers, ...) as a Provider.

Two paths. `generate` (benchmarks, trials, judges) sends one non-streamed request and reads
the JSON answer itself, posting directly: with plain_http.py's lean client to plain-http
endpoints (self-hosted servers), with httpx2 to the others. Building the SDK's objects cost
more CPU than the rest of the request path together, and httpx2 about twice what the lean
client costs (perf/api_throughput.py, docs/PERFORMANCE.md). No one needs time to first token
there, so such a completion has `first_token` None.
`stream` (speed runs) streams through the official SDK with
`stream_options={"include_usage": True}`, so time to first token is measured. Either way the
server's token counts are used where it sends them, bakeoff retries with `RetryPolicy` (the
SDK's own retries are off), and every failure becomes a `ProviderError` of a known kind.

The API key is read from the named environment variable at call time and sent as a
per-request header; its value is scrubbed from every message bakeoff builds from an error.

Loglikelihood over HTTP (`abilities.loglikelihood`, for vLLM, SGLang, llama-cpp-python servers):
the completions endpoint gets prompt = context + continuation with `echo=True, logprobs=1,
max_tokens=1, temperature=0`, as lm-evaluation-harness's `local-completions` sends it, and the
log-probabilities of the continuation's tokens are summed. lm-eval tokenizes on the client and
counts context tokens; bakeoff has no tokenizer for a remote model, so it finds the boundary
with `text_offset` (characters of the echoed prompt) instead. A token counts towards the
continuation when it ends after the context does: a token straddling the boundary (" Paris"
after a context ending in a space) belongs to the continuation, which is where lm-eval puts it
by moving the context's trailing whitespace into the continuation. The one generated token
(at offset >= len(prompt)) is dropped, as lm-eval's `[ctxlen:-1]` drops it. max_tokens=0 is
not sent: llama-cpp-python reads 0 as "no limit" and would generate to the end of its window.

That boundary needs `text_offset` in characters of the prompt, which llama-cpp-python sends.
vLLM and SGLang do not (SGLang sends -1; vLLM counts from the BOS token's text), so their
presets (`server = "vllm"` / `"sglang"`, `batched_scoring`) score an item's choices in one
request and find the boundary by the tokens instead: see prompt_logprobs.py.

Known server bug (llama-cpp-python 0.3.16): when the tokenized prompt does not start with BOS
(GGUFs with add_bos_token = false, e.g. SmolLM2, Qwen2.5), its echoed logprobs are paired with
the logits one position too late, so they are wrong. Start such a server with
`--kv_overrides tokenizer.ggml.add_bos_token=bool:true` (vLLM and SGLang not checked here).

Tools and structured output go in OpenAI's own form: `tools`, `tool_choice` ("auto", "none",
"required" or {"type": "function", ...} naming one) only when the request has tools; assistant
turns carry `tool_calls`, "tool" turns `tool_call_id`. An assistant turn that only calls
tools sends `content: ""`, not null: OpenAI, vLLM and SGLang take both, but llama-cpp-python
0.3.16 refuses null. Streamed tool calls are assembled by `index` from their deltas.

`response_format` is sent as {"type": "json_schema", "json_schema": {...}} (OpenAI, vLLM,
SGLang, llama.cpp's server). llama-cpp-python 0.3.16 knows only {"type": "json_object",
"schema": {...}} and refuses the standard form with HTTP 500 ("Input should be 'text' or
'json_object'"); on that refusal the request is sent again at once in its form, which it
enforces with a grammar, and this provider keeps that form. That form is never sent first: a
server that knows only the standard one may take it as plain JSON mode and ignore the schema.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import httpx
import httpx2
import openai
from openai.types import Completion as CompletionChunk
from openai.types import CompletionChoice
from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import ChoiceDelta

from bakeoff.providers import plain_http, prompt_logprobs
from bakeoff.providers.base import (
    StreamDelta,
    StreamEvent,
    check_abilities,
    collect,
)
from bakeoff.providers.pacing import observe_response
from bakeoff.providers.retry import RetryPolicy, call_with_retries, parse_retry_after
from bakeoff.types import (
    Abilities,
    Completion,
    ErrorKind,
    GenerationConfig,
    GenerationRequest,
    JsonSchemaFormat,
    LoglikelihoodRequest,
    Message,
    ProviderError,
    Timing,
    ToolCall,
    ToolChoice,
    Usage,
)

# Sent when no key is configured (local servers). Passing it explicitly also stops the SDK
# from picking up OPENAI_API_KEY and sending it to a server it was not meant for.
PLACEHOLDER_API_KEY = "not-needed"
_MAX_DETAIL_CHARS = 300
# Connection pools of the non-streamed path: at 256 requests in flight 8 pools took 1 ms of
# CPU per request where one took 1.7 (perf/api_throughput.py).
_CONNECTION_POOLS = 8

Response = httpx.Response | httpx2.Response | plain_http.PlainResponse
HttpClient = httpx.AsyncClient | httpx2.AsyncClient | plain_http.PlainHTTPClient
SdkStream = openai.AsyncStream[ChatCompletionChunk] | openai.AsyncStream[CompletionChunk]


class OpenAICompatProvider:
    """A model behind an OpenAI-compatible HTTP API.

    Chat requests go to /chat/completions, prompt requests to /completions. `endpoint` only
    tells benchmarks which of the two this model prefers.
    """

    kind: str = "openai"

    def __init__(self, model_id: str, *, base_url: str, api_key_env: str | None = None,
                 endpoint: Literal["chat", "completions"] = "chat", timeout_s: float = 120.0,
                 retry: RetryPolicy | None = None,
                 http_client: httpx.AsyncClient | httpx2.AsyncClient | None = None,
                 extra_body: Mapping[str, Any] | None = None,
                 abilities: Abilities | None = None,
                 generation_body: Mapping[str, Any] | None = None,
                 chat_body: Mapping[str, Any] | None = None,
                 batched_scoring: bool = False) -> None:
        """`abilities` default to chat with tools and JSON Schema output but no loglikelihood:
        turn that on only for servers that return log-probabilities of echoed prompt tokens
        on their completions endpoint (see the module docstring).

        Extra fields: `extra_body` goes with every request, `generation_body` (sampling
        fields) with generation requests, `chat_body` with chat requests. `batched_scoring`:
        the server takes a list `prompt` and an item's choices are scored in one request."""
        self.model_id = model_id
        self.abilities = abilities or Abilities(tools=True, structured_output=True,
                                                streaming_usage=True, endpoint=endpoint)
        self.base_url = base_url
        self._api_key_env = api_key_env
        self._retry = retry or RetryPolicy()
        self._extra_body = dict(extra_body or {})
        self._generation_body = dict(generation_body or {})
        self._chat_body = dict(chat_body or {})
        self._batched_scoring = batched_scoring
        self._owns_http_client = http_client is None
        # Set once the server refuses OpenAI's response_format (see the module docstring).
        self._schema_as_json_object = False
        # The non-streamed path's clients: the caller's; for plain http (no proxy) a lean
        # client of bakeoff's own (see plain_http.py); else a few httpx2 ones taken in turn.
        # A pool's bookkeeping costs time in proportion to its connections at every request,
        # so with 256 in flight one pool spends more CPU than the rest of the path; each
        # keeps a connection per request in flight alive (20 are kept by default).
        # They are made at the first request, sharing one SSL context (loading the CA
        # certificates takes tens of milliseconds), so a speed run or `ask` never pays.
        self._http: list[HttpClient] = (
            [] if http_client is None else [http_client])
        self._timeout_s = timeout_s
        self._turn = itertools.count()
        self._base = base_url.rstrip("/")
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=PLACEHOLDER_API_KEY,  # the real key goes in each request's headers
            max_retries=0,
            timeout=timeout_s,
            # openai>=3 annotates httpx2 clients but still accepts httpx ones.
            http_client=cast(Any, http_client),
        )

    async def generate(self, request: GenerationRequest) -> Completion:
        """One non-streamed completion (`first_token` None), retried as a whole."""
        return await call_with_retries(functools.partial(self._generate_once, request),
                                       self._retry)

    async def generate_streamed(self, request: GenerationRequest) -> Completion:
        """`generate` through the stream, for a caller that shows time to first token."""
        return await call_with_retries(lambda: collect(self.stream(request)), self._retry)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """Yield a `StreamDelta` per chunk carrying text, then one `Completion`. No retries.

        Tool calls come only in the final Completion, assembled from their streamed deltas.
        When the server sends no usage, the counts are estimates labelled "estimate": input
        tokens = characters of the prompt // 4, output tokens = chunks with content or calls.
        """
        check_abilities(self.model_id, self.abilities, request)
        api_key = self._read_api_key()
        failure: ProviderError | None = None
        try:
            async with aclosing(self._stream_events(request, api_key)) as events:
                async for event in events:
                    yield event
        except ProviderError:
            raise
        except Exception as error:
            failure = _translate(error, secret=api_key)
        if failure is not None:
            # Raised outside the handler so that neither __cause__ nor __context__ keeps the
            # SDK error: it holds the request, whose headers carry the key.
            raise failure

    async def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        """The summed log-probability of each continuation; each request retried on its own."""
        if not self.abilities.loglikelihood:
            raise ProviderError(
                "unsupported", f"{self.model_id}: loglikelihood scoring over HTTP is off; turn "
                "it on (loglikelihood = true) only for servers that return prompt logprobs")
        if self._batched_scoring:
            return await self._score_batched(requests)
        return list(await asyncio.gather(*(
            call_with_retries(functools.partial(self._score_once, request), self._retry)
            for request in requests
        )))

    async def aclose(self) -> None:
        # A client the caller passed in is the caller's to close.
        if self._owns_http_client:
            await self._client.close()
            for client in self._http:
                await client.aclose()

    def _read_api_key(self) -> str:
        if self._api_key_env is None:
            return PLACEHOLDER_API_KEY
        value = os.environ.get(self._api_key_env)
        if not value:
            raise ProviderError("auth", f"environment variable {self._api_key_env} is not set")
        return value

    async def _stream_events(self, request: GenerationRequest,
                             api_key: str) -> AsyncGenerator[StreamEvent, None]:
        started = time.time()
        chunks = await self._open_stream(request, api_key)
        observe_response(chunks.response.headers)
        progress = _StreamProgress()
        try:
            async for chunk in chunks:
                text = progress.add(chunk)
                if text:
                    yield StreamDelta(text, at=progress.last_arrival)
        finally:
            await chunks.close()
        yield progress.completion(started, _prompt_text(request))

    async def _generate_once(self, request: GenerationRequest) -> Completion:
        check_abilities(self.model_id, self.abilities, request)
        api_key = self._read_api_key()
        started = time.time()
        if request.prompt is not None:
            response = await self._post(request, "/completions", {"prompt": request.prompt},
                                        api_key)
        else:
            as_object = self._schema_as_json_object
            response = await self._post_chat(request, api_key, schema_as_json_object=as_object)
            if not as_object and response.status_code >= 400 and _refuses_json_schema(
                    request, response.status_code, response.text):
                self._schema_as_json_object = True
                response = await self._post_chat(request, api_key, schema_as_json_object=True)
        observe_response(response.headers)  # rate-limit headers, for the endpoint's pacer
        return _read_answer(_json_answer(response, api_key), started, request)

    async def _post_chat(self, request: GenerationRequest, api_key: str, *,
                         schema_as_json_object: bool) -> Response:
        fields = {**_chat_body(request, schema_as_json_object=schema_as_json_object),
                  **self._chat_body}
        return await self._post(request, "/chat/completions", fields, api_key)

    async def _post(self, request: GenerationRequest, path: str, fields: dict[str, Any],
                    api_key: str) -> Response:
        """POST one non-streamed generation request."""
        return await self._send(path, {**fields, **_sampling_arguments(request.config),
                                        **self._generation_body}, api_key)

    async def _send(self, path: str, fields: dict[str, Any], api_key: str) -> Response:
        """POST `fields` (with the model and `extra_body`); transport failures become
        ProviderErrors."""
        payload = {"model": self.model_id, **fields, **self._extra_body}
        failure: ProviderError | None = None
        try:
            return await self._next_client().post(
                self._base + path, content=json.dumps(payload).encode(),
                headers={"Authorization": f"Bearer {api_key}",
                         "Content-Type": "application/json"})
        except Exception as error:
            failure = _translate(error, secret=api_key)
        raise failure  # outside the handler: see stream()

    def _next_client(self) -> HttpClient:
        if not self._http and plain_http.usable_for(self._base):
            self._http = [plain_http.PlainHTTPClient(self._base, timeout_s=self._timeout_s)]
        if not self._http:
            context = httpx2.create_ssl_context()
            self._http = [httpx2.AsyncClient(
                verify=context, timeout=self._timeout_s,
                limits=httpx2.Limits(max_connections=None, max_keepalive_connections=256))
                for _ in range(_CONNECTION_POOLS)]
        return self._http[next(self._turn) % len(self._http)]

    async def _score_batched(self, requests: Sequence[LoglikelihoodRequest]) -> list[float]:
        """Each context's continuations in one request (prompt_logprobs.py), retried whole."""
        groups = prompt_logprobs.scoring_groups(requests)
        scored = await asyncio.gather(*(
            call_with_retries(functools.partial(self._score_group, group), self._retry)
            for group in groups))
        values = [0.0] * len(requests)
        for group, group_values in zip(groups, scored, strict=True):
            for position, value in zip(group.positions, group_values, strict=True):
                values[position] = value
        return values

    async def _score_group(self, group: prompt_logprobs.ScoringGroup) -> list[float]:
        api_key = self._read_api_key()
        response = await self._send("/completions", prompt_logprobs.request_fields(group),
                                    api_key)
        observe_response(response.headers)
        return prompt_logprobs.group_logprobs(_json_answer(response, api_key), group)

    async def _score_once(self, request: LoglikelihoodRequest) -> float:
        api_key = self._read_api_key()
        prompt = request.context + request.continuation
        failure: ProviderError | None = None
        try:
            response = await self._client.completions.create(
                model=self.model_id, prompt=prompt, echo=True, logprobs=1, max_tokens=1,
                temperature=0.0, extra_headers={"Authorization": f"Bearer {api_key}"},
                extra_body=self._extra_body or None,
            )
        except Exception as error:
            failure = _translate(error, secret=api_key)
        if failure is not None:
            raise failure  # outside the handler: see stream()
        if not response.choices:
            raise ProviderError("bad_response", "the completion has no choices", retryable=True)
        return continuation_logprob(response.choices[0], prompt, len(request.context))

    async def _open_stream(self, request: GenerationRequest, api_key: str) -> SdkStream:
        common: dict[str, Any] = {
            "model": self.model_id,
            "stream_options": {"include_usage": True},
            "extra_headers": {"Authorization": f"Bearer {api_key}"},
            **_sampling_arguments(request.config),
        }
        extra_body = {**self._generation_body, **self._extra_body}
        if request.prompt is None:
            extra_body = {**self._chat_body, **extra_body}
        if extra_body:
            common["extra_body"] = extra_body
        if request.prompt is not None:
            # With **common mypy cannot choose the overload; stream=True picks the stream one.
            text_stream: openai.AsyncStream[CompletionChunk] = (
                await self._client.completions.create(prompt=request.prompt, stream=True, **common)
            )
            return text_stream
        as_object = self._schema_as_json_object
        try:
            return await self._open_chat(request, common, schema_as_json_object=as_object)
        except openai.APIStatusError as error:
            if as_object or not _refuses_json_schema(request, error.status_code, error.message):
                raise
        # Sent again outside the handler, so no later error chains the refusal (and its key).
        self._schema_as_json_object = True
        return await self._open_chat(request, common, schema_as_json_object=True)

    async def _open_chat(self, request: GenerationRequest, common: dict[str, Any], *,
                         schema_as_json_object: bool) -> openai.AsyncStream[ChatCompletionChunk]:
        body = _chat_body(request, schema_as_json_object=schema_as_json_object)
        chat_stream: openai.AsyncStream[ChatCompletionChunk] = (
            await self._client.chat.completions.create(stream=True, **body, **common)
        )
        return chat_stream


def _refuses_json_schema(request: GenerationRequest, status: int, message: str) -> bool:
    """A server that takes only json_object refusing OpenAI's form (llama-cpp-python: HTTP 500,
    "Input should be 'text' or 'json_object'"). Other refusals naming the field, such as
    OpenAI's of a schema its strict mode rejects, are errors as they stand."""
    return (request.response_format is not None and status in (400, 422, 500)
            and "response_format" in message and "json_object" in message)


def _json_answer(response: Response, secret: str) -> Any:
    """The parsed JSON of a successful answer; a ProviderError for an error status or text
    that is not JSON."""
    if response.status_code >= 400:
        raise _http_status_error(response.status_code, response.headers,
                                 _error_message(response.text), secret)
    try:
        return json.loads(response.content)
    except ValueError:
        pass
    raise ProviderError("bad_response", "malformed response (not JSON: "
                        f"{_scrub(response.text, secret)})", retryable=True)


def _error_message(text: str) -> str:
    """The `error.message` of an OpenAI-style error body, else the body as it is."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else text


def _read_answer(body: Any, started: float, request: GenerationRequest) -> Completion:
    """The Completion in a non-streamed answer of either endpoint."""
    try:
        completion = _answer_completion(body, started, request)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ProviderError("bad_response", f"unreadable answer ({type(error).__name__}: "
                            f"{str(error)[:_MAX_DETAIL_CHARS]})", retryable=True) from None
    return completion


def _answer_completion(body: Any, started: float, request: GenerationRequest) -> Completion:
    choices = body["choices"]
    if not choices:
        raise ProviderError("bad_response", "the answer has no choices", retryable=True)
    choice = choices[0]
    finish_reason = _text(choice.get("finish_reason"), "finish_reason")
    calls: tuple[ToolCall, ...] = ()
    if request.prompt is not None:
        text = _text(choice["text"], "text") or ""
    else:
        message = choice["message"]
        text = _text(message.get("content"), "content") or ""
        calls = tuple(_tool_call(index, call)
                      for index, call in enumerate(message.get("tool_calls") or ()))
    if not text and not calls and finish_reason is None:
        raise ProviderError("bad_response", "the answer has no content, no tool call and no "
                            "finish_reason", retryable=True)
    usage = body.get("usage")
    return Completion(
        text=text,
        usage=Usage(int(usage["prompt_tokens"]), int(usage["completion_tokens"]), "server")
        if usage else Usage(len(_prompt_text(request)) // 4, max(len(text) // 4, 1 if text
                                                                  or calls else 0), "estimate"),
        timing=Timing(started=started, finished=time.time()),
        finish_reason=finish_reason,
        tool_calls=calls,
    )


def _tool_call(index: int, call: dict[str, Any]) -> ToolCall:
    function = call["function"]
    name = _text(function.get("name"), "function name")
    if not name:
        raise ProviderError("bad_response", f"tool call {index} has no function name",
                            retryable=True)
    return ToolCall(id=_text(call.get("id"), "tool call id") or f"call_{index}", name=name,
                    arguments=_text(function.get("arguments"), "function arguments") or "")


def continuation_logprob(choice: CompletionChoice, prompt: str, context_chars: int) -> float:
    """Sum of the log-probabilities of the echoed prompt tokens that reach past the context.

    A token spans [its offset, the next token's offset); the last prompt token ends at
    len(prompt). Tokens at or after len(prompt) were generated and are left out.
    """
    logprobs = choice.logprobs
    offsets = logprobs.text_offset if logprobs else None
    values = logprobs.token_logprobs if logprobs else None
    if not offsets or values is None or len(values) != len(offsets):
        raise prompt_logprobs.no_prompt_logprobs()
    if not choice.text.startswith(prompt):
        raise prompt_logprobs.prompt_not_echoed()
    if any(offset < 0 for offset in offsets):
        raise ProviderError("unsupported", "the server sends no text offsets (SGLang sends "
                            "-1); set server = \"sglang\" for this model")
    ends = [*offsets[1:], len(prompt)]
    return prompt_logprobs.summed([
        value for offset, end, value in zip(offsets, ends, values, strict=True)
        if offset < len(prompt) and min(end, len(prompt)) > context_chars])


def _sampling_arguments(config: GenerationConfig) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "top_p": config.top_p,
    }
    if config.seed is not None:
        arguments["seed"] = config.seed
    if config.stop:
        arguments["stop"] = list(config.stop)
    return arguments


def _chat_body(request: GenerationRequest, *, schema_as_json_object: bool) -> dict[str, Any]:
    """Messages, tools and response format in OpenAI's form; tool keys only with tools."""
    body: dict[str, Any] = {"messages": [_openai_message(m) for m in request.messages]}
    if request.tools:
        body["tools"] = [tool.as_openai() for tool in request.tools]
        body["tool_choice"] = _openai_tool_choice(request.tool_choice)
    if request.response_format is not None:
        body["response_format"] = (_json_object_format(request.response_format)
                                   if schema_as_json_object
                                   else request.response_format.as_openai())
    return body


def _openai_message(message: Message) -> dict[str, Any]:
    # content stays a string even beside tool calls: llama-cpp-python refuses null.
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        data["tool_calls"] = [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls]
    if message.tool_call_id is not None:
        data["tool_call_id"] = message.tool_call_id
    return data


def _openai_tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _json_object_format(response_format: JsonSchemaFormat) -> dict[str, Any]:
    """llama-cpp-python's dialect of a JSON Schema response format."""
    return {"type": "json_object", "schema": response_format.schema}


def _prompt_text(request: GenerationRequest) -> str:
    if request.prompt is not None:
        return request.prompt
    return "\n".join(part for message in request.messages
                     for part in (message.content, *(c.arguments for c in message.tool_calls)))


@dataclass(frozen=True)
class _ToolCallDelta:
    """One streamed piece of the tool call at `index`."""

    index: int
    id: str | None
    name: str | None
    arguments: str | None


@dataclass(frozen=True)
class _Chunk:
    """What one stream chunk says."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    tool_calls: tuple[_ToolCallDelta, ...] = ()


@dataclass
class _PartialToolCall:
    id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)

    def add(self, delta: _ToolCallDelta) -> None:
        # OpenAI sends id and name in the first delta only; llama-cpp-python repeats them in
        # every delta, so the first wins. Arguments arrive in fragments to be joined.
        self.id = self.id or delta.id
        self.name = self.name or delta.name
        if delta.arguments:
            self.arguments.append(delta.arguments)

    def finish(self, index: int) -> ToolCall:
        if not self.name:
            raise ProviderError("bad_response", f"streamed tool call {index} has no function "
                                "name", retryable=True)
        # A call needs an id for its result turn; a server that sent none gets a stable one.
        return ToolCall(id=self.id or f"call_{index}", name=self.name,
                        arguments="".join(self.arguments))


@dataclass
class _StreamProgress:
    """What the chunks of one stream have said so far."""

    pieces: list[str] = field(default_factory=list)
    calls: dict[int, _PartialToolCall] = field(default_factory=dict)
    output_chunks: int = 0
    first_token: float | None = None
    last_arrival: float = 0.0
    finish_reason: str | None = None
    usage: Usage | None = None

    def add(self, chunk: ChatCompletionChunk | CompletionChunk) -> str:
        """Record one chunk; return the text it carries ("" when none)."""
        self.last_arrival = time.time()
        try:
            read = _read_chunk(chunk)
        except (AttributeError, TypeError, ValueError) as error:
            raise ProviderError("bad_response", f"unreadable stream chunk ({error})",
                                retryable=True) from None
        if read.usage is not None:
            self.usage = read.usage
        if read.finish_reason is not None:
            self.finish_reason = read.finish_reason
        for delta in read.tool_calls:
            self.calls.setdefault(delta.index, _PartialToolCall()).add(delta)
        if read.text:
            self.pieces.append(read.text)
        if read.text or read.tool_calls:
            self.output_chunks += 1
            if self.first_token is None:
                self.first_token = self.last_arrival
        return read.text

    def completion(self, started: float, prompt_text: str) -> Completion:
        if not self.pieces and not self.calls and self.finish_reason is None:
            raise ProviderError("bad_response", "the stream ended with no content, no tool "
                                "call and no finish_reason", retryable=True)
        usage = self.usage or Usage(
            input_tokens=len(prompt_text) // 4, output_tokens=self.output_chunks,
            source="estimate")
        return Completion(
            text="".join(self.pieces),
            usage=usage,
            timing=Timing(started=started, finished=time.time(), first_token=self.first_token),
            finish_reason=self.finish_reason,
            tool_calls=tuple(self.calls[index].finish(index) for index in sorted(self.calls)),
        )


def _read_chunk(chunk: ChatCompletionChunk | CompletionChunk) -> _Chunk:
    """The text, finish reason, usage and tool-call deltas of one chunk of either endpoint.

    The SDK builds chunks without validation, so wrong types surface here as ValueError."""
    usage = None
    if chunk.usage is not None:
        usage = Usage(input_tokens=int(chunk.usage.prompt_tokens),
                      output_tokens=int(chunk.usage.completion_tokens), source="server")
    # Some servers send chunks with no choices (usage, content-filter notes): nothing to read.
    if not chunk.choices:
        return _Chunk(usage=usage)
    if isinstance(chunk, ChatCompletionChunk):
        choice = chunk.choices[0]
        return _Chunk(_text(choice.delta.content, "content") or "", choice.finish_reason, usage,
                      _tool_call_deltas(choice.delta))
    text_choice = chunk.choices[0]
    return _Chunk(_text(text_choice.text, "text") or "", text_choice.finish_reason, usage)


def _tool_call_deltas(delta: ChoiceDelta) -> tuple[_ToolCallDelta, ...]:
    deltas = []
    for call in delta.tool_calls or ():
        index: object = call.index
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError(f"tool call index {index!r}")
        function = call.function
        deltas.append(_ToolCallDelta(
            index, _text(call.id, "tool call id"),
            _text(function.name if function else None, "function name"),
            _text(function.arguments if function else None, "function arguments")))
    return tuple(deltas)


def _text(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{what} is {type(value).__name__}, not text")


def _translate(error: Exception, *, secret: str) -> ProviderError:
    """The ProviderError for an SDK or transport failure, with `secret` scrubbed out."""
    detail = _scrub(str(error), secret)
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, _scrub(error.message, secret))
    if isinstance(error, openai.APITimeoutError | httpx.TimeoutException
                  | httpx2.TimeoutException):
        return ProviderError("timeout", f"request timed out ({detail})", retryable=True)
    if isinstance(error, openai.APIConnectionError | httpx.TransportError
                  | httpx2.TransportError):
        # Includes streams cut mid-way: the SDK wraps httpx's RemoteProtocolError / ReadError.
        cause = _scrub(repr(error.__cause__), secret) if error.__cause__ else detail
        return ProviderError("connection", f"connection failed ({cause})", retryable=True)
    if isinstance(error, json.JSONDecodeError | openai.APIResponseValidationError):
        return ProviderError("bad_response", f"malformed response ({detail})", retryable=True)
    if isinstance(error, openai.APIError):
        # An error event inside a 200 stream: the server failed after it started answering.
        return ProviderError("server_error", f"error in stream ({detail})", retryable=True)
    return ProviderError("internal", f"{type(error).__name__}: {detail}")


def _status_error(error: openai.APIStatusError, detail: str) -> ProviderError:
    return _http_status_error(error.status_code, error.response.headers, detail, "")


def _http_status_error(status: int, headers: Mapping[str, str], detail: str,
                       secret: str) -> ProviderError:
    """The ProviderError for an HTTP error status (`detail` scrubbed of `secret` here)."""
    message = f"HTTP {status}: {_scrub(detail, secret)}"
    retry_after = parse_retry_after(headers)
    kind: ErrorKind
    if status == 400 and "--tool-call-parser" in detail:
        # vLLM started without a tool-call parser: the model cannot call tools there.
        return ProviderError("unsupported", f"{message} (start vLLM with "
                             "--enable-auto-tool-choice --tool-call-parser PARSER for the "
                             "model family: docs/SCALING.md)")
    if status == 429:
        kind, retryable = "rate_limited", True
    elif status >= 500:
        kind, retryable = "server_error", True
    elif status == 408:
        kind, retryable = "timeout", True
    elif status in (401, 403):
        kind, retryable = "auth", False
    else:
        kind, retryable = "bad_request", False
    return ProviderError(kind, message, retryable=retryable, retry_after_s=retry_after)


def _scrub(text: str, secret: str) -> str:
    if secret and secret != PLACEHOLDER_API_KEY:
        text = text.replace(secret, "[redacted]")
    if len(text) > _MAX_DETAIL_CHARS:
        text = text[:_MAX_DETAIL_CHARS] + "…"
    return text
