"""What the Redis store leaves in Redis: every key expires, nothing personal outlives a visit."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from lobby.adapters.presence.redis import RedisPresenceStore as Store
from lobby.adapters.presence.redis.codec import decode_change, encode_visit
from lobby.adapters.presence.redis.keys import DEFAULT_PREFIX, room_live_key, visit_key
from lobby.adapters.presence.store import Notice, RoomQuery, SessionRecord
from lobby.adapters.presence.ttl import Ttls
from lobby.adapters.resp_protocol import Queued, RespProtocol
from lobby.domain.machine import apply
from lobby.domain.model import Action, Actor, DenyReason, Joining, Role, Visit

pytestmark = pytest.mark.redis

ROOM = "room-a"
ENDED_NAMES = ("Kari Nordmann", "Ola Testesen", "Åse Ærlig", "Per Pasient", "Liv Ledsager")


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[Store]:
    backend = Store.from_url(redis_url, Ttls(visit=500, ended=50, notice=300, heartbeat_index=400))
    try:
        yield backend
    finally:
        await backend.close()


async def step(store: Store, visit: Visit, action: Action, actor: Actor, **kw: Any) -> Visit:
    nxt = apply(visit, action, actor, time.time(), **kw)
    assert (await store.save(nxt, visit.version)).saved
    return nxt


async def join(store: Store, visit_id: str, name: str, present: tuple[str, ...] = ()) -> Visit:
    visit = await step(store, Visit(visit_id, ROOM, Role.PATIENT), Action.OPEN_LINK, Actor.GUEST)
    joining = Joining(name, consent=True, present=present, device_check="ok")
    return await step(store, visit, Action.JOIN, Actor.GUEST, joining=joining)


async def all_keys(client: aioredis.Redis) -> list[str]:
    return [key async for key in client.scan_iter(count=1000)]


async def assert_every_key_expires(client: aioredis.Redis) -> list[str]:
    keys = await all_keys(client)
    assert keys
    for key in keys:
        assert key.startswith(DEFAULT_PREFIX), key
        assert await client.ttl(key) > 0, f"{key} has no TTL"
    return keys


async def everything_stored(client: aioredis.Redis) -> list[str]:
    """Every key name, hash field value, string value and set member in the database."""
    found: list[str] = []
    for key in await all_keys(client):
        found.append(key)
        kind = await client.type(key)
        if kind == "hash":
            found.extend(str(v) for v in await client.hvals(key))
        elif kind == "string":
            found.append(str(await client.get(key)))
        elif kind == "zset":
            found.extend(str(m) for m in await client.zrange(key, 0, -1))
        else:
            pytest.fail(f"unexpected {kind!r} at {key}")
    return found


async def test_every_key_expires_and_ended_visits_leave_nothing_personal(
    store: Store, redis_client: aioredis.Redis
) -> None:
    completed = await join(store, "v-completed", "Kari Nordmann", present=("Liv Ledsager",))
    paused = await join(store, "v-paused", "Ola Testesen")
    denied = await join(store, "v-denied", "Åse Ærlig")
    dropped = await join(store, "v-dropped", "Per Pasient")
    keeper = await join(store, "v-keeper", "Zed Stillwaiting")
    ids = ["v-completed", "v-paused", "v-denied", "v-dropped", "v-keeper"]
    await store.heartbeat(ids, time.time())
    for visit_id in ids:
        expires = time.time() + 600
        await store.put_session(f"s-{visit_id}", SessionRecord("guest", visit_id, ROOM, expires))
    await store.put_session("s-clin", SessionRecord("clinician", "clin-1", "", time.time() + 900))
    await store.set_notice(ROOM, Notice("running_late", 10, time.time()))

    completed = await step(store, completed, Action.ADMIT, Actor.CLINICIAN)
    paused = await step(store, paused, Action.ADMIT, Actor.CLINICIAN)
    paused = await step(store, paused, Action.PAUSE, Actor.CLINICIAN)
    dropped = await step(store, dropped, Action.DISCONNECT, Actor.SYSTEM)
    keeper = await step(store, keeper, Action.DISCONNECT, Actor.SYSTEM)
    keys = await assert_every_key_expires(redis_client)
    assert (
        len(keys) == 5 + 1 + 1 + 1 + 1 + 6 + 1
    )  # visits, live, seq, heartbeats, reconnecting, ...
    assert any("Kari Nordmann" in value for value in await everything_stored(redis_client))

    await step(store, completed, Action.END, Actor.CLINICIAN)
    await step(store, paused, Action.MOVE_TO_PHONE, Actor.CLINICIAN)
    await step(store, denied, Action.DENY, Actor.CLINICIAN, deny_reason=DenyReason.WRONG_ROOM)
    await step(store, dropped, Action.EXPIRE, Actor.SYSTEM)

    await assert_every_key_expires(redis_client)
    for value in await everything_stored(redis_client):
        for name in ENDED_NAMES:
            assert name not in value
    assert await redis_client.zrange(room_live_key(DEFAULT_PREFIX, ROOM), 0, -1) == ["v-keeper"]
    assert await redis_client.zrange(f"{DEFAULT_PREFIX}heartbeats", 0, -1) == ["v-keeper"]
    assert await redis_client.zrange(f"{DEFAULT_PREFIX}reconnecting", 0, -1) == ["v-keeper"]
    assert 40 < await redis_client.ttl(visit_key(DEFAULT_PREFIX, "v-denied")) <= 50
    assert 490 < await redis_client.ttl(visit_key(DEFAULT_PREFIX, "v-keeper")) <= 500


async def test_expired_visit_is_pruned_from_the_room_and_reconnecting_sets(
    store: Store, redis_client: aioredis.Redis
) -> None:
    visit = await join(store, "v1", "Kari Nordmann")
    await step(store, visit, Action.DISCONNECT, Actor.SYSTEM)
    await redis_client.delete(visit_key(DEFAULT_PREFIX, "v1"))  # as if its TTL ran out

    assert await store.room_visits(ROOM) == []
    assert await store.reconnecting_since_before(time.time() + 10) == []
    assert await redis_client.exists(room_live_key(DEFAULT_PREFIX, ROOM)) == 0
    assert await redis_client.exists(f"{DEFAULT_PREFIX}reconnecting") == 0


async def test_prefix_keeps_stores_apart(redis_url: str, redis_client: aioredis.Redis) -> None:
    one = Store.from_url(redis_url, prefix="one:")
    two = Store.from_url(redis_url, prefix="two:")
    try:
        visit = await join(one, "v1", "Kari Nordmann")
        assert await two.get("v1") is None
        assert await two.room_visits(ROOM) == []
        assert await one.room_visits(ROOM) == [visit]
        assert all(key.startswith("one:") for key in await all_keys(redis_client))
    finally:
        await one.close()
        await two.close()


async def test_one_round_trip_per_save_get_and_room_visits(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit = await join(store, "v1", "Kari Nordmann")  # also loads the scripts
    await store.room_visits(ROOM)
    trips: list[list[str]] = []
    execute: Callable[..., Awaitable[Any]] = store.client.execute_command
    write = RespProtocol.write

    async def counting(*args: Any, **options: Any) -> Any:
        trips.append([str(args[0])])
        return await execute(*args, **options)

    def counting_writes(self: RespProtocol, batch: list[Queued]) -> None:
        trips.append([str(command[0]) for command, _, _ in batch])
        write(self, batch)

    monkeypatch.setattr(store.client, "execute_command", counting)
    monkeypatch.setattr(RespProtocol, "write", counting_writes)

    admitted = apply(visit, Action.ADMIT, Actor.CLINICIAN, time.time())
    result = await store.save(admitted, visit.version, room=RoomQuery(ROOM, ("v2",)))
    assert result.saved and result.room is not None and result.room.visits == [admitted]
    assert trips == [["EVALSHA"]]
    await store.get("v1")
    assert trips[1:] == [["HGETALL"]]
    await store.room_visits(ROOM)
    assert trips[2:] == [["EVALSHA"]]


async def test_a_winning_save_publishes_a_neutral_change_record(
    store: Store, redis_client: aioredis.Redis
) -> None:
    """The record every instance hears: the visit as saved and the room's sequence, in the
    store's own encoding (no socket.io message); a losing save publishes nothing."""
    visit = await join(store, "v1", "Kari Nordmann")
    admitted = apply(visit, Action.ADMIT, Actor.CLINICIAN, time.time())
    async with redis_client.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(store.changes_channel)
        lost = await store.save(admitted, visit.version - 1)
        won = await store.save(admitted, visit.version)
        assert not lost.saved and won.saved and won.sequence > 0
        received = []
        async with asyncio.timeout(5):
            while not received:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None:
                    received.append(message["data"])
        await asyncio.sleep(0.1)
        assert await pubsub.get_message(timeout=0.1) is None, "one record per winning save"
    record = json.loads(received[0])
    assert set(record) == {"origin", "sequence", "visit"}
    assert record["origin"] == store.origin and record["sequence"] == won.sequence
    assert "emit" not in received[0] and "namespace" not in received[0]
    saved = decode_change(received[0])
    assert saved.visit == admitted and saved.sequence == won.sequence


async def test_another_store_hears_each_save_and_a_store_not_its_own(redis_url: str) -> None:
    """Two instances' stores: each hears the other's saves, in order, with the room's
    sequence; its own it heard as it saved. Over both subscription paths."""
    for pipelined in (True, False):
        here = Store.from_url(redis_url, pipelined=pipelined, prefix=f"pair{pipelined}:")
        there = Store.from_url(redis_url, pipelined=pipelined, prefix=f"pair{pipelined}:")
        heard_here, heard_there = here.changes(), there.changes()
        try:
            # Subscribing takes a moment: save until the other store hears one.
            await _heard_while_saving(there, heard_here, "a")
            await _heard_while_saving(here, heard_there, "b")
            visit = await join(here, "v1", "Kari Nordmann")
            admitted = await step(here, visit, Action.ADMIT, Actor.CLINICIAN)
            records: list[Any] = []
            while not records or records[-1].visit != admitted:
                record = await asyncio.wait_for(anext(heard_there), 5)
                if record.visit.visit_id == "v1":  # not a leftover probe
                    records.append(record)
            assert [r.visit for r in records][1:] == [visit, admitted]
            sequences = [r.sequence for r in records]
            assert sequences == sorted(set(sequences))
            own = await _drained(heard_here)
            assert "v1" not in {r.visit.visit_id for r in own}, "its own saves it heard as saved"
        finally:
            await heard_here.aclose()
            await heard_there.aclose()
            await here.close()
            await there.close()


async def test_an_undecodable_record_is_skipped_and_the_next_one_heard(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    """A record from another version (or anything else on the channel) must not end an
    instance's following: every later change would go unheard."""
    here = Store.from_url(redis_url, prefix="skip:")
    there = Store.from_url(redis_url, prefix="skip:")
    heard = there.changes()
    try:
        await _heard_while_saving(here, heard, "probe")
        await redis_client.publish(there.changes_channel, "not a record")
        await redis_client.publish(there.changes_channel, '{"origin": "old", "visit": 1}')
        visit = await join(here, "after", "Kari Nordmann")
        records: list[Any] = []
        while len(records) < 2:  # leftover probes first
            record = await asyncio.wait_for(anext(heard), 5)
            if record.visit.visit_id == "after":
                records.append(record)
        assert records[-1].visit == visit
    finally:
        await heard.aclose()
        await here.close()
        await there.close()


async def _drained(heard: AsyncIterator[Any]) -> list[Any]:
    drained = []
    while True:
        try:
            drained.append(await asyncio.wait_for(anext(heard), 0.3))
        except TimeoutError:
            return drained


async def _heard_while_saving(saver: Store, heard: AsyncIterator[Any], prefix: str) -> Any:
    waiting = asyncio.ensure_future(anext(heard))
    for n in range(100):
        await step(saver, Visit(f"{prefix}-{n}", ROOM, Role.PATIENT), Action.OPEN_LINK, Actor.GUEST)
        done, _ = await asyncio.wait({waiting}, timeout=0.05)
        if done:
            return waiting.result()
    raise AssertionError("never heard")


def test_serialization_covers_every_visit_field() -> None:
    names = {f.name for f in dataclasses.fields(Visit)}
    assert set(encode_visit(Visit("v1", ROOM, Role.PATIENT))) == names


async def test_ping_is_false_when_redis_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nothing listens there
    store = Store.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        assert not await store.ping()
    finally:
        await store.close()


async def test_a_snapshot_never_shows_an_older_copy_of_a_visit(
    store: Store, redis_client: aioredis.Redis
) -> None:
    first = await join(store, "v1", "Kari Nordmann")
    assert (await store.room_snapshot(RoomQuery(ROOM))).visits == [first]
    # The visit's hash expires and the same visit is opened and joined again: the same
    # version number, other content.
    await redis_client.delete(visit_key(DEFAULT_PREFIX, "v1"))
    again = await join(store, "v1", "Ola Testesen")
    assert again.version == first.version and again != first
    assert (await store.room_snapshot(RoomQuery(ROOM))).visits == [again]


async def test_a_snapshot_sends_only_what_changed_since_this_store_last_read_the_room(
    store: Store, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    visits = [await join(store, f"v{n:02}", f"Gjest {n}") for n in range(30)]
    first = await store.room_snapshot(RoomQuery(ROOM))
    assert first.visits == visits
    received: list[int] = []
    data_received = RespProtocol.data_received

    def counting(self: RespProtocol, data: bytes) -> None:
        received.append(len(data))
        data_received(self, data)

    monkeypatch.setattr(RespProtocol, "data_received", counting)
    other = Store.from_url(redis_url)  # another instance, changing one visit
    try:
        admitted = apply(visits[7], Action.ADMIT, Actor.CLINICIAN, time.time())
        assert (await other.save(admitted, visits[7].version)).saved
    finally:
        await other.close()
    received.clear()

    again = await store.room_snapshot(RoomQuery(ROOM))

    assert again.visits == [*visits[:7], admitted, *visits[8:]]
    assert again.visits[0] is first.visits[0], "an unchanged visit is the one already decoded"
    # One hash (the changed visit's) and 29 ids, against 30 hashes the first time.
    assert sum(received) < 3000, received
