"""The Redis store carries on when Redis restarts under it (its own connection reconnects)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lobby.adapters.presence.redis import RedisPresenceStore
from lobby.adapters.presence.store import RoomQuery
from tests.fixtures.redis_server import redis_binary, start_redis, stop_redis
from tests.fixtures.upstream import UPSTREAM
from tests.presence.test_redis_keys import ROOM, join

pytestmark = pytest.mark.redis


async def test_a_restarted_redis_is_used_again_without_errors(tmp_path: Path) -> None:
    server = start_redis(redis_binary(), tmp_path)
    store = RedisPresenceStore.from_url(server.url, pipelined=UPSTREAM.overrides("resp"))
    try:
        before = await join(store, "v1", "Kari Nordmann")
        assert (await store.room_snapshot(RoomQuery(ROOM))).visits == [before]

        stop_redis(server.process)  # what an operator's restart looks like: the connection closes
        server = start_redis(redis_binary(), tmp_path, port=server.port)
        await asyncio.sleep(0.1)  # the closed connection is noticed while the store is idle

        # Empty (no persistence) and without the scripts: the next calls still succeed.
        after = await join(store, "v2", "Ola Testesen")
        assert (await store.room_snapshot(RoomQuery(ROOM))).visits == [after]
    finally:
        await store.close()
        stop_redis(server.process)
