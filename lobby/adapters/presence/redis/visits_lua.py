"""The Lua of the visits: compare-and-set with its index entries, room snapshots."""

from __future__ import annotations

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
--       (id -> "version changed_at"), 18 the channel of change records, 19 this store's
--       origin (the instance saving).
-- The session is stored whether or not the save wins. Returns {0, current hash} when the
-- version does not match; else {1, sequence} or, with the snapshot flag,
-- {1, sequence, snapshot}. A win publishes the change record: origin, sequence, fields.
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
redis.call('PUBLISH', ARGV[18],
  '{"origin":' .. cjson.encode(ARGV[19]) .. ',"sequence":' .. sequence ..
  ',"visit":' .. ARGV[13] .. '}')
if ARGV[12] == '1' then
  return {
    1, sequence,
    snapshot(KEYS[2], KEYS[5], ARGV[11], cjson.decode(ARGV[14]), cjson.decode(ARGV[17]))
  }
end
return {1, sequence}
"""
)
"""Compare-and-set of one visit plus its index entries, atomically; on success it also
publishes the change record and can read the room, so a transition is one round trip.
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
