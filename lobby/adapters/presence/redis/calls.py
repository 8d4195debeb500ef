"""Clinicians taking part in a room's call: one hash per room."""

from __future__ import annotations

import json
from collections.abc import Mapping

from lobby.adapters.presence.redis.base import RedisBase
from lobby.adapters.presence.redis.codec import (
    _decode_mapping,
)
from lobby.adapters.presence.redis.keys import (
    call_key,
)
from lobby.adapters.presence.store import (
    CallMember,
)


def _call_members(raw: Mapping[str, str]) -> list[CallMember]:
    members = []
    for peer_id, payload in sorted(raw.items()):
        data = json.loads(payload)
        members.append(
            CallMember(
                peer_id=peer_id,
                name=str(data["name"]),
                seen_at=float(data["seen_at"]),
                reconnecting=bool(data["reconnecting"]),
            )
        )
    return members


class RedisCalls(RedisBase):
    """Call members, as `PresenceStore` reads and writes them."""

    async def put_call_member(self, room_id: str, member: CallMember) -> None:
        key = call_key(self.prefix, room_id)
        payload = json.dumps(
            {"name": member.name, "seen_at": member.seen_at, "reconnecting": member.reconnecting}
        )
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, member.peer_id, payload)
            pipe.expire(key, self.ttls.visit)
            await pipe.execute()

    async def remove_call_member(self, room_id: str, peer_id: str) -> None:
        await self.client.hdel(call_key(self.prefix, room_id), peer_id)

    async def call_members(self, room_id: str) -> list[CallMember]:
        return _call_members(
            _decode_mapping(await self.client.hgetall(call_key(self.prefix, room_id)))
        )
