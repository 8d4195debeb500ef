"""Sessions (under a hash of the cookie's value) and each visit's device."""

from __future__ import annotations

from lobby.adapters.presence.redis.base import RedisBase
from lobby.adapters.presence.redis.codec import (
    _decode_pairs,
    _decode_session,
    _session_json,
    _session_ttl,
    decode_visit,
)
from lobby.adapters.presence.redis.keys import (
    device_key,
    session_key,
    visit_key,
)
from lobby.adapters.presence.store import (
    SessionRecord,
)
from lobby.domain.model import Visit

SESSION_VISIT_SCRIPT = """
-- KEYS: 1 session key. ARGV: 1 visit key prefix.
-- Returns {} without a session, else {session JSON, flat hash of its subject's visit}.
local session = redis.call('GET', KEYS[1])
if not session then
  return {}
end
return {session, redis.call('HGETALL', ARGV[1] .. cjson.decode(session)['subject'])}
"""
"""A guest's session and their visit in one round trip (a clinician's has no visit)."""


TAKE_DEVICE_SCRIPT = """
-- KEYS: 1 the visit's device key. ARGV: 1 the new session's key, 2 ttl (of both), 3 how long an
-- ended session is kept (for every instance's sweep to see that it ended).
-- Returns 1 when another device's session was ended, else 0.
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if redis.call('TTL', ARGV[1]) > tonumber(ARGV[2]) then
  redis.call('EXPIRE', ARGV[1], ARGV[2])  -- an ended visit's: no longer than its tombstone
end
if not previous or previous == ARGV[1] then
  return 0
end
local raw = redis.call('GET', previous)
if not raw then
  return 0
end
local record = cjson.decode(raw)
if record['ended'] then
  return 0
end
record['ended'] = true
local left = redis.call('TTL', previous)
redis.call('SET', previous, cjson.encode(record), 'EX', math.min(left, tonumber(ARGV[3])))
return 1
"""
"""One device per invitation: the visit points at its newest session's key (a hash, never
the cookie's value), and the session it pointed at before is ended, in one step."""


class RedisSessions(RedisBase):
    """Sessions and devices, as `PresenceStore` reads and writes them."""

    async def put_session(self, session_id: str, record: SessionRecord) -> None:
        key = session_key(self.prefix, session_id)
        ttl = _session_ttl(record)
        if ttl <= 0:
            await self.client.delete(key)
            return
        await self.client.set(key, _session_json(record), ex=ttl)

    async def get_session(self, session_id: str) -> SessionRecord | None:
        raw = await self._line.execute("GET", session_key(self.prefix, session_id))
        return None if raw is None else _decode_session(raw)

    async def session_and_visit(self, session_id: str) -> tuple[SessionRecord | None, Visit | None]:
        reply = await self._line.run_script(
            self._script(SESSION_VISIT_SCRIPT),
            [session_key(self.prefix, session_id)],
            [visit_key(self.prefix, "")],
        )
        if not reply:
            return None, None
        record = _decode_session(reply[0])
        fields = _decode_pairs(reply[1])
        return record, decode_visit(fields) if record is not None and fields else None

    async def delete_session(self, session_id: str) -> None:
        await self.client.delete(session_key(self.prefix, session_id))

    async def take_device(self, visit: Visit, session_id: str, ttl: int) -> bool:
        if visit.ended:
            ttl = min(ttl, self.ttls.ended)
        ended = await self._line.run_script(
            self._script(TAKE_DEVICE_SCRIPT),
            [device_key(self.prefix, visit.visit_id)],
            [session_key(self.prefix, session_id), max(1, ttl), self.ttls.ended],
        )
        return bool(ended)

    async def sessions(self, session_ids: list[str]) -> dict[str, SessionRecord]:
        if not session_ids:
            return {}
        keys = [session_key(self.prefix, sid) for sid in session_ids]
        raws = await self._line.execute("MGET", *keys)
        found = {
            sid: _decode_session(raw) for sid, raw in zip(session_ids, raws, strict=True) if raw
        }
        return {sid: record for sid, record in found.items() if record is not None}
