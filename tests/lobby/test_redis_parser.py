"""Replies from Redis are parsed by hiredis (C), not redis-py's pure-Python parser.

The pure-Python RESP3 parser took 12-19 % of server CPU in the Redis benchmarks
(bench/README.md, "Why targets are missed", item 3); pyproject.toml asks for `redis[hiredis]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis.utils
from redis._parsers import _AsyncHiredisParser

from lobby.adapters.pubsub import OwnedRedisManager
from lobby.keys import SIO, STORE
from tests.fixtures.servers import Harness
from tests.fixtures.upstream import UPSTREAM

pytestmark = pytest.mark.redis


def test_hiredis_is_installed_and_chosen() -> None:
    assert redis.utils.HIREDIS_AVAILABLE


async def _parsers(client: Any) -> set[type]:
    pool = client.connection_pool
    connection = await pool.get_connection()
    try:
        await connection.send_command("PING")
        assert await connection.read_response() in (b"PONG", "PONG", True)
        return {type(connection._parser)}
    finally:
        await pool.release(connection)


async def test_the_servers_redis_clients_use_hiredis(tmp_path: Path, redis_url: str) -> None:
    harness = Harness(tmp_path, redis_url)
    try:
        server = await harness.server()
        room = await harness.room(await harness.clinician("doctor"))
        await harness.waiting_guest(server, room)  # the store and socket.io pub/sub both used
        manager = server.app[SIO].manager
        assert await _parsers(server.app[STORE].client) == {_AsyncHiredisParser}
        if UPSTREAM.overrides("pubsub"):
            assert isinstance(manager, OwnedRedisManager)
            # Its publishes and subscription go over lobby/adapters/resp.py's connections (hiredis
            # by
            # construction): upstream's redis-py client is never made.
            assert manager.redis is None
        else:
            assert await _parsers(manager.redis) == {_AsyncHiredisParser}
    finally:
        await harness.close()
