"""Keeps the store holding what this instance's clients hold, without re-reading it all.

Each heartbeat the instance renews a marker of its own in the store. A missing marker means
the store lost its data (Redis restarted empty): then every visit and session that this
instance's clients hold is written back. Otherwise one slice of the held visits is re-read,
so that what would be written back is never more than `REFRESH_ROUNDS` heartbeats old.
"""

from __future__ import annotations

import logging
import math
from typing import Protocol

from lobby.adapters.presence.store import SessionRecord
from lobby.domain.model import Visit
from lobby.services.fanout import Fanout, VisitChange
from lobby.services.visits import Visits

log = logging.getLogger("venterom.lobby")

REFRESH_ROUNDS = 12
"""Heartbeats to re-read every held visit once (one minute at the default 5 s)."""


class Held(Protocol):
    """What this instance's connected clients hold (the realtime layer keeps it)."""

    snapshots: dict[str, Visit]
    """The visit each connected guest holds, by id."""

    def held(self) -> tuple[list[Visit], dict[str, SessionRecord]]:
        """The held visits and the sessions of connected clients, by session id."""
        ...


class PresenceKeeper:
    def __init__(self, visits: Visits, fanout: Fanout, held: Held, marker: str, ttl: int) -> None:
        self._visits = visits
        self._store = visits.store
        self._fanout = fanout
        self._held = held
        self._marker = marker
        self._ttl = ttl
        self._cursor = 0

    async def beat(self) -> None:
        snapshots = self._held.snapshots
        if await self._store.kept(self._marker, self._ttl):
            held = list(snapshots.values())
            start = self._cursor if self._cursor < len(held) else 0
            part = held[start : start + math.ceil(len(held) / REFRESH_ROUNDS)]
            self._cursor = start + len(part)
            fresh = await self.refresh(part)
        else:
            fresh = await self.republish(*self._held.held())
        for visit in fresh:
            if visit.visit_id in snapshots:
                snapshots[visit.visit_id] = visit

    async def refresh(self, held: list[Visit]) -> list[Visit]:
        """The stored state of visits our clients hold (their own copy if none is stored)."""
        changed = await self._store.changed(held)
        fresh = []
        for visit in held:
            stored = changed.get(visit.visit_id)
            if stored is not None:
                self._visits.known.remember(stored)
            fresh.append(stored or visit)
        return fresh

    async def republish(self, held: list[Visit], sessions: dict[str, SessionRecord]) -> list[Visit]:
        """The store lost data (Redis restarted empty): write back what our clients hold.
        Returns the fresh state of the held visits, for the next time."""
        stored = await self._store.get_many([v.visit_id for v in held])
        missing = [v for v in held if v.visit_id not in stored and not v.ended]
        restored = await self._store.restore(missing, sessions)
        if restored:
            log.warning("store lost visits; republished", extra={"visits": restored})
            for visit in missing:
                await self._fanout.visit_saved(VisitChange(None, visit))
        return [stored.get(v.visit_id, v) for v in held]
