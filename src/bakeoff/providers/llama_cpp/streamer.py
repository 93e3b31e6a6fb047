"""The text of one generation, assembled from the bytes of sampled tokens as they come."""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass

from bakeoff.providers.base import StreamDelta


@dataclass(frozen=True)
class Piece:
    """The bytes of one sampled token; `is_end` for an end-of-generation token."""

    data: bytes
    is_end: bool = False


class TextStreamer:
    """Bytes in, whole characters out, cut at the first stop string.

    Text that could be the start of a stop string is held back until it is known not to be.
    Bytes of a character still incomplete when generation ends are dropped.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = tuple(stop for stop in stops if stop)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""
        self._emitted: list[str] = []
        self.pending_delta = ""
        self.output_tokens = 0
        self.first_token_at: float | None = None
        self.finish_reason = "length"
        self.finished = False

    @property
    def text(self) -> str:
        return "".join(self._emitted)

    def accept(self, piece: Piece) -> None:
        if piece.is_end:
            self._finish("stop")
            return
        self.output_tokens += 1
        self._held += self._decoder.decode(piece.data)
        cut = _first_stop(self._held, self._stops)
        if cut is not None:
            self._release(cut)
            self._held = ""
            self._finish("stop")
        else:
            self._release(len(self._held) - _partial_stop_length(self._held, self._stops))

    def take_delta(self) -> StreamDelta:
        delta = StreamDelta(self.pending_delta, time.time())
        if self.first_token_at is None:
            self.first_token_at = delta.at
        self.pending_delta = ""
        return delta

    def flush(self) -> StreamDelta | None:
        """What is still held back, once generation has ended without a stop string."""
        self._release(len(self._held))
        return self.take_delta() if self.pending_delta else None

    def _release(self, length: int) -> None:
        released, self._held = self._held[:length], self._held[length:]
        if released:
            self._emitted.append(released)
            self.pending_delta += released

    def _finish(self, reason: str) -> None:
        self.finish_reason = reason
        self.finished = True


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    positions = [index for stop in stops if (index := text.find(stop)) != -1]
    return min(positions, default=None)


def _partial_stop_length(text: str, stops: tuple[str, ...]) -> int:
    """The length of the longest end of text that some stop string starts with."""
    longest = max((len(stop) for stop in stops), default=0)
    for length in range(min(len(text), longest - 1), 0, -1):
        if any(stop.startswith(text[-length:]) for stop in stops):
            return length
    return 0
