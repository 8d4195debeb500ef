"""The Redis manager's publishing: queued emits reach Redis in order, in few round trips,
and an instance drops its own emits without decoding them."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

import pytest
import redis.asyncio as aioredis
from socketio.async_pubsub_manager import AsyncPubSubManager

from lobby.adapters import subscription
from lobby.adapters.pubsub import OwnedRedisManager, _own_emit, batch, own_emit_markers
from lobby.adapters.resp_protocol import Queued, RespProtocol
from lobby.interfaces.realtime.packets import CompactJson

pytestmark = pytest.mark.redis

CHANNEL = "venterom-test-pubsub"


async def next_messages(pubsub: Any, count: int) -> list[Any]:
    """The next `count` messages on a subscription, decoded (within 10 s)."""
    received = []
    async with asyncio.timeout(10):
        while len(received) < count:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                received.append(json.loads(message["data"]))
    return received


async def test_a_burst_of_emits_arrives_in_order_in_a_few_round_trips(
    redis_url: str, redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = OwnedRedisManager(redis_url, channel=CHANNEL, write_only=True)
    writes: list[int] = []
    write = RespProtocol.write

    def counted(self: RespProtocol, batch: list[Queued]) -> None:
        writes.append(len(batch))
        write(self, batch)

    monkeypatch.setattr(RespProtocol, "write", counted)
    async with redis_client.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(CHANNEL)
        for number in range(200):
            await manager._publish({"method": "emit", "n": number})
        received = await next_messages(pubsub, 200)
    await manager.close()

    assert [message["n"] for message in received] == list(range(200))
    # One write for all 200 (after the handshake's SELECT: this test's database is not 0).
    assert writes == [1, 200]


async def test_publishing_without_redis_drops_the_messages_with_one_error_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nothing listens there
    manager = OwnedRedisManager(f"redis://127.0.0.1:{port}/0", channel=CHANNEL, write_only=True)
    with caplog.at_level(logging.ERROR, logger="venterom.pubsub"):
        for number in range(20):
            await manager._publish({"method": "emit", "n": number})
        for _ in range(500):  # up to 5 s
            if caplog.records:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # no second line follows
    await manager.close()

    assert [r.getMessage() for r in caplog.records] == ["cannot publish to Redis; messages dropped"]
    assert caplog.records[0].messages == 20


async def test_close_sends_what_is_still_queued(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    manager = OwnedRedisManager(redis_url, channel=CHANNEL, write_only=True)
    async with redis_client.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(CHANNEL)
        await manager._publish({"method": "emit", "last": True})
        await manager.close()
        assert await next_messages(pubsub, 1) == [{"method": "emit", "last": True}]


async def test_an_emit_after_close_opens_no_connection(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    """A late emit during shutdown (a lobby flush still under way) once opened a publisher
    that nobody closed: uvloop then hung closing the loop."""
    manager = OwnedRedisManager(redis_url, channel=CHANNEL, write_only=True)
    await manager.close()
    clients_before = len(await redis_client.client_list())
    async with redis_client.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(CHANNEL)
        await manager._publish({"method": "emit", "late": True})
        await asyncio.sleep(0.2)
        assert await pubsub.get_message(timeout=0.2) is None
    assert manager._publisher is None
    assert len(await redis_client.client_list()) == clients_before


@pytest.mark.parametrize("encoder", [json, CompactJson], ids=["spaced", "compact"])
def test_only_this_instances_own_emits_are_dropped_undecoded(encoder: Any) -> None:
    """Whatever the JSON looks like: the server's encoder is compact
    (lobby/interfaces/realtime/packets.py);
    the own-emit check once looked for the spaced form only, and never matched."""
    manager = OwnedRedisManager("redis://127.0.0.1:1", channel=CHANNEL, write_only=True)
    own = own_emit_markers(encoder, manager.host_id)

    def message(method: str, host_id: str, **extra: object) -> str:
        return str(encoder.dumps({"method": method, **extra, "host_id": host_id}))

    assert _own_emit(message("emit", manager.host_id, event="visit"), own)
    assert not _own_emit(message("emit", "another-instance", event="visit"), own)
    callback = encoder.dumps({"method": "callback", "host_id": manager.host_id, "sid": "s"})
    assert not _own_emit(callback, own), "a callback addressed to us must be handled"
    assert not _own_emit(message("disconnect", manager.host_id, sid="s"), own)


async def test_a_batch_holds_a_tasks_emits_until_it_ends(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    manager = OwnedRedisManager(redis_url, channel=CHANNEL, write_only=True)
    async with redis_client.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(CHANNEL)
        with batch(manager):
            await manager._publish({"method": "emit", "event": "lobby"})
            await asyncio.sleep(0.2)  # the writer would have sent it by now
            assert await pubsub.get_message(timeout=0.1) is None
            await manager._publish({"method": "emit", "event": "roster"})
        received = await next_messages(pubsub, 2)
    await manager.close()
    assert [message["event"] for message in received] == ["lobby", "roster"]


async def test_an_emit_publishes_what_upstream_would_without_scanning_for_bytes(
    redis_url: str,
) -> None:
    manager = OwnedRedisManager(redis_url, channel=CHANNEL, write_only=True)
    published: list[dict[str, Any]] = []
    delivered_here: list[dict[str, Any]] = []

    async def publish(message: dict[str, Any]) -> None:
        published.append(message)

    async def handle(message: dict[str, Any]) -> None:
        delivered_here.append(message)

    manager._publish = publish
    manager._handle_emit = handle
    emits: list[tuple[Any, ...]] = [
        ("lobby", {"room_id": "r1", "visits": [{"name": "Åse"}]}, "/clinician", "lobby:r1", None),
        ("visit", ("two", "args"), "/guest", ["visit:a", "visit:b"], "sid-1"),
        ("noop", None, None, "room", None),
    ]
    for event, data, namespace, room, skip_sid in emits:
        await manager.emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid)
    ours = list(published)
    assert delivered_here == ours, "each is also delivered to this instance's sockets"
    published.clear()
    for event, data, namespace, room, skip_sid in emits:
        await AsyncPubSubManager.emit(
            manager, event, data, namespace=namespace, room=room, skip_sid=skip_sid
        )
    assert ours == published
    own = own_emit_markers(manager.json, manager.host_id)
    assert all(_own_emit(manager.json.dumps(message), own) for message in ours)
    await manager.close()


async def test_the_listener_skips_its_own_emits_and_subscribes_again_after_a_loss(
    redis_url: str, redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscription, "RETRY_FIRST", 0.05)
    manager = OwnedRedisManager(redis_url, channel=CHANNEL, write_only=True)
    listened = manager._listen()

    def theirs(n: int) -> str:
        return json.dumps({"method": "emit", "n": n, "host_id": "another-instance"})

    async def published_until_heard(message: str) -> Any:
        heard = asyncio.create_task(anext(listened))
        for _ in range(200):  # up to about 10 s
            await redis_client.publish(CHANNEL, message)
            done, _ = await asyncio.wait({heard}, timeout=0.05)
            if done:
                return json.loads(heard.result())
        raise AssertionError("never heard")

    assert (await published_until_heard(theirs(1)))["n"] == 1
    await manager._publish({"method": "emit", "n": "own", "host_id": manager.host_id})
    await redis_client.publish(CHANNEL, theirs(2))
    heard: list[Any] = []
    async with asyncio.timeout(5):
        while not heard or heard[-1] != 2:  # (the first may have been published twice)
            heard.append(json.loads(await anext(listened))["n"])
    assert "own" not in heard, "its own emit is skipped"

    await redis_client.client_kill_filter(_type="pubsub")
    assert (await published_until_heard(theirs(3)))["n"] == 3
    await listened.aclose()
    await manager.close()
