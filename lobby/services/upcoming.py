"""Each room's scheduled visits around now, read from the directory at most every few seconds.

Every transition and every lobby flush needs them (to tell who is still expected); with 50
appointments a room, reading and building them from SQLite each time was a sixth of the
server's CPU while 10,000 guests arrived. An appointment added elsewhere (CLI, another
instance) shows within `ttl` seconds, at once when its guest opens the link, and on any
lobby a clinician asks for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lobby.adapters.directory import Directory, ScheduledVisit

LOOKBACK = 4 * 3600.0
LOOKAHEAD = 12 * 3600.0
"""The clinician's list of expected guests covers appointments in this window around now."""
TTL = 5.0


class Upcoming:
    def __init__(
        self,
        directory: Directory,
        clock: Callable[[], float],
        ttl: float = TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._ttl = ttl
        self._monotonic = monotonic
        self._rooms: dict[str, tuple[float, list[ScheduledVisit]]] = {}

    async def of(self, room_id: str, fresh: bool = False) -> list[ScheduledVisit]:
        """The room's scheduled visits; `fresh` reads the directory whatever the cache holds
        (a clinician opening the dashboard sees an appointment made a second ago)."""
        cached = self._rooms.get(room_id)
        if not fresh and cached is not None and self._monotonic() - cached[0] < self._ttl:
            return cached[1]
        now = self._clock()
        slots = await self._directory.schedule.between(room_id, now - LOOKBACK, now + LOOKAHEAD)
        self._rooms[room_id] = (self._monotonic(), slots)
        return slots

    async def arrived(self, room_id: str, visit_id: str) -> ScheduledVisit | None:
        """A guest opened their link: their appointment in `room_id`, or None.

        An appointment's time never changes once made, so one this cache holds costs no
        read; one it does not hold is read (a revoked one too, for the caller to refuse),
        and the room is read again next time. A revocation made on another instance since
        the cache was filled is caught by the ended visit it stores (see
        `LobbyService.end_revoked`)."""
        cached = self._rooms.get(room_id)
        if cached is not None:
            for slot in cached[1]:
                if slot.visit_id == visit_id:
                    return slot
            del self._rooms[room_id]
        scheduled = await self._directory.schedule.get(visit_id)
        return scheduled if scheduled is not None and scheduled.room_id == room_id else None

    def forget(self, room_id: str) -> None:
        """The room's appointments changed here: read them afresh next time."""
        self._rooms.pop(room_id, None)
