"""Socket.io's Redis manager, made to own its connections.

python-socketio's `AsyncRedisManager` builds a new Redis client each time it (re)connects
(first publish, listener start, every retry) and never closes the one it replaces, nor
anything at shutdown. This subclass keeps one client, tracks every pub/sub object it made,
and closes them all in `close()`. It also finds a socket's rooms from an index
(lobby/managers.py) instead of scanning every room on each disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio

from lobby.managers import SidRoomsIndex


class OwnedRedisManager(SidRoomsIndex, socketio.AsyncRedisManager):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pubsubs: list[Any] = []

    def _redis_connect(self) -> None:
        if self.redis is None:
            super()._redis_connect()
        else:
            self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            self.connected = True
        self._pubsubs.append(self.pubsub)

    async def close(self) -> None:
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        for pubsub in self._pubsubs:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
