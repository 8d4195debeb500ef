"""What every part of the Redis store shares: the client, its pipelined line, the scripts."""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from lobby.adapters.presence.redis.keys import CHANGES, DEFAULT_PREFIX, HEARTBEATS, RECONNECTING
from lobby.adapters.presence.ttl import Ttls
from lobby.adapters.resp import Line, RedisPyLine, RespConnection


class RedisBase:
    def __init__(
        self,
        client: aioredis.Redis,
        ttls: Ttls | None = None,
        prefix: str = DEFAULT_PREFIX,
        pipelined: bool = True,
        origin: str | None = None,
    ) -> None:
        self.client = client
        self.ttls = ttls or Ttls()
        self.prefix = prefix
        self.origin = origin or secrets.token_hex(8)
        """Who saves through this store, in its change records (`changes` skips its own)."""
        self.changes_channel = prefix + CHANGES
        self._pipelined = pipelined
        self._line: Line = (
            RespConnection.of(client.connection_pool) if pipelined else RedisPyLine(client)
        )
        self._scripts: dict[str, AsyncScript] = {}

    def _script(self, lua: str) -> AsyncScript:
        """The script registered with the client (by its sha; loaded on first use)."""
        script = self._scripts.get(lua)
        if script is None:
            script = self._scripts[lua] = self.client.register_script(lua)
        return script

    @property
    def _heartbeats_key(self) -> str:
        return self.prefix + HEARTBEATS

    @property
    def _reconnecting_key(self) -> str:
        return self.prefix + RECONNECTING
