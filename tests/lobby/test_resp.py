"""Pipelined Redis connections (lobby/adapters/resp.py), on a real Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lobby.adapters import resp
from lobby.adapters.resp import Endpoint, RespConnection, Subscriber

pytestmark = pytest.mark.redis


def _line(redis_url: str, **changes: object) -> RespConnection:
    endpoint = Endpoint.from_url(redis_url)
    return RespConnection(dataclasses.replace(endpoint, **changes))  # type: ignore[arg-type]


@pytest.fixture
async def line(redis_url: str) -> AsyncIterator[RespConnection]:
    connection = _line(redis_url)
    try:
        yield connection
    finally:
        await connection.close()


async def _connections_opened(client: aioredis.Redis) -> int:
    return int((await client.info("stats"))["total_connections_received"])


async def test_a_burst_goes_out_over_one_connection_and_replies_come_back_in_order(
    line: RespConnection, redis_client: aioredis.Redis
) -> None:
    before = await _connections_opened(redis_client)
    first = await asyncio.gather(*(line.execute("INCR", "counter") for _ in range(40)))
    second = await asyncio.gather(*(line.execute("INCR", "counter") for _ in range(40)))

    assert first == list(range(1, 41)) and second == list(range(41, 81))
    assert await _connections_opened(redis_client) - before == 1
    # The line selected the URL's database: the test's own client sees the counter.
    assert await redis_client.get("counter") == "80"


async def test_one_callers_error_does_not_reach_the_others(
    line: RespConnection, redis_client: aioredis.Redis
) -> None:
    await redis_client.hset("a-hash", "field", "value")

    results = await asyncio.gather(
        line.execute("INCR", "counter"),
        line.execute("INCR", "a-hash"),
        line.execute("HGETALL", "a-hash"),
        return_exceptions=True,
    )

    assert results[0] == 1
    assert isinstance(results[1], ResponseError) and "WRONGTYPE" in str(results[1])
    assert results[2] == ["field", "value"]


async def test_an_argument_redis_cannot_take_fails_its_own_caller_at_once(
    line: RespConnection,
) -> None:
    good = asyncio.create_task(line.execute("INCR", "counter"))
    with pytest.raises(TypeError):
        await line.execute("SET", "key", None)
    async with asyncio.timeout(2):
        assert await good == 1
        assert await line.execute("GET", "key") is None


async def test_scripts_survive_redis_forgetting_them(
    line: RespConnection, redis_client: aioredis.Redis
) -> None:
    script = redis_client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert await line.run_script(script, ["n"], [2]) == 2

    await redis_client.script_flush()
    first, second = await asyncio.gather(
        line.run_script(script, ["n"], [3]), line.run_script(script, ["n"], [4])
    )

    assert sorted([first, second]) in ([5, 9], [6, 9])
    assert await redis_client.get("n") == "9"


async def test_a_caller_that_gives_up_does_not_get_its_reply_handed_to_the_next(
    line: RespConnection, redis_client: aioredis.Redis
) -> None:
    await redis_client.set("greeting", "hei")
    gave_up = asyncio.create_task(line.execute("BLPOP", "never-filled", "0.3"))
    await asyncio.sleep(0.05)
    gave_up.cancel()

    assert await line.execute("GET", "greeting") == "hei"
    assert gave_up.cancelled()


async def test_a_killed_connection_fails_its_callers_and_the_next_command_reconnects(
    line: RespConnection, redis_client: aioredis.Redis
) -> None:
    first_id = await line.execute("CLIENT", "ID")
    waiting = asyncio.create_task(line.execute("BLPOP", "never-filled", 10))
    await asyncio.sleep(0.05)

    await redis_client.client_kill_filter(_id=first_id)

    async with asyncio.timeout(2):
        with pytest.raises(ConnectionError):
            await waiting
    assert await line.execute("CLIENT", "ID") != first_id


async def test_a_silent_redis_fails_the_callers_and_a_new_connection_carries_on(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    line = _line(redis_url, timeout=0.3)
    try:
        await redis_client.set("greeting", "hei")
        first_id = await line.execute("CLIENT", "ID")
        async with asyncio.timeout(2):
            with pytest.raises(RedisTimeoutError):
                await line.execute("BLPOP", "never-filled", 1)
        # The late BLPOP reply would arrive on the old connection: the next caller gets its own.
        assert await line.execute("GET", "greeting") == "hei"
        assert await line.execute("CLIENT", "ID") != first_id
    finally:
        await line.close()


async def test_nothing_listening_is_a_connection_error_not_a_hang() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nothing listens there
    line = _line(f"redis://127.0.0.1:{port}/0")
    try:
        async with asyncio.timeout(5):
            results = await asyncio.gather(
                line.execute("PING"), line.execute("PING"), return_exceptions=True
            )
        assert all(isinstance(r, ConnectionError) for r in results)
    finally:
        await line.close()


async def test_a_url_with_a_user_and_password_logs_in(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    user = "venterom-resp-test"
    await redis_client.acl_setuser(
        user, enabled=True, passwords=["+s3cret"], keys=["*"], commands=["+@all"]
    )
    authed = redis_url.replace("redis://", f"redis://{user}:s3cret@")
    wrong = redis_url.replace("redis://", f"redis://{user}:wrong@")
    good, bad = _line(authed), _line(wrong)
    try:
        assert await good.execute("ACL", "WHOAMI") == user
        with pytest.raises(ConnectionError, match="WRONGPASS"):
            await bad.execute("PING")
    finally:
        await good.close()
        await bad.close()
        await redis_client.acl_deluser(user)


async def test_closing_cancels_callers_still_waiting(line: RespConnection) -> None:
    blocked = asyncio.create_task(line.execute("BLPOP", "never-filled", 10))
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(line.execute("PING"))
    await asyncio.sleep(0)  # queued, not yet written

    async with asyncio.timeout(2):
        await line.close()
        results = await asyncio.gather(blocked, queued, return_exceptions=True)

    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    with pytest.raises(ConnectionError):
        await line.execute("PING")


async def _subscribed(redis_client: aioredis.Redis, channel: str) -> None:
    for _ in range(500):  # up to 5 s
        if (await redis_client.pubsub_numsub(channel))[0][1]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nobody subscribed to {channel}")


async def test_a_subscriber_gets_each_message_in_order(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    subscriber = Subscriber.from_url(redis_url, "venterom-test-channel")
    messages = subscriber.messages()
    first = asyncio.create_task(anext(messages))
    await _subscribed(redis_client, "venterom-test-channel")
    for n in range(100):
        await redis_client.publish("venterom-test-channel", f"Ærlig {n}")
    await redis_client.publish("another-channel", "not for us")

    async with asyncio.timeout(5):
        received = [await first] + [await anext(messages) for _ in range(99)]
    assert received == [f"Ærlig {n}" for n in range(100)]
    await messages.aclose()
    assert (await redis_client.pubsub_numsub("venterom-test-channel"))[0][1] == 0


async def test_a_subscriber_whose_connection_is_killed_is_told(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    messages = Subscriber.from_url(redis_url, "venterom-test-channel").messages()
    waiting = asyncio.create_task(anext(messages))
    await _subscribed(redis_client, "venterom-test-channel")

    await redis_client.client_kill_filter(_type="pubsub")

    async with asyncio.timeout(2):
        with pytest.raises(ConnectionError):
            await waiting


async def test_a_subscriber_notices_a_redis_gone_silent(
    redis_url: str, redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resp, "KEEPALIVE", 0.2)
    endpoint = Endpoint.from_url(redis_url)
    subscriber = Subscriber(dataclasses.replace(endpoint, timeout=0.3), "venterom-test-channel")
    messages = subscriber.messages()
    waiting = asyncio.create_task(anext(messages))
    await _subscribed(redis_client, "venterom-test-channel")

    await redis_client.client_pause(1500)  # Redis answers nobody, as if the network died

    async with asyncio.timeout(1.4):
        with pytest.raises(ConnectionError):
            await waiting
