"""After a whole call, no SDP, candidate or technical message is in Redis or in the logs."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as aioredis

from tests.fixtures.calls import CallPeer
from tests.fixtures.servers import JOIN_DETAILS, Harness, visit_in

FORBIDDEN = [
    "v=0",
    "a=fingerprint",
    "a=candidate",
    "candidate:",
    "ice-ufrag",
    "cant_hear_you",
    "video_frozen",
    "Kari Nordmann",
]


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_no_sdp_candidate_or_message_in_redis_or_logs(
    harness: Harness, redis_client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor_client = await harness.clinician_client(server, "doctor")
    guest_client = await harness.guest(server, await harness.invite(room))
    visit_id = (await guest_client.call("join", JOIN_DETAILS))["visit"]["visit_id"]
    await doctor_client.call("admit", {"visit_id": visit_id})
    await guest_client.wait_for("visit", visit_in("in_call"))
    doctor = CallPeer(doctor_client, (40, 60, 220), room_id=room)
    guest = CallPeer(guest_client, (220, 40, 40))
    try:
        await doctor.join()
        await guest.join()
        first, second = sorted([doctor, guest], key=lambda p: p.peer_id)
        await first.offer_to(second.peer_id)
        await doctor.connected(guest.peer_id)
        await guest.send(doctor.peer_id, candidate={"candidate": "", "sdpMid": "0"})
        await guest.client.call("tech_message", {"code": "cant_hear_you"})
        await doctor.client.call("tech_message", {"room_id": room, "code": "video_frozen"})
        await doctor.client.wait_for("tech_message")
        await guest.frames_from(doctor.peer_id)

        values = []
        async for key in redis_client.scan_iter(count=500):
            kind = await redis_client.type(key)
            if kind == "hash":
                values.append(str(await redis_client.hgetall(key)))
            elif kind == "zset":
                values.append(str(await redis_client.zrange(key, 0, -1)))
            else:
                values.append(str(await redis_client.get(key)))
        stored = "\n".join(values)
        for needle in FORBIDDEN[:-1]:
            assert needle not in stored, needle
        await doctor_client.call("end", {"visit_id": visit_id})
        await guest_client.wait_for("visit", visit_in("ended"))
    finally:
        await doctor.close()
        await guest.close()
    assert caplog.records, "the server logged nothing at all?"
    for needle in FORBIDDEN:
        assert needle not in caplog.text, needle
