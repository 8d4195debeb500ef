"""Sessions and each visit's device, in one process."""

from __future__ import annotations

import dataclasses

from lobby.adapters.presence.memory.state import MemoryState
from lobby.adapters.presence.store import (
    SessionRecord,
)
from lobby.domain.model import Visit


class MemorySessions(MemoryState):
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
