"""Who is still there: guests' heartbeats, instances' counts, the kept-data marker."""

from __future__ import annotations

import json
import time

from lobby.adapters.presence.redis.base import RedisBase
from lobby.adapters.presence.redis.codec import (
    _num,
    _text,
)
from lobby.adapters.presence.redis.keys import (
    INSTANCES,
)

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


KEPT_SCRIPT = """
-- KEYS: 1 marker. ARGV: 1 ttl. Returns whether the marker existed; renews it.
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return existed
"""
"""Tells an instance whether Redis lost its data since the last heartbeat."""


class RedisLiveness(RedisBase):
    """Heartbeats, instances and markers."""

    async def heartbeat(self, visit_ids: list[str], now: float) -> None:
        if not visit_ids:
            return
        await self._line.run_script(
            self._script(HEARTBEAT_SCRIPT),
            [self._heartbeats_key],
            [_num(now), json.dumps(visit_ids), self.ttls.heartbeat_index],
        )

    async def stale(self, seen_before: float) -> list[str]:
        ids = await self.client.zrangebyscore(self._heartbeats_key, "-inf", f"({_num(seen_before)}")
        return [_text(i) for i in ids]

    async def forget_heartbeat(self, visit_id: str) -> None:
        await self.client.zrem(self._heartbeats_key, visit_id)

    async def kept(self, marker: str, ttl: int) -> bool:
        return bool(
            int(await self._script(KEPT_SCRIPT)(keys=[f"{self.prefix}marker:{marker}"], args=[ttl]))
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
