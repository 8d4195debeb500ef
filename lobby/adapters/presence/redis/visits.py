"""Visits and their indexes: one compare-and-set script per transition, change records."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from lobby.adapters.presence.redis.base import RedisBase
from lobby.adapters.presence.redis.codec import (
    _decode_mapping,
    _decode_pairs,
    _flag,
    _num,
    _session_json,
    _session_ttl,
    _text,
    decode_change,
    decode_visit,
    encode_visit,
)
from lobby.adapters.presence.redis.keys import (
    call_key,
    device_key,
    room_live_key,
    room_sequence_key,
    session_key,
    visit_key,
)
from lobby.adapters.presence.redis.snapshots import (
    _DecodedVisits,
    _marks,
    _SeenRooms,
    _snapshot,
)
from lobby.adapters.presence.redis.visits_lua import (
    CHANGED_SCRIPT,
    RECONNECTING_SCRIPT,
    ROOM_SCRIPT,
    SAVE_SCRIPT,
)
from lobby.adapters.presence.store import (
    RoomQuery,
    RoomSnapshot,
    SaveResult,
    SessionRecord,
    VisitSaved,
)
from lobby.adapters.subscription import channel_of, resubscribing
from lobby.domain.model import Visit

log = logging.getLogger("venterom.presence")


class RedisVisits(RedisBase):
    """Visits, rooms' live sets, the reconnecting index and change records."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoded = _DecodedVisits()
        self._seen = _SeenRooms()

    async def get(self, visit_id: str) -> Visit | None:
        raw = await self._line.execute("HGETALL", visit_key(self.prefix, visit_id))
        if not raw:
            return None
        return decode_visit(_decode_pairs(raw))

    async def save(
        self,
        visit: Visit,
        expected_version: int,
        *,
        room: RoomQuery | None = None,
        session: tuple[str, SessionRecord] | None = None,
    ) -> SaveResult:
        keys = self._save_keys(visit)
        session_json, session_ttl = "", 0
        if session is not None and (session_ttl := _session_ttl(session[1])) > 0:
            keys.append(session_key(self.prefix, session[0]))
            session_json = _session_json(session[1])
        seen = self._seen.of(visit.room_id) if room is not None else {}
        args = [
            *self._save_args(visit, expected_version, room),
            session_json,
            session_ttl,
            _marks(seen),
            self.changes_channel,
            self.origin,
        ]
        reply = await self._line.run_script(self._script(SAVE_SCRIPT), keys, args)
        if not int(reply[0]):
            current = _decode_pairs(reply[1])
            return SaveResult(False, decode_visit(current) if current else None)
        sequence = int(reply[1])
        if room is None:
            return SaveResult(True, sequence=sequence)
        snapshot = _snapshot(room.room_id, sequence, reply[2], self._decoded, seen, self._seen)
        return SaveResult(True, room=snapshot, sequence=sequence)

    def _save_keys(self, visit: Visit) -> list[str]:
        """KEYS 1-7 of `SAVE_SCRIPT` (the eighth, a session's, is added when there is one)."""
        return [
            visit_key(self.prefix, visit.visit_id),
            room_live_key(self.prefix, visit.room_id),
            self._reconnecting_key,
            self._heartbeats_key,
            call_key(self.prefix, visit.room_id),
            room_sequence_key(self.prefix, visit.room_id),
            device_key(self.prefix, visit.visit_id),
        ]

    def _save_args(self, visit: Visit, expected_version: int, room: RoomQuery | None) -> list[Any]:
        """ARGV 1-14 of `SAVE_SCRIPT`: the visit, its indexes and what to read back."""
        fields = [item for kv in encode_visit(visit).items() for item in kv]
        return [
            expected_version,
            self.ttls.ended if visit.ended else self.ttls.visit,
            _flag(visit.live),
            _num(visit.waiting_since or 0.0),
            _flag(visit.reconnecting and visit.reconnecting_since is not None),
            _num(visit.reconnecting_since or 0.0),
            _flag(visit.ended),
            visit.visit_id,
            self.ttls.visit,
            self.ttls.heartbeat_index,
            visit_key(self.prefix, ""),
            _flag(room is not None),
            json.dumps(fields, ensure_ascii=False),
            json.dumps(room.visit_ids if room is not None else ()),
        ]

    async def room_snapshot(self, query: RoomQuery) -> RoomSnapshot:
        seen = self._seen.of(query.room_id)
        sequence, raw = await self._line.run_script(
            self._script(ROOM_SCRIPT),
            [
                room_live_key(self.prefix, query.room_id),
                call_key(self.prefix, query.room_id),
                room_sequence_key(self.prefix, query.room_id),
            ],
            [visit_key(self.prefix, ""), json.dumps(query.visit_ids), _marks(seen)],
        )
        return _snapshot(query.room_id, int(sequence), raw, self._decoded, seen, self._seen)

    async def room_visits(self, room_id: str) -> list[Visit]:
        return (await self.room_snapshot(RoomQuery(room_id))).visits

    async def changes(self) -> AsyncIterator[VisitSaved]:
        own = '{"origin":' + json.dumps(self.origin) + ","
        subscribe = channel_of(self.client, self.changes_channel, self._pipelined)
        async for message in resubscribing(subscribe, self.changes_channel):
            if message.startswith(own):  # this instance's own: it heard them as it saved
                continue
            try:
                saved = decode_change(message)
            except (ValueError, KeyError, TypeError):  # not a record (another version's?)
                log.warning("undecodable change record skipped", extra={"bytes": len(message)})
                continue
            yield saved

    async def get_many(self, visit_ids: list[str]) -> dict[str, Visit]:
        if not visit_ids:
            return {}
        async with self.client.pipeline(transaction=False) as pipe:
            for visit_id in visit_ids:
                pipe.hgetall(visit_key(self.prefix, visit_id))
            rows = await pipe.execute()
        return {
            visit_id: decode_visit(_decode_mapping(raw))
            for visit_id, raw in zip(visit_ids, rows, strict=True)
            if raw
        }

    async def changed(self, known: Sequence[Visit]) -> dict[str, Visit | None]:
        if not known:
            return {}
        pairs = json.dumps([[v.visit_id, str(v.version)] for v in known])
        reply = await self._line.run_script(
            self._script(CHANGED_SCRIPT), [], [visit_key(self.prefix, ""), pairs]
        )
        differing: dict[str, Visit | None] = {}
        for visit_id, row in zip(reply[::2], reply[1::2], strict=True):
            differing[_text(visit_id)] = self._decoded.row(row) if row else None
        return differing

    async def reconnecting_since_before(self, cutoff: float) -> list[str]:
        ids = await self._script(RECONNECTING_SCRIPT)(
            keys=[self._reconnecting_key], args=[f"({_num(cutoff)}", visit_key(self.prefix, "")]
        )
        return [_text(i) for i in ids]
