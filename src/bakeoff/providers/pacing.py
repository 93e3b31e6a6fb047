"""How fast bakeoff sends requests to one API endpoint, so a rate limit costs few 429s.

One `Pacer` per endpoint (base URL + API key variable), shared by every model on it: the
limit belongs to the account at that endpoint, not to a model. Before each attempt a request
takes a start slot from the pacer; the slots are spaced at the slowest of these rates:

- the configured caps, `requests_per_minute` and `tokens_per_minute`, from the first request;
- the server's word, read from OpenAI-style headers (x-ratelimit-limit-/remaining-/reset-
  requests and -tokens): while the remaining budget lasts requests go at once, and once it is
  spent they go at the rate the bucket refills ((limit - remaining) / reset, else limit / 60 s);
  without a limit header a spent budget waits for the reset;
- a learned rate (AIMD) when the server says nothing but 429: the first 429 sets it to the
  larger of 1 / Retry-After and the successes of the last minute per second (2% under), each
  later 429 (of a request sent after the previous cut) cuts it by a fifth, and each success
  raises it by 1/30 of a request a second (so it doubles in about 30 s of successes), a
  hundred times more slowly within 10% of the rate the last 429 came at: near a limit it
  probes gently, far below one it climbs fast.

A 429 pauses every request to the endpoint for its Retry-After. Requests in flight when a limit
is hit cannot be recalled; their 429s count as one cut. A token cap is kept on average: each
request reserves the mean tokens of the requests so far, and the difference is charged when
its usage comes back.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_SLOWEST_LEARNED_PER_S = 1.0 / 60.0  # the learned rate never drops below a request a minute
# Each success raises the learned rate by this many requests a second: whatever the rate, it
# doubles in about 30 s of successes, so probing back up costs few 429s. Near the rate a 429
# came at, a hundred times more slowly: each probe past a limit costs a 429 and a pause.
_PROBE_PER_SUCCESS = 1.0 / 30.0
_PROBE_NEAR_LIMIT = _PROBE_PER_SUCCESS / 100.0
_NEAR_LIMIT = 0.9  # of the rate the last 429 came at
_CUT = 0.8  # a later 429 multiplies the learned rate by this
_MARGIN = 0.98  # of a server's stated rate: sent a little slower, few arrive early
_MINUTE_S = 60.0
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str | None) -> float | None:
    """Seconds in a rate-limit reset header: "1s", "6m0s", "20ms", "1h2m3.5s" or a number."""
    if text is None:
        return None
    text = text.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * scale[unit] for number, unit in parts)


@dataclass(frozen=True)
class Ticket:
    """One attempt's place in the pacer's order, and the tokens it reserved."""

    seq: int
    tokens: float


@dataclass
class _Lane:
    """One limited resource (requests, or tokens) and what is known of its limit."""

    cap_per_s: float | None = None
    limit: float | None = None          # x-ratelimit-limit-*: the budget when full
    remaining: float | None = None      # x-ratelimit-remaining-*, as of answer `told_seq`
    reset_s: float | None = None        # x-ratelimit-reset-*: until the budget is full again
    reset_at: float = -math.inf
    told_seq: int = 0
    # Requests (in pacer order) the server's `remaining` is taken to have counted: those sent
    # before its answer except the ones still in flight, which may reach it later.
    told_by: int = 0
    next_at: float = -math.inf

    def observe(self, headers: Mapping[str, str], kind: str, seq: int, counted: int,
                now: float) -> None:
        remaining = header_number(headers.get(f"x-ratelimit-remaining-{kind}"))
        if remaining is None or seq < self.told_seq:
            return  # no word on this limit, or an older answer than the one already read
        limit = header_number(headers.get(f"x-ratelimit-limit-{kind}"))
        reset_s = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
        self.limit = limit if limit is not None else self.limit
        self.remaining, self.told_seq, self.told_by = remaining, seq, counted
        self.reset_s = reset_s
        self.reset_at = now + reset_s if reset_s is not None else -math.inf

    def spent(self, sent_since: float) -> bool:
        """Whether the server's budget is used up by what was sent after it was read."""
        return self.remaining is not None and self.remaining - sent_since <= 0

    def refill_per_s(self) -> float | None:
        """How fast the spent budget comes back, a little under: servers round `remaining`
        down, and a request that arrives a moment early is refused."""
        if self.limit is None:
            return None
        # Between limit - remaining - 1 and limit - remaining are in use; take the fewer.
        in_use = max(self.limit - (self.remaining or 0.0) - 1.0, 1.0)
        if self.reset_s:
            return _MARGIN * in_use / self.reset_s
        return _MARGIN * self.limit / _MINUTE_S

    def reserve(self, now: float, cost: float, rate: float | None) -> float:
        """The earliest start for `cost` at `rate`, booked; None: at once, beside the booked."""
        if not rate:
            return now
        start = max(now, self.next_at)
        self.next_at = start + cost / rate
        return start


@dataclass(eq=False)
class Pacer:
    """Start slots for the requests to one endpoint (see the module docstring)."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    rate_limited: int = 0               # 429s seen, for reports and tests
    learned_per_s: float | None = None
    _refused_at_per_s: float = math.inf  # the learned rate when the last 429 came
    _requests: _Lane = field(default_factory=_Lane)
    _tokens: _Lane = field(default_factory=_Lane)
    _sent: int = 0                      # tickets issued (their seq)
    _started: int = 0
    _in_flight: int = 0
    _limits_seen: int = 0
    _paused_until: float = -math.inf
    _last_cut_seq: int = -1
    _mean_tokens: float = 0.0
    _finished: int = 0
    _successes: deque[float] = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        self.tighten(self.requests_per_minute, self.tokens_per_minute)

    def tighten(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        """Apply caps; where two models on the endpoint set one, the lower holds."""
        self.requests_per_minute = _lower(self.requests_per_minute, requests_per_minute)
        self.tokens_per_minute = _lower(self.tokens_per_minute, tokens_per_minute)
        rpm, tpm = self.requests_per_minute, self.tokens_per_minute
        self._requests.cap_per_s = rpm / _MINUTE_S if rpm else None
        self._tokens.cap_per_s = tpm / _MINUTE_S if tpm else None

    async def acquire(self) -> Ticket:
        """Wait for this attempt's start slot."""
        if self._unlimited():  # the common case, kept cheap: nothing known to pace by
            self._sent += 1
            self._started += 1
            self._in_flight += 1
            return Ticket(self._sent, self._mean_tokens)
        while True:
            gate = self._gate(self.clock())
            if gate > self.clock():
                await self.sleep(gate - self.clock())
                continue
            now = self.clock()
            tokens = self._mean_tokens
            start = max(self._requests.reserve(now, 1.0, self._request_rate()),
                        self._tokens.reserve(now, tokens, self._token_rate(tokens)))
            self._sent += 1
            ticket, booked_in = Ticket(self._sent, tokens), self._limits_seen
            if start > now:
                await self.sleep(start - now)
            # A 429 while waiting voids the slot: it was booked at a rate now known too fast.
            if booked_in == self._limits_seen and self._gate(self.clock()) <= self.clock():
                self._started += 1
                self._in_flight += 1
                return ticket

    def observe(self, ticket: Ticket, headers: Mapping[str, str]) -> None:
        """Read the rate-limit headers of the answer to `ticket`'s request. `headers` is
        looked up by lower-case names (httpx's headers match any case)."""
        now = self.clock()
        counted = self._started - (self._in_flight - 1)
        self._requests.observe(headers, "requests", ticket.seq, counted, now)
        self._tokens.observe(headers, "tokens", ticket.seq, counted, now)

    def finished(self, ticket: Ticket) -> None:
        """The request's answer (or failure) is in: it is no longer in flight."""
        self._in_flight -= 1

    def succeeded(self, ticket: Ticket, tokens: int | None = None) -> None:
        """The request got an answer; `tokens` it used, where known."""
        now = self.clock()
        self._successes.append(now)
        while self._successes and self._successes[0] < now - _MINUTE_S:
            self._successes.popleft()
        if self.learned_per_s is not None:
            near = self.learned_per_s >= _NEAR_LIMIT * self._refused_at_per_s
            self.learned_per_s += _PROBE_NEAR_LIMIT if near else _PROBE_PER_SUCCESS
        if tokens is not None:
            self._finished += 1
            self._mean_tokens += (tokens - self._mean_tokens) / self._finished
            rate = self._token_rate(tokens)
            if rate:  # charge what the reservation missed (or give back what it overbooked)
                self._tokens.next_at += (tokens - ticket.tokens) / rate

    def limited(self, ticket: Ticket, wait_s: float, retry_after_s: float | None) -> None:
        """The request got a 429: pause everyone for `wait_s`; cut the learned rate once."""
        self.rate_limited += 1
        self._limits_seen += 1
        now = self.clock()
        self._paused_until = max(self._paused_until, now + wait_s)
        # The slots booked so far are void (see acquire): the schedule starts again after the
        # pause, not after them.
        self._requests.next_at = self._paused_until
        if self._requests.limit is not None or ticket.seq <= self._last_cut_seq:
            return  # the server states its limit; or this 429 belongs to the last cut
        self._last_cut_seq = self._sent
        if self.learned_per_s is None:
            hinted = 1.0 / retry_after_s if retry_after_s else 0.0
            self.learned_per_s = _MARGIN * max(hinted, len(self._successes) / _MINUTE_S)
            self._refused_at_per_s = self.learned_per_s / _MARGIN
        else:
            self._refused_at_per_s = self.learned_per_s
            self.learned_per_s *= _CUT
        self.learned_per_s = max(self.learned_per_s, _SLOWEST_LEARNED_PER_S)

    def _unlimited(self) -> bool:
        requests, tokens = self._requests, self._tokens
        return (self.learned_per_s is None and requests.cap_per_s is None
                and tokens.cap_per_s is None and requests.remaining is None
                and tokens.remaining is None and self._paused_until <= self.clock())

    def _gate(self, now: float) -> float:
        """Until when nobody may start: a 429's pause, or a spent budget without a rate."""
        gate = self._paused_until
        for lane, cost in ((self._requests, 1.0), (self._tokens, self._mean_tokens)):
            if lane.spent(cost * (self._started - lane.told_by)) and lane.limit is None:
                gate = max(gate, lane.reset_at)
        return gate

    def _request_rate(self) -> float | None:
        lane = self._requests
        server = lane.refill_per_s() if lane.spent(self._started - lane.told_by) else None
        return _lower(_lower(lane.cap_per_s, self.learned_per_s), server)

    def _token_rate(self, tokens: float) -> float | None:
        lane = self._tokens
        sent_since = tokens * (self._started - lane.told_by)
        server = lane.refill_per_s() if lane.spent(sent_since) else None
        return _lower(lane.cap_per_s, server)


def _lower(first: float | None, second: float | None) -> float | None:
    if first is None:
        return second
    return first if second is None else min(first, second)


def header_number(text: str | None) -> float | None:
    """A header's value as a number; None when absent or not a number."""
    if text is None:
        return None
    try:
        return float(text.strip())
    except ValueError:
        return None


_PACERS: dict[tuple[str, str | None], Pacer] = {}


def endpoint_pacer(base_url: str, api_key_env: str | None, *,
                   requests_per_minute: float | None = None,
                   tokens_per_minute: float | None = None) -> Pacer:
    """The one pacer of an endpoint (base URL + key variable), made on first use."""
    key = (base_url.rstrip("/"), api_key_env)
    pacer = _PACERS.get(key)
    if pacer is None:
        pacer = _PACERS[key] = Pacer()
    pacer.tighten(requests_per_minute, tokens_per_minute)
    return pacer


_CURRENT: contextvars.ContextVar[tuple[Pacer, Ticket] | None] = contextvars.ContextVar(
    "bakeoff_pacing_attempt", default=None)


def observe_response(headers: Mapping[str, str]) -> None:
    """Called by a provider with an answer's headers; read by the attempt's pacer, if any."""
    current = _CURRENT.get()
    if current is not None:
        pacer, ticket = current
        pacer.observe(ticket, headers)


def attempt_context(pacer: Pacer, ticket: Ticket) -> contextvars.Token[tuple[Pacer, Ticket] | None]:
    """Mark the running task as making `ticket`'s attempt (undo with `_CURRENT.reset`)."""
    return _CURRENT.set((pacer, ticket))


def end_attempt(token: contextvars.Token[tuple[Pacer, Ticket] | None]) -> None:
    _CURRENT.reset(token)
