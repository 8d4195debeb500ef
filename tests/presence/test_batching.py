"""Concurrent Redis commands share round trips (lobby/presence/batching.py), on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from lobby.presence.batching import CommandBatcher

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    pool = aioredis.BlockingConnectionPool.from_url(
        redis_url, max_connections=64, decode_responses=True
    )
    redis = aioredis.Redis.from_pool(pool)
    try:
        yield redis
    finally:
        await redis.aclose()


async def _connections_opened(client: aioredis.Redis) -> int:
    return int((await client.info("stats"))["total_connections_received"])


async def test_a_burst_of_commands_shares_a_connection_and_gets_every_reply(
    client: aioredis.Redis,
) -> None:
    batcher = CommandBatcher(client)
    before = await _connections_opened(client)
    replies = await asyncio.gather(*(batcher.execute("INCR", "batched") for _ in range(40)))
    batched = await _connections_opened(client) - before

    before = await _connections_opened(client)
    plain = await asyncio.gather(*(client.incr("plain") for _ in range(40)))
    unbatched = await _connections_opened(client) - before

    assert sorted(replies) == list(range(1, 41)) == sorted(plain)
    # One call at a time, each caller takes a connection of its own; batched, the burst
    # goes out over the one connection already open (one or two pipelines).
    assert batched == 0
    assert unbatched > 10
    await batcher.close()


async def test_one_callers_error_does_not_reach_the_others(client: aioredis.Redis) -> None:
    batcher = CommandBatcher(client)
    await client.hset("a-hash", "field", "value")

    results = await asyncio.gather(
        batcher.execute("INCR", "counter"),
        batcher.execute("INCR", "a-hash"),
        batcher.execute("HGETALL", "a-hash"),
        return_exceptions=True,
    )

    assert results[0] == 1
    assert isinstance(results[1], ResponseError) and "WRONGTYPE" in str(results[1])
    assert results[2] == {"field": "value"}
    await batcher.close()


async def test_scripts_survive_redis_forgetting_them(client: aioredis.Redis) -> None:
    batcher = CommandBatcher(client)
    script = client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert await batcher.run_script(script, ["n"], [2]) == 2

    await client.script_flush()
    first, second = await asyncio.gather(
        batcher.run_script(script, ["n"], [3]), batcher.run_script(script, ["n"], [4])
    )

    assert sorted([first, second]) in ([5, 9], [6, 9])
    assert await client.get("n") == "9"
    await batcher.close()


async def test_closing_cancels_callers_still_waiting(client: aioredis.Redis) -> None:
    batcher = CommandBatcher(client)
    blocked = asyncio.create_task(batcher.execute("BLPOP", "never-filled", 10))
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(batcher.execute("PING"))
    await asyncio.sleep(0.05)

    async with asyncio.timeout(2):
        await batcher.close()
        results = await asyncio.gather(blocked, queued, return_exceptions=True)

    assert all(isinstance(r, asyncio.CancelledError) for r in results)
