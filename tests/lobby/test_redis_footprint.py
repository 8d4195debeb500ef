"""What a whole flow through real servers leaves in Redis: only TTL'd keys, nothing personal."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from tests.fixtures.servers import JOIN_DETAILS, Harness, lobby_with, visit_in

NAMES = ["Kari Nordmann", "Ola Companion", "Per Interpreter", "Ola (husband)"]


async def _keys_and_values(client: aioredis.Redis) -> dict[str, tuple[int, str]]:
    found = {}
    async for key in client.scan_iter(count=500):
        kind = await client.type(key)
        if kind == "hash":
            value = str(await client.hgetall(key))
        elif kind == "zset":
            value = str(await client.zrange(key, 0, -1))
        else:
            value = str(await client.get(key))
        found[key] = (await client.ttl(key), value)
    return found


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_every_key_has_a_ttl_and_no_name_outlives_the_visit(
    harness: Harness, redis_client: aioredis.Redis
) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guests = []
    for name in NAMES[:3]:
        guest = await harness.guest(server, await harness.invite(room))
        ack = await guest.call("join", {**JOIN_DETAILS, "display_name": name})
        guests.append((guest, ack["visit"]["visit_id"]))
    await doctor.wait_for("lobby", lobby_with(room, 3))
    await doctor.call("notice", {"room_id": room, "code": "running_late", "minutes": 15})
    await doctor.call("admit_all", {"room_id": room})

    during = await _keys_and_values(redis_client)
    assert during, "the flow wrote nothing to Redis?"
    assert all(ttl > 0 for ttl, _ in during.values()), during
    assert any("Kari Nordmann" in value for _, value in during.values())

    await doctor.call("end", {"visit_id": guests[0][1]})
    await doctor.call("move_to_phone", {"visit_id": guests[1][1]})
    await guests[2][0].call("leave")
    for guest, _ in guests:
        await guest.wait_for("visit", visit_in("ended"))
    await doctor.wait_for("lobby", lobby_with(room, 0))

    after = await _keys_and_values(redis_client)
    assert all(ttl > 0 for ttl, _ in after.values()), after
    for key, (_, value) in after.items():
        for name in NAMES:
            assert name not in key and name not in value, (key, name)
