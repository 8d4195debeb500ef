"""Each connection's allowance of events: a token bucket per socket, kept in memory.

A flood from one peer is refused before any handler runs, so it costs little and nobody
else waits: a connection belongs to one instance, so no sharing is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

RATE = 20.0
"""Events per second a connection may send, on average."""
BURST = 100.0
"""How many at once: a call's setup (offer, answer and a few dozen candidates per peer)."""


class EventBudget:
    def __init__(
        self,
        rate: float = RATE,
        burst: float = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """sid -> (tokens, when counted)."""

    def spend(self, sid: str) -> float:
        """Take one event's token: 0.0 if there was one, else the seconds until there is."""
        now = self._clock()
        tokens, then = self._buckets.get(sid, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens >= 1.0:
            self._buckets[sid] = (tokens - 1.0, now)
            return 0.0
        self._buckets[sid] = (tokens, now)
        return (1.0 - tokens) / self._rate

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)
