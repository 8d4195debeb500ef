"""Notices, in one process."""

from __future__ import annotations

from lobby.adapters.presence.memory.state import MemoryState
from lobby.adapters.presence.store import (
    Notice,
)


class MemoryNotices(MemoryState):
    async def set_notice(self, room_id: str, notice: Notice) -> None:
        self._notices.put(room_id, notice, self.ttls.notice)

    async def get_notice(self, room_id: str) -> Notice | None:
        return self._notices.get(room_id)
