"""The embedded presence store: one process, no dependencies (the `make run` default).

The same parts as the Redis store (lobby/adapters/presence/redis/), one per aggregate."""

from __future__ import annotations

from lobby.adapters.presence.memory.liveness import MemoryLiveness
from lobby.adapters.presence.memory.notices import MemoryNotices
from lobby.adapters.presence.memory.visits import MemoryVisits
from lobby.adapters.presence.store import SessionRecord
from lobby.domain.model import Visit


class MemoryPresenceStore(MemoryVisits, MemoryLiveness, MemoryNotices):
    """Implements `PresenceStore` with dicts; atomic because no method awaits mid-change."""

    async def restore(self, visits: list[Visit], sessions: dict[str, SessionRecord]) -> int:
        restored = 0
        for visit in visits:
            restored += (await self.save(visit, 0)).saved
        for session_id, record in sessions.items():
            if self._sessions.get(session_id) is None:
                await self.put_session(session_id, record)
        return restored

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._closed.set()
        self._visits.items.clear()
        self._sessions.items.clear()
