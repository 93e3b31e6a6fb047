"""Providers: the models bakeoff can talk to."""

from bakeoff.providers.base import Provider, StreamDelta, StreamEvent, collect

__all__ = ["Provider", "StreamDelta", "StreamEvent", "collect"]
