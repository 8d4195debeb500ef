"""Keeps the store holding what this instance's clients hold, without re-reading it all.

Each heartbeat the instance renews a marker of its own in the store. A missing marker means
the store lost its data (Redis restarted empty): then every visit and session that this
instance's clients hold is written back. Otherwise one slice of the held visits is re-read,
so that what would be written back is never more than `REFRESH_ROUNDS` heartbeats old.
"""

from __future__ import annotations

import math

from lobby.interfaces.realtime.common import LocalConnections
from lobby.services.lobby import LobbyService

REFRESH_ROUNDS = 12
"""Heartbeats to re-read every held visit once (one minute at the default 5 s)."""


class PresenceKeeper:
    def __init__(
        self, service: LobbyService, connections: LocalConnections, marker: str, ttl: int
    ) -> None:
        self._service = service
        self._connections = connections
        self._marker = marker
        self._ttl = ttl
        self._cursor = 0

    async def beat(self) -> None:
        snapshots = self._connections.snapshots
        if await self._service.store.kept(self._marker, self._ttl):
            held = list(snapshots.values())
            start = self._cursor if self._cursor < len(held) else 0
            part = held[start : start + math.ceil(len(held) / REFRESH_ROUNDS)]
            self._cursor = start + len(part)
            fresh = await self._service.refresh(part)
        else:
            fresh = await self._service.republish(*self._connections.held())
        for visit in fresh:
            if visit.visit_id in snapshots:
                snapshots[visit.visit_id] = visit
