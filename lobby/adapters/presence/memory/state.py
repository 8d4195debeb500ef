"""What every part of the memory store shares: its dicts, kept as Redis keeps its keys."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from lobby.adapters.presence.memory.expiring import _ExpiringMap
from lobby.adapters.presence.store import (
    CallMember,
    Notice,
    SessionRecord,
)
from lobby.adapters.presence.ttl import Ttls
from lobby.domain.model import Visit


class MemoryState:
    """Atomic because no method awaits mid-change."""

    def __init__(self, ttls: Ttls | None = None, clock: Callable[[], float] = time.time) -> None:
        self.ttls = ttls or Ttls()
        self._clock = clock
        self._visits: _ExpiringMap[Visit] = _ExpiringMap(clock)
        self._sessions: _ExpiringMap[SessionRecord] = _ExpiringMap(clock)
        self._notices: _ExpiringMap[Notice] = _ExpiringMap(clock)
        self._heartbeats: dict[str, float] = {}
        self._calls: _ExpiringMap[dict[str, CallMember]] = _ExpiringMap(clock)
        self._instances: _ExpiringMap[dict[str, object]] = _ExpiringMap(clock)
        self._markers: _ExpiringMap[bool] = _ExpiringMap(clock)
        self._devices: _ExpiringMap[str] = _ExpiringMap(clock)
        # Indexes, as the Redis backend keeps them, so reads don't scan every visit.
        self._rooms: dict[str, set[str]] = {}
        self._reconnecting: dict[str, float] = {}
        self._sequence = itertools.count(1)
        self._closed = asyncio.Event()
        self._last_saves: dict[str, int] = {}
        """Per room, the sequence number of its last save (snapshots draw from the same)."""
