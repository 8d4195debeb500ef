"""The shared presence store: soft state in Redis so that several instances see one lobby.

Every key carries a TTL. Multi-key changes (a visit and the sets that index it) happen in
one Lua script, so a compare-and-set on `Visit.version` and the index updates are atomic
and cost one round trip.

Key layout (all under the prefix, default ``venterom:``):

=========================  ======  ===================================  ====================
key                        type    content                              TTL
=========================  ======  ===================================  ====================
``visit:{visit_id}``       hash    the serialized `Visit`               visit / ended
``room:{room_id}:live``    zset    live visit ids, score waiting_since  visit (refreshed)
``room:{room_id}:seq``     string  count of saves, orders snapshots     visit (refreshed)
``reconnecting``           zset    visit ids, score reconnecting_since  visit (refreshed)
``heartbeats``             zset    visit ids, score last heartbeat      heartbeat_index
``session:{sha256(id)}``   string  JSON `SessionRecord` (no names)      until expires_at
``device:{visit_id}``      string  key of the visit's guest session     guest session
``notice:{room_id}``       string  JSON `Notice` (fixed code)           notice
``call:{room_id}``         hash    clinician peer id -> JSON CallMember  visit (refreshed)
``instance:{id}``          string  JSON counts of one instance (no names) 3 heartbeats
``marker:{name}``          string  "1": the store kept its data         3 heartbeats
``instances``              zset    instance ids, score last report       3 heartbeats
=========================  ======  ===================================  ====================
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from lobby.adapters.presence.store import (
    Announcement,
    CallMember,
    Notice,
    RoomQuery,
    RoomSnapshot,
    SaveResult,
    SessionKind,
    SessionRecord,
)
from lobby.adapters.presence.ttl import Ttls
from lobby.adapters.resp import Line, RedisPyLine, RespConnection
from lobby.domain.model import Visit, VisitState

DEFAULT_PREFIX = "venterom:"
MAX_CONNECTIONS = 64
POOL_WAIT = 10.0
"""Seconds a command may wait for a free connection before it fails."""
HEARTBEATS = "heartbeats"
RECONNECTING = "reconnecting"
INSTANCES = "instances"


def visit_key(prefix: str, visit_id: str) -> str:
    """The hash holding one visit."""
    return f"{prefix}visit:{visit_id}"


def room_live_key(prefix: str, room_id: str) -> str:
    """The sorted set of a room's live visit ids, scored by waiting_since (arrival order)."""
    return f"{prefix}room:{room_id}:live"


def session_key(prefix: str, session_id: str) -> str:
    """The JSON `SessionRecord` behind a session cookie, under a hash of the cookie's value:
    whoever can read Redis learns no session id that would work."""
    return f"{prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()[:40]}"


def device_key(prefix: str, visit_id: str) -> str:
    """The key of the visit's current guest session: the device its link was opened on last."""
    return f"{prefix}device:{visit_id}"


def room_sequence_key(prefix: str, room_id: str) -> str:
    """A counter bumped by every save in the room, to order snapshots of it."""
    return f"{prefix}room:{room_id}:seq"


def call_key(prefix: str, room_id: str) -> str:
    """The hash of clinicians taking part in a room's call."""
    return f"{prefix}call:{room_id}"


def notice_key(prefix: str, room_id: str) -> str:
    """The JSON `Notice` last sent to a room's waiting guests."""
    return f"{prefix}notice:{room_id}"


_SNAPSHOT_LUA = """
-- A room's live visits in score order, pruning ids whose hash expired: for each, the flat
-- HGETALL, or just its id when `known` (id -> "version changed_at", what the caller last
-- read) still matches. Then the call hash, and id/state pairs of the visits named in `ids`
-- that exist and are not live.
local function snapshot(live_key, call_key, visit_prefix, ids, known)
  local rows = {}
  for _, id in ipairs(redis.call('ZRANGE', live_key, 0, -1)) do
    local key = visit_prefix .. id
    local mark = known[id]
    local unchanged = false
    if mark then
      local seen = redis.call('HMGET', key, 'version', 'changed_at')
      unchanged = seen[1] and seen[2] and (seen[1] .. ' ' .. seen[2]) == mark
    end
    if unchanged then
      rows[#rows + 1] = id
    else
      local fields = redis.call('HGETALL', key)
      if #fields == 0 then
        redis.call('ZREM', live_key, id)
      else
        rows[#rows + 1] = fields
      end
    end
  end
  local states = {}
  for _, id in ipairs(ids) do
    if not redis.call('ZSCORE', live_key, id) then
      local state = redis.call('HGET', visit_prefix .. id, 'state')
      if state then
        states[#states + 1] = id
        states[#states + 1] = state
      end
    end
  end
  return {rows, redis.call('HGETALL', call_key), states}
end
"""

SAVE_SCRIPT = (
    _SNAPSHOT_LUA
    + """
-- KEYS: 1 visit hash, 2 room live set, 3 reconnecting set, 4 heartbeats set, 5 call hash,
--       6 room sequence counter, 7 the visit's device key, 8 (only with a session) session key
-- ARGV: 1 expected version, 2 visit ttl, 3 live flag, 4 live score, 5 reconnecting flag,
--       6 reconnecting score, 7 ended flag, 8 visit id, 9 index ttl, 10 heartbeat ttl,
--       11 visit key prefix, 12 snapshot flag, 13 JSON list of the visit's field/value
--       items, 14 JSON list of other visits' ids for the snapshot, 15 session JSON ('' for
--       none), 16 session ttl, 17 JSON object of the room's visits the caller knows
--       (id -> "version changed_at"), then channel/message pairs to publish.
-- The session is stored whether or not the save wins. Returns {0, current hash} when the
-- version does not match; else {1} or, with the snapshot flag, {1, sequence, snapshot}.
if ARGV[15] ~= '' then
  redis.call('SET', KEYS[8], ARGV[15], 'EX', ARGV[16])
end
local current = redis.call('HGET', KEYS[1], 'version')
if not current then current = '0' end
if tonumber(current) ~= tonumber(ARGV[1]) then
  return {0, redis.call('HGETALL', KEYS[1])}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[13])))
redis.call('EXPIRE', KEYS[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[8])
else
  redis.call('ZREM', KEYS[2], ARGV[8])
end
redis.call('EXPIRE', KEYS[2], ARGV[9])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[8])
else
  redis.call('ZREM', KEYS[3], ARGV[8])
end
redis.call('EXPIRE', KEYS[3], ARGV[9])
if ARGV[7] == '1' then
  redis.call('ZREM', KEYS[4], ARGV[8])
  redis.call('EXPIRE', KEYS[4], ARGV[10])
  -- The guest's session, and the pointer to it, go with the visit.
  local device = redis.call('GET', KEYS[7])
  if device and redis.call('TTL', device) > tonumber(ARGV[2]) then
    redis.call('EXPIRE', device, ARGV[2])
  end
  if redis.call('TTL', KEYS[7]) > tonumber(ARGV[2]) then
    redis.call('EXPIRE', KEYS[7], ARGV[2])
  end
end
local sequence = redis.call('INCR', KEYS[6])
redis.call('EXPIRE', KEYS[6], ARGV[9])
for i = 18, #ARGV, 2 do
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
if ARGV[12] == '1' then
  return {
    1, sequence,
    snapshot(KEYS[2], KEYS[5], ARGV[11], cjson.decode(ARGV[14]), cjson.decode(ARGV[17]))
  }
end
return {1}
"""
)
"""Compare-and-set of one visit plus its index entries, atomically; on success it also
publishes the given messages and can read the room, so a transition is one round trip.
The visit's fields travel as one JSON argument: when redis-py packed each argument in
Python, some forty small ones cost more than the script."""

ROOM_SCRIPT = (
    _SNAPSHOT_LUA
    + """
-- KEYS: 1 room live set, 2 call hash, 3 room sequence counter.
-- ARGV: 1 visit key prefix, 2 JSON list of the ids of other visits to report, 3 JSON
--       object of the room's visits the caller knows (id -> "version changed_at").
local sequence = tonumber(redis.call('GET', KEYS[3]) or '0')
return {
  sequence,
  snapshot(KEYS[1], KEYS[2], ARGV[1], cjson.decode(ARGV[2]), cjson.decode(ARGV[3]))
}
"""
)
"""A consistent snapshot of a room in one round trip."""

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

HEARTBEAT_SCRIPT = """
-- KEYS: 1 heartbeats set. ARGV: 1 score (now), 2 JSON list of visit ids, 3 ttl.
local ids = cjson.decode(ARGV[2])
for first = 1, #ids, 1000 do
  local items = {}
  for i = first, math.min(first + 999, #ids) do
    items[#items + 1] = ARGV[1]
    items[#items + 1] = ids[i]
  end
  redis.call('ZADD', KEYS[1], unpack(items))
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return #ids
"""
"""Every held visit's heartbeat in one argument: as a ZADD, 10,000 guests were 20,000
arguments, which redis-py packed in Python for 60 ms while the server's loop waited."""

CHANGED_SCRIPT = """
-- ARGV: 1 visit key prefix, 2 JSON list of [visit id, version] pairs.
-- Returns id, hash pairs for the visits whose stored version differs (an empty hash: gone).
local out = {}
for _, known in ipairs(cjson.decode(ARGV[2])) do
  local key = ARGV[1] .. known[1]
  local version = redis.call('HGET', key, 'version')
  if version ~= known[2] then
    out[#out + 1] = known[1]
    out[#out + 1] = version and redis.call('HGETALL', key) or {}
  end
end
return out
"""
"""What changed among visits an instance holds copies of; unchanged ones cost nothing to
decode (the keeper checks a twelfth of 10,000 every 5 s: reading them all took 75 ms)."""

KEPT_SCRIPT = """
-- KEYS: 1 marker. ARGV: 1 ttl. Returns whether the marker existed; renews it.
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return existed
"""
"""Tells an instance whether Redis lost its data since the last heartbeat."""

RECONNECTING_SCRIPT = """
-- KEYS: 1 reconnecting set. ARGV: 1 exclusive max score, 2 visit key prefix.
-- Returns ids below the cutoff whose visit still exists; prunes the others.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 then
    out[#out + 1] = id
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""
"""Visits whose reconnect grace period is over, skipping visits that already expired."""


def _num(value: float) -> str:
    """A float as text that parses back to the identical float (Redis reads it too)."""
    return repr(float(value))


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _text(value: object) -> str:
    """Decode what redis-py returns, with or without ``decode_responses``."""
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _encode_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return _flag(value)
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return str(value)


def _decoder(hint: Any) -> Callable[[str], Any]:
    """How to read back one field, from its type hint; unknown types fail at import."""
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        if inner is str:
            raise TypeError("str | None cannot be told apart from an empty string")
        read = _decoder(inner)
        return lambda text: None if text == "" else read(text)
    if hint is bool:
        return lambda text: text == "1"
    if hint in (str, int, float):
        return cast("Callable[[str], Any]", hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if typing.get_origin(hint) is tuple:
        return lambda text: tuple(str(item) for item in json.loads(text))
    raise TypeError(f"no Redis encoding for {hint!r}")


_VISIT_FIELDS: dict[str, Callable[[str], Any]] = {
    name: _decoder(hint) for name, hint in typing.get_type_hints(Visit).items()
}
"""Every `Visit` field and how to decode it; a new field is stored without changes here."""


def encode_visit(visit: Visit) -> dict[str, str]:
    """The hash fields of a visit: enums by value, tuples as JSON, floats by repr, None as ''."""
    return {name: _encode_value(getattr(visit, name)) for name in _VISIT_FIELDS}


def decode_visit(fields: Mapping[str, str]) -> Visit:
    """The inverse of `encode_visit`; a field written before it existed keeps its default."""
    return Visit(
        **{name: read(fields[name]) for name, read in _VISIT_FIELDS.items() if name in fields}
    )


def _decode_mapping(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in raw.items()}


def _decode_pairs(flat: Sequence[Any]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}


def _session_json(record: SessionRecord) -> str:
    return json.dumps(
        {
            "kind": record.kind,
            "subject": record.subject,
            "room_id": record.room_id,
            "expires_at": record.expires_at,
            "issued_at": record.issued_at,
            "seen_at": record.seen_at,
            "ended": record.ended,
        }
    )


def _session_ttl(record: SessionRecord) -> int:
    """Whole seconds for the key (rounded up; 0: already expired)."""
    remaining = record.expires_at - time.time()
    return max(1, math.ceil(remaining)) if remaining > 0 else 0


def _decode_session(raw: object) -> SessionRecord | None:
    data = json.loads(_text(raw))
    kind: SessionKind = "clinician" if data["kind"] == "clinician" else "guest"
    record = SessionRecord(
        kind=kind,
        subject=str(data["subject"]),
        room_id=str(data["room_id"]),
        expires_at=float(data["expires_at"]),
        issued_at=float(data.get("issued_at", 0.0)),
        seen_at=float(data.get("seen_at", 0.0)),
        ended=bool(data.get("ended", False)),
    )
    # The key's TTL is rounded up to whole seconds; the record's own time is exact.
    return record if record.expires_at > time.time() else None


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


class _DecodedVisits:
    """The last decoded copy of each visit: a room snapshot holds every live visit of the
    room, and most have not changed since the last one. (version, changed_at) names one
    content: every change bumps the version and stamps the time."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._visits: dict[str, tuple[str, Visit]] = {}
        """visit id -> its mark (see `_mark`) and the visit."""

    def row(self, flat: Sequence[Any]) -> Visit:
        """A visit from a script's reply (HGETALL's field, value, field, value...): an
        unchanged one without building its fields (half of a snapshot's decoding)."""
        return self.marked(flat)[1]

    def marked(self, flat: Sequence[Any]) -> tuple[str, Visit]:
        """`row`, with the visit's mark."""
        fields: Mapping[str, str] | None = None
        names = flat[0::2]
        try:
            visit_id = flat[2 * names.index("visit_id") + 1]
            version = flat[2 * names.index("version") + 1]
            changed_at = flat[2 * names.index("changed_at") + 1]
        except ValueError:  # bytes (a client without decode_responses), or an old visit
            fields = _decode_pairs(flat)
            visit_id = fields.get("visit_id", "")
            version, changed_at = fields.get("version"), fields.get("changed_at")
        known = self._visits.get(visit_id)
        if known is not None and version is not None and known[0] == _mark(version, changed_at):
            return known
        return self._decode(_decode_pairs(flat) if fields is None else fields)

    def _decode(self, fields: Mapping[str, str]) -> tuple[str, Visit]:
        visit = decode_visit(fields)
        if visit.visit_id not in self._visits and len(self._visits) >= self._limit:
            del self._visits[next(iter(self._visits))]
        entry = self._visits[visit.visit_id] = (
            _mark(visit.version, _num(visit.changed_at)),
            visit,
        )
        return entry


def _mark(version: object, changed_at: object) -> str:
    """A visit's stored version and changed_at as one text (see `_DecodedVisits`); the
    snapshot script builds the same text from the hash."""
    return f"{version} {changed_at}"


Seen = dict[str, tuple[str, Visit]]
"""A room's live visits as this store last read them: id -> (its mark, the visit)."""


def _marks(seen: Seen) -> str:
    """What a snapshot script is told the caller knows: id -> mark, as JSON."""
    return json.dumps({visit_id: mark for visit_id, (mark, _) in seen.items()})


class _SeenRooms:
    """The live visits of each room as of this store's last snapshot of it. A snapshot
    names them to the script, which sends back only the id of each one unchanged since: a
    lobby of fifty is then fifty short ids, not fifty hashes to send and parse, on every
    transition in that room."""

    def __init__(self) -> None:
        self._rooms: dict[str, Seen] = {}

    def of(self, room_id: str) -> Seen:
        return self._rooms.get(room_id, {})

    def remember(self, room_id: str, live: list[tuple[str, Visit]]) -> None:
        if live:
            self._rooms[room_id] = {visit.visit_id: (mark, visit) for mark, visit in live}
        else:
            self._rooms.pop(room_id, None)


def _snapshot(
    room_id: str,
    sequence: int,
    raw: Sequence[Any],
    decoded: _DecodedVisits,
    seen: Seen,
    rooms: _SeenRooms,
) -> RoomSnapshot:
    """Decode the snapshot part of a script's reply; `seen` is what the call named as known."""
    rows, call, states = raw
    read = [seen[row] if isinstance(row, str) else decoded.marked(row) for row in rows]
    live = sorted(
        (entry for entry in read if entry[1].room_id == room_id and entry[1].live),
        key=lambda entry: (entry[1].waiting_since or 0.0, entry[1].visit_id),
    )
    rooms.remember(room_id, live)
    return RoomSnapshot(
        room_id,
        [visit for _, visit in live],
        _call_members(_decode_pairs(call)),
        {visit_id: VisitState(state) for visit_id, state in _decode_pairs(states).items()},
        sequence,
    )


class RedisPresenceStore:
    """Implements `PresenceStore` on Redis; safe to share between instances. The hot
    commands go over a pipelined connection of the store's own (lobby/adapters/resp.py) unless
    `pipelined` is off, the rest through redis-py asyncio."""

    def __init__(
        self,
        client: aioredis.Redis,
        ttls: Ttls | None = None,
        prefix: str = DEFAULT_PREFIX,
        pipelined: bool = True,
    ) -> None:
        self.client = client
        self.ttls = ttls or Ttls()
        self.prefix = prefix
        self._save = client.register_script(SAVE_SCRIPT)
        self._room = client.register_script(ROOM_SCRIPT)
        self._reconnecting = client.register_script(RECONNECTING_SCRIPT)
        self._kept = client.register_script(KEPT_SCRIPT)
        self._session_visit = client.register_script(SESSION_VISIT_SCRIPT)
        self._take_device = client.register_script(TAKE_DEVICE_SCRIPT)
        self._heartbeat = client.register_script(HEARTBEAT_SCRIPT)
        self._changed = client.register_script(CHANGED_SCRIPT)
        self._line: Line = (
            RespConnection.of(client.connection_pool) if pipelined else RedisPyLine(client)
        )
        self._decoded = _DecodedVisits()
        self._seen = _SeenRooms()

    @classmethod
    def from_url(
        cls,
        url: str,
        ttls: Ttls | None = None,
        prefix: str = DEFAULT_PREFIX,
        pipelined: bool = True,
    ) -> RedisPresenceStore:
        """A store with its own client; connects lazily on first use. `pipelined=False`:
        the hot commands too go through redis-py (`VENTEROM_UPSTREAM=resp`).

        The pool is bounded: in a join storm, commands queue for one of `MAX_CONNECTIONS`
        connections instead of opening thousands (and running out of file descriptors)."""
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT,
            decode_responses=True,
            socket_connect_timeout=5,
            socket_timeout=5,
        )
        return cls(aioredis.Redis.from_pool(pool), ttls, prefix, pipelined)

    @property
    def _heartbeats_key(self) -> str:
        return self.prefix + HEARTBEATS

    @property
    def _reconnecting_key(self) -> str:
        return self.prefix + RECONNECTING

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
        announce: Sequence[Announcement] = (),
        session: tuple[str, SessionRecord] | None = None,
    ) -> SaveResult:
        ended = visit.ended
        in_reconnecting = visit.reconnecting and visit.reconnecting_since is not None
        fields = [item for kv in encode_visit(visit).items() for item in kv]
        keys = [
            visit_key(self.prefix, visit.visit_id),
            room_live_key(self.prefix, visit.room_id),
            self._reconnecting_key,
            self._heartbeats_key,
            call_key(self.prefix, visit.room_id),
            room_sequence_key(self.prefix, visit.room_id),
            device_key(self.prefix, visit.visit_id),
        ]
        session_json, session_ttl = "", 0
        if session is not None and (session_ttl := _session_ttl(session[1])) > 0:
            keys.append(session_key(self.prefix, session[0]))
            session_json = _session_json(session[1])
        seen = self._seen.of(visit.room_id) if room is not None else {}
        reply = await self._line.run_script(
            self._save,
            keys,
            [
                expected_version,
                self.ttls.ended if ended else self.ttls.visit,
                _flag(visit.live),
                _num(visit.waiting_since or 0.0),
                _flag(in_reconnecting),
                _num(visit.reconnecting_since or 0.0),
                _flag(ended),
                visit.visit_id,
                self.ttls.visit,
                self.ttls.heartbeat_index,
                visit_key(self.prefix, ""),
                _flag(room is not None),
                json.dumps(fields, ensure_ascii=False),
                json.dumps(room.visit_ids if room is not None else ()),
                session_json,
                session_ttl,
                _marks(seen),
                *(item for message in announce for item in message),
            ],
        )
        if not int(reply[0]):
            current = _decode_pairs(reply[1])
            return SaveResult(False, decode_visit(current) if current else None)
        if room is None:
            return SaveResult(True)
        snapshot = _snapshot(room.room_id, int(reply[1]), reply[2], self._decoded, seen, self._seen)
        return SaveResult(True, room=snapshot)

    async def room_snapshot(self, query: RoomQuery) -> RoomSnapshot:
        seen = self._seen.of(query.room_id)
        sequence, raw = await self._line.run_script(
            self._room,
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

    async def room_changed_since(self, room_id: str, sequence: int) -> bool:
        current = await self._line.execute("GET", room_sequence_key(self.prefix, room_id))
        return int(current or 0) > sequence

    async def heartbeat(self, visit_ids: list[str], now: float) -> None:
        if not visit_ids:
            return
        await self._line.run_script(
            self._heartbeat,
            [self._heartbeats_key],
            [_num(now), json.dumps(visit_ids), self.ttls.heartbeat_index],
        )

    async def stale(self, seen_before: float) -> list[str]:
        ids = await self.client.zrangebyscore(self._heartbeats_key, "-inf", f"({_num(seen_before)}")
        return [_text(i) for i in ids]

    async def forget_heartbeat(self, visit_id: str) -> None:
        await self.client.zrem(self._heartbeats_key, visit_id)

    async def reconnecting_since_before(self, cutoff: float) -> list[str]:
        ids = await self._reconnecting(
            keys=[self._reconnecting_key], args=[f"({_num(cutoff)}", visit_key(self.prefix, "")]
        )
        return [_text(i) for i in ids]

    async def put_session(self, session_id: str, record: SessionRecord) -> None:
        key = session_key(self.prefix, session_id)
        ttl = _session_ttl(record)
        if ttl <= 0:
            await self.client.delete(key)
            return
        await self.client.set(key, _session_json(record), ex=ttl)

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
        reply = await self._line.run_script(self._changed, [], [visit_key(self.prefix, ""), pairs])
        differing: dict[str, Visit | None] = {}
        for visit_id, row in zip(reply[::2], reply[1::2], strict=True):
            differing[_text(visit_id)] = self._decoded.row(row) if row else None
        return differing

    async def restore(self, visits: list[Visit], sessions: dict[str, SessionRecord]) -> int:
        restored = 0
        for visit in visits:
            restored += (await self.save(visit, 0)).saved
        now = time.time()
        async with self.client.pipeline(transaction=False) as pipe:
            for session_id, record in sessions.items():
                if record.expires_at > now:
                    ttl = max(1, math.ceil(record.expires_at - now))
                    pipe.set(
                        session_key(self.prefix, session_id), _session_json(record), ex=ttl, nx=True
                    )
            await pipe.execute()
        return restored

    async def get_session(self, session_id: str) -> SessionRecord | None:
        raw = await self._line.execute("GET", session_key(self.prefix, session_id))
        return None if raw is None else _decode_session(raw)

    async def session_and_visit(self, session_id: str) -> tuple[SessionRecord | None, Visit | None]:
        reply = await self._line.run_script(
            self._session_visit,
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
            self._take_device,
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

    async def set_notice(self, room_id: str, notice: Notice) -> None:
        payload = json.dumps(
            {"code": notice.code, "minutes": notice.minutes, "sent_at": notice.sent_at}
        )
        await self.client.set(notice_key(self.prefix, room_id), payload, ex=self.ttls.notice)

    async def get_notice(self, room_id: str) -> Notice | None:
        raw = await self.client.get(notice_key(self.prefix, room_id))
        if raw is None:
            return None
        data = json.loads(_text(raw))
        return Notice(
            code=str(data["code"]), minutes=int(data["minutes"]), sent_at=float(data["sent_at"])
        )

    async def kept(self, marker: str, ttl: int) -> bool:
        return bool(int(await self._kept(keys=[f"{self.prefix}marker:{marker}"], args=[ttl])))

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

    async def put_instance(self, instance_id: str, stats: dict[str, object], ttl: int) -> None:
        payload = json.dumps({**stats, "instance_id": instance_id})
        index = self.prefix + INSTANCES
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(f"{self.prefix}instance:{instance_id}", payload, ex=ttl)
            pipe.zadd(index, {instance_id: time.time()})
            pipe.zremrangebyscore(index, "-inf", time.time() - ttl)
            pipe.expire(index, ttl)
            await pipe.execute()

    async def instances(self) -> list[dict[str, object]]:
        ids = sorted(_text(i) for i in await self.client.zrange(self.prefix + INSTANCES, 0, -1))
        if not ids:
            return []
        rows = await self.client.mget([f"{self.prefix}instance:{i}" for i in ids])
        return [json.loads(_text(row)) for row in rows if row is not None]

    async def ping(self) -> bool:
        """Readiness: whether Redis answers; never raises."""
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._line.close()
        await self.client.aclose()
