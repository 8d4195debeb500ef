"""If Redis restarts empty, instances write back what their connected clients hold."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from tests.fixtures.servers import JOIN_DETAILS, Harness, lobby_with, visit_in

FAST = {"sweep_interval": 0.05, "heartbeat_interval": 0.2, "heartbeat_timeout": 5.0}


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_lobby_and_sessions_survive_redis_losing_everything(
    harness: Harness, redis_client: aioredis.Redis
) -> None:
    server = await harness.server(**FAST)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, await harness.invite(room))
    visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]
    await doctor.wait_for("lobby", lobby_with(room, 1))

    await redis_client.flushdb()  # what a restarted Redis without persistence holds
    assert await redis_client.dbsize() == 0
    mark = doctor.mark()
    await doctor.wait_for("lobby", lobby_with(room, 1), after=mark)
    back = await doctor.call("lobby", {"room_id": room})
    assert [v["visit_id"] for v in back["lobby"]["visits"]] == [visit_id]

    assert (await doctor.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    late = await harness.reconnect(server, guest)
    assert (await late.wait_for("visit"))["state"] == "in_call", "guest session restored"


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_held_visits_are_written_back_only_after_the_store_lost_everything(
    harness: Harness, redis_client: aioredis.Redis
) -> None:
    server = await harness.server(**FAST)
    _, visit_id = await harness.waiting_guest(
        server, await harness.room(await harness.clinician("doctor"))
    )
    visit_key = f"venterom:visit:{visit_id}"
    await asyncio.sleep(2 * FAST["heartbeat_interval"])  # the first heartbeat sets the marker

    # One key gone while the rest of the store is there is not a restart: no write-back
    # (and no re-writing of every session each heartbeat).
    await redis_client.delete(visit_key)
    await asyncio.sleep(10 * FAST["heartbeat_interval"])
    assert not await redis_client.exists(visit_key)
    markers = [key async for key in redis_client.scan_iter("venterom:marker:*")]
    assert len(markers) == 1, "each instance keeps one marker"

    await redis_client.flushdb()
    await asyncio.sleep(5 * FAST["heartbeat_interval"])
    assert await redis_client.hget(visit_key, "state") == "waiting"
