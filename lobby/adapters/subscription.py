"""Redis pub/sub subscriptions that outlive a lost connection.

Used by socket.io's manager (lobby/adapters/pubsub.py) and by the presence store's change
records (`PresenceStore.changes`). What is published while a subscription is down is gone,
as with any Redis pub/sub: every user of it recovers by its own means (the next change, the
keeper's refresh).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from lobby.adapters.resp import Endpoint, Subscriber

log = logging.getLogger("venterom.pubsub")

RETRY_FIRST, RETRY_LAST = 1.0, 60.0
"""Seconds between attempts to subscribe again: doubling from the first to the last."""

Subscribe = Callable[[], AsyncIterator[str]]
"""Subscribes once: the messages until the connection is lost (then an error)."""


async def resubscribing(subscribe: Subscribe, channel: str) -> AsyncIterator[str]:
    """Every message of `subscribe`, subscribing again (after 1, 2, 4 ... 60 s) whenever the
    connection is lost, until the iteration is closed or cancelled."""
    retry_in = RETRY_FIRST
    while True:
        try:
            async for message in subscribe():
                retry_in = RETRY_FIRST
                yield message
        except (RedisError, OSError, TimeoutError) as exc:
            # Once per outage (the first failed attempt), not on every retry.
            level = logging.ERROR if retry_in == RETRY_FIRST else logging.DEBUG
            log.log(
                level,
                "cannot receive from Redis on %s; subscribing again",
                channel,
                extra={"retry_in_s": retry_in, "error": str(exc)},
            )
            await asyncio.sleep(retry_in)
            retry_in = min(RETRY_LAST, 2 * retry_in)


def channel_of(client: aioredis.Redis, channel: str, pipelined: bool) -> Subscribe:
    """How to subscribe to `channel` on the server of `client`'s pool: over a connection
    of lobby/adapters/resp.py, or (`pipelined` off) through redis-py's own pub/sub."""
    pool = client.connection_pool
    if pipelined:
        return Subscriber(Endpoint.of(pool), channel).messages

    async def redis_py() -> AsyncIterator[str]:
        # A connection of its own, without the pool's read timeout: a quiet channel is fine.
        options = {**pool.connection_kwargs, "socket_timeout": None}
        own = aioredis.Redis(
            connection_pool=aioredis.ConnectionPool(
                connection_class=pool.connection_class, **options
            )
        )
        pubsub = own.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            async for message in pubsub.listen():
                if message is not None and message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        finally:
            await pubsub.aclose()
            await own.aclose()

    return redis_py
