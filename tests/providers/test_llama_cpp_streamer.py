"""The in-process provider's text assembly: bytes of tokens in, whole characters out."""

from __future__ import annotations

from bakeoff.providers.llama_cpp.streamer import Piece, TextStreamer


def feed(streamer: TextStreamer, *pieces: bytes) -> list[str]:
    released = []
    for data in pieces:
        streamer.accept(Piece(data))
        released.append(streamer.pending_delta)
        streamer.pending_delta = ""
    return released


def test_each_token_is_counted_and_the_end_token_is_not() -> None:
    streamer = TextStreamer(())
    feed(streamer, b"Hello", b" world")
    streamer.accept(Piece(b"", is_end=True))
    assert streamer.output_tokens == 2
    assert streamer.finished and streamer.finish_reason == "stop"
    assert streamer.text == "Hello world"


def test_without_an_end_the_reason_is_length() -> None:
    streamer = TextStreamer(())
    feed(streamer, b"abc")
    assert not streamer.finished and streamer.finish_reason == "length"


def test_held_back_text_is_released_by_flush() -> None:
    streamer = TextStreamer(("STOP",))
    assert feed(streamer, b"one ST") == ["one "]
    tail = streamer.flush()
    assert tail is not None and tail.text == "ST"
    assert streamer.text == "one ST"
    assert streamer.first_token_at == tail.at


def test_the_earliest_of_several_stops_cuts() -> None:
    streamer = TextStreamer(("world", "lo", ""))
    feed(streamer, b"Hello world")
    assert streamer.text == "Hel"
    assert streamer.finish_reason == "stop"


def test_an_incomplete_character_at_the_end_is_dropped() -> None:
    streamer = TextStreamer(())
    feed(streamer, b"ok", "é".encode()[:1])
    assert streamer.flush() is None
    assert streamer.text == "ok"
