"""The embedded presence store: one process, no dependencies (the `make run` default)."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from lobby.adapters.presence.store import (
    Announcement,
    CallMember,
    Notice,
    RoomQuery,
    RoomSnapshot,
    SaveResult,
    SessionRecord,
)
from lobby.adapters.presence.ttl import Ttls
from lobby.domain.model import Visit

T = TypeVar("T")


@dataclass(slots=True)
class _Expiring(Generic[T]):
    value: T
    expires_at: float


@dataclass(slots=True)
class _ExpiringMap(Generic[T]):
    clock: Callable[[], float]
    items: dict[str, _Expiring[T]] = field(default_factory=dict)

    def get(self, key: str) -> T | None:
        entry = self.items.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self.clock():
            del self.items[key]
            return None
        return entry.value

    def put(self, key: str, value: T, ttl: float) -> None:
        self.items[key] = _Expiring(value, self.clock() + ttl)

    def pop(self, key: str) -> None:
        self.items.pop(key, None)

    def shorten(self, key: str, ttl: float) -> None:
        """Let the entry expire within `ttl` seconds, if it would have lived longer."""
        entry = self.items.get(key)
        if entry is not None:
            entry.expires_at = min(entry.expires_at, self.clock() + ttl)

    def live_values(self) -> list[T]:
        now = self.clock()
        return [e.value for e in self.items.values() if e.expires_at > now]


class MemoryPresenceStore:
    """Implements `PresenceStore` with dicts; atomic because no method awaits mid-change."""

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
        self._last_saves: dict[str, int] = {}
        """Per room, the sequence number of its last save (snapshots draw from the same)."""

    async def get(self, visit_id: str) -> Visit | None:
        return self._visits.get(visit_id)

    async def save(
        self,
        visit: Visit,
        expected_version: int,
        *,
        room: RoomQuery | None = None,
        announce: Sequence[Announcement] = (),
        session: tuple[str, SessionRecord] | None = None,
    ) -> SaveResult:
        """`announce` is ignored: one process has no other instance to tell."""
        if session is not None:
            await self.put_session(*session)
        current = self._visits.get(visit.visit_id)
        if (current.version if current else 0) != expected_version:
            return SaveResult(False, current)
        ttl = self.ttls.ended if visit.ended else self.ttls.visit
        self._visits.put(visit.visit_id, visit, ttl)
        self._last_saves[visit.room_id] = next(self._sequence)
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
        return SaveResult(True, room=None if room is None else await self.room_snapshot(room))

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

    async def room_changed_since(self, room_id: str, sequence: int) -> bool:
        return self._last_saves.get(room_id, 0) > sequence

    async def room_visits(self, room_id: str) -> list[Visit]:
        live = []
        for visit_id in list(self._rooms.get(room_id, ())):
            visit = self._visits.get(visit_id)
            if visit is None:  # expired
                self._rooms[room_id].discard(visit_id)
            elif visit.live:
                live.append(visit)
        return sorted(live, key=lambda v: (v.waiting_since or 0.0, v.visit_id))

    async def heartbeat(self, visit_ids: list[str], now: float) -> None:
        for visit_id in visit_ids:
            self._heartbeats[visit_id] = now

    async def stale(self, seen_before: float) -> list[str]:
        return [v for v, seen in self._heartbeats.items() if seen < seen_before]

    async def forget_heartbeat(self, visit_id: str) -> None:
        self._heartbeats.pop(visit_id, None)

    async def reconnecting_since_before(self, cutoff: float) -> list[str]:
        overdue = []
        for visit_id, since in list(self._reconnecting.items()):
            if self._visits.get(visit_id) is None:  # expired
                del self._reconnecting[visit_id]
            elif since < cutoff:
                overdue.append(visit_id)
        return overdue

    async def put_session(self, session_id: str, record: SessionRecord) -> None:
        self._sessions.put(session_id, record, record.expires_at - self._clock())

    async def get_session(self, session_id: str) -> SessionRecord | None:
        return self._sessions.get(session_id)

    async def session_and_visit(self, session_id: str) -> tuple[SessionRecord | None, Visit | None]:
        record = self._sessions.get(session_id)
        return record, None if record is None else self._visits.get(record.subject)

    async def delete_session(self, session_id: str) -> None:
        self._sessions.pop(session_id)

    async def take_device(self, visit: Visit, session_id: str, ttl: int) -> bool:
        if visit.ended:
            ttl = min(ttl, self.ttls.ended)
            self._sessions.shorten(session_id, ttl)
        previous = self._devices.get(visit.visit_id)
        self._devices.put(visit.visit_id, session_id, ttl)
        record = None if previous in {None, session_id} else self._sessions.get(str(previous))
        if record is None or record.ended:
            return False
        self._sessions.put(
            str(previous),
            dataclasses.replace(record, ended=True),
            min(record.expires_at - self._clock(), self.ttls.ended),
        )
        return True

    async def sessions(self, session_ids: list[str]) -> dict[str, SessionRecord]:
        found = {sid: self._sessions.get(sid) for sid in session_ids}
        return {sid: record for sid, record in found.items() if record is not None}

    async def set_notice(self, room_id: str, notice: Notice) -> None:
        self._notices.put(room_id, notice, self.ttls.notice)

    async def get_notice(self, room_id: str) -> Notice | None:
        return self._notices.get(room_id)

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

    async def restore(self, visits: list[Visit], sessions: dict[str, SessionRecord]) -> int:
        restored = 0
        for visit in visits:
            restored += (await self.save(visit, 0)).saved
        for session_id, record in sessions.items():
            if self._sessions.get(session_id) is None:
                await self.put_session(session_id, record)
        return restored

    async def kept(self, marker: str, ttl: int) -> bool:
        existed = self._markers.get(marker) is not None
        self._markers.put(marker, True, ttl)
        return existed

    async def put_call_member(self, room_id: str, member: CallMember) -> None:
        members = self._calls.get(room_id) or {}
        members[member.peer_id] = member
        self._calls.put(room_id, members, self.ttls.visit)

    async def remove_call_member(self, room_id: str, peer_id: str) -> None:
        members = self._calls.get(room_id)
        if members is not None:
            members.pop(peer_id, None)

    async def call_members(self, room_id: str) -> list[CallMember]:
        members = self._calls.get(room_id) or {}
        return [members[peer] for peer in sorted(members)]

    async def put_instance(self, instance_id: str, stats: dict[str, object], ttl: int) -> None:
        self._instances.put(instance_id, {**stats, "instance_id": instance_id}, ttl)

    async def instances(self) -> list[dict[str, object]]:
        return sorted(self._instances.live_values(), key=lambda s: str(s["instance_id"]))

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._visits.items.clear()
        self._sessions.items.clear()
