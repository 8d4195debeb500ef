"""Call members, in one process."""

from __future__ import annotations

from lobby.adapters.presence.memory.state import MemoryState
from lobby.adapters.presence.store import (
    CallMember,
)


class MemoryCalls(MemoryState):
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
