"""The benchmark's Redis round-trip counter: a command is one, a pipeline is one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from redis.asyncio.client import Pipeline, Redis

from bench import trips
from bench.redis_cost import is_background
from lobby.adapters.resp import RespConnection
from lobby.adapters.resp_protocol import RespProtocol

pytestmark = pytest.mark.redis


@pytest.fixture
def counting() -> Iterator[None]:
    command, execute, write = Redis.execute_command, Pipeline.execute, RespProtocol.write
    trips.install(web.Application())
    trips.reset()
    try:
        yield
    finally:
        Redis.execute_command = command  # type: ignore[method-assign]
        Pipeline.execute = execute  # type: ignore[method-assign]
        RespProtocol.write = write  # type: ignore[method-assign]
        trips.reset()


async def test_commands_and_pipelines_count_once_each(redis_url: str, counting: None) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    line = RespConnection.of(client.connection_pool)
    try:
        await line.execute("HGETALL", "venterom:visit:v2")
        await asyncio.gather(*(line.execute("GET", f"venterom:session:{n}") for n in range(3)))
        await client.get("venterom:session:abc")
        async with client.pipeline(transaction=False) as pipe:
            for n in range(5):
                pipe.publish("channel", str(n))
            pipe.hgetall("venterom:visit:v1")
            await pipe.execute()
        await client.ping()
    finally:
        await line.close()
        await client.aclose()

    assert trips.counts() == {
        "select other": 1,  # the line's handshake: this test's database is not 0
        "hgetall visit": 1,
        "pipeline(get session x3)": 1,
        "get session": 1,
        "pipeline(hgetall visit, publish x5)": 1,
        "ping": 1,
    }


def test_shared_pipelines_of_operations_are_not_taken_for_background_work() -> None:
    assert not is_background("pipeline(evalsha save x31, evalsha session_visit x19)")
    assert not is_background("pipeline(publish x40)")
    assert is_background("pipeline(hgetall visit x2000)")
    assert is_background("evalsha reconnecting")
    assert is_background("ping"), "the subscriber's keepalive"
    assert not is_background("pipeline(ping, publish)")
    assert is_background("pipeline(evalsha changed, evalsha heartbeats)")
    assert not is_background("pipeline(evalsha heartbeats, evalsha save x3)")
