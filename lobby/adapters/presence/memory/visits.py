"""Visits, rooms' live sets and the reconnecting index, in one process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from lobby.adapters.presence.memory.calls import MemoryCalls
from lobby.adapters.presence.memory.sessions import MemorySessions
from lobby.adapters.presence.store import (
    RoomQuery,
    RoomSnapshot,
    SaveResult,
    SessionRecord,
    VisitSaved,
)
from lobby.domain.model import Visit


class MemoryVisits(MemorySessions, MemoryCalls):
    """A save stores its session with it; a room snapshot holds the room's call."""

    async def get(self, visit_id: str) -> Visit | None:
        return self._visits.get(visit_id)

    async def save(
        self,
        visit: Visit,
        expected_version: int,
        *,
        room: RoomQuery | None = None,
        session: tuple[str, SessionRecord] | None = None,
    ) -> SaveResult:
        if session is not None:
            await self.put_session(*session)
        current = self._visits.get(visit.visit_id)
        if (current.version if current else 0) != expected_version:
            return SaveResult(False, current)
        ttl = self.ttls.ended if visit.ended else self.ttls.visit
        self._visits.put(visit.visit_id, visit, ttl)
        sequence = self._last_saves[visit.room_id] = next(self._sequence)
        live_ids = self._rooms.setdefault(visit.room_id, set())
        if visit.live:
            live_ids.add(visit.visit_id)
        else:
            live_ids.discard(visit.visit_id)
        if visit.reconnecting and visit.reconnecting_since is not None:
            self._reconnecting[visit.visit_id] = visit.reconnecting_since
        else:
            self._reconnecting.pop(visit.visit_id, None)
        if visit.ended:
            self._heartbeats.pop(visit.visit_id, None)
            # The guest's session, and the pointer to it, go with the visit.
            device = self._devices.get(visit.visit_id)
            if device is not None:
                self._sessions.shorten(device, ttl)
            self._devices.shorten(visit.visit_id, ttl)
        snapshot = None if room is None else await self.room_snapshot(room)
        return SaveResult(True, room=snapshot, sequence=sequence)

    async def room_snapshot(self, query: RoomQuery) -> RoomSnapshot:
        visits = await self.room_visits(query.room_id)
        live = {v.visit_id for v in visits}
        others = await self.get_many([i for i in query.visit_ids if i not in live])
        return RoomSnapshot(
            query.room_id,
            visits,
            await self.call_members(query.room_id),
            {visit_id: visit.state for visit_id, visit in others.items()},
            next(self._sequence),
        )

    async def changes(self) -> AsyncIterator[VisitSaved]:
        """None: one process has no other instance (only this store object saves)."""
        await self._closed.wait()
        return
        yield  # an async generator

    async def room_visits(self, room_id: str) -> list[Visit]:
        live = []
        for visit_id in list(self._rooms.get(room_id, ())):
            visit = self._visits.get(visit_id)
            if visit is None:  # expired
                self._rooms[room_id].discard(visit_id)
            elif visit.live:
                live.append(visit)
        return sorted(live, key=lambda v: (v.waiting_since or 0.0, v.visit_id))

    async def reconnecting_since_before(self, cutoff: float) -> list[str]:
        overdue = []
        for visit_id, since in list(self._reconnecting.items()):
            if self._visits.get(visit_id) is None:  # expired
                del self._reconnecting[visit_id]
            elif since < cutoff:
                overdue.append(visit_id)
        return overdue

    async def get_many(self, visit_ids: list[str]) -> dict[str, Visit]:
        found = {visit_id: self._visits.get(visit_id) for visit_id in visit_ids}
        return {visit_id: visit for visit_id, visit in found.items() if visit is not None}

    async def changed(self, known: Sequence[Visit]) -> dict[str, Visit | None]:
        differing: dict[str, Visit | None] = {}
        for visit in known:
            stored = self._visits.get(visit.visit_id)
            if stored is None or stored.version != visit.version:
                differing[visit.visit_id] = stored
        return differing
