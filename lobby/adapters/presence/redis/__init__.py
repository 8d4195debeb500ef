"""The shared presence store: soft state in Redis so that several instances see one lobby.

One part per aggregate, each with its Lua and codec beside it: visits (and rooms' live sets,
change records), sessions and devices, liveness (heartbeats, instances), notices, calls. The
key layout: lobby/adapters/presence/redis/keys.py.
"""

from __future__ import annotations

import math
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from lobby.adapters.presence.redis.calls import RedisCalls
from lobby.adapters.presence.redis.codec import _session_json
from lobby.adapters.presence.redis.keys import (
    DEFAULT_PREFIX,
    MAX_CONNECTIONS,
    POOL_WAIT,
    session_key,
)
from lobby.adapters.presence.redis.liveness import RedisLiveness
from lobby.adapters.presence.redis.notices import RedisNotices
from lobby.adapters.presence.redis.sessions import RedisSessions
from lobby.adapters.presence.redis.visits import RedisVisits
from lobby.adapters.presence.store import SessionRecord
from lobby.adapters.presence.ttl import Ttls
from lobby.domain.model import Visit


class RedisPresenceStore(RedisVisits, RedisSessions, RedisLiveness, RedisNotices, RedisCalls):
    """Implements `PresenceStore` on Redis; safe to share between instances. The hot
    commands go over a pipelined connection of the store's own (lobby/adapters/resp.py) unless
    `pipelined` is off, the rest through redis-py asyncio."""

    @classmethod
    def from_url(
        cls,
        url: str,
        ttls: Ttls | None = None,
        prefix: str = DEFAULT_PREFIX,
        pipelined: bool = True,
        origin: str | None = None,
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
        return cls(aioredis.Redis.from_pool(pool), ttls, prefix, pipelined, origin)

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

    async def ping(self) -> bool:
        """Readiness: whether Redis answers; never raises."""
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._line.close()
        await self.client.aclose()
