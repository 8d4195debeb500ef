"""Two server instances on one Redis: guest on A, clinician on B."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from lobby.adapters.presence.redis.codec import decode_change
from lobby.adapters.presence.redis.keys import CHANGES, DEFAULT_PREFIX
from tests.fixtures.servers import JOIN_DETAILS, Harness, lobby_with, visit_in

CHANGES_CHANNEL = DEFAULT_PREFIX + CHANGES


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_guest_on_a_and_clinician_on_b_join_admit_and_notice(harness: Harness) -> None:
    a, b = await harness.server(), await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(b, "doctor")
    guest = await harness.guest(a, await harness.invite(room))
    waiting = await harness.guest(a, await harness.invite(room))

    await guest.call("join", JOIN_DETAILS)
    await waiting.call("join", {**JOIN_DETAILS, "display_name": "Second Guest"})
    lobby = await clinician.wait_for("lobby", lobby_with(room, 2))
    first_id = next(v["visit_id"] for v in lobby["visits"] if v["display_name"] == "Kari Nordmann")

    assert (await clinician.call("notice", {"room_id": room, "code": "ready_soon"}))["ok"]
    assert (await guest.wait_for("notice"))["code"] == "ready_soon"
    assert (await clinician.call("admit", {"visit_id": first_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    assert (
        await clinician.call(
            "deny", {"visit_id": lobby["visits"][1]["visit_id"], "reason": "not_expected"}
        )
    )["ok"]
    assert (await waiting.wait_for("visit", visit_in("ended")))["end_reason"] == "denied"


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_an_instance_acts_on_the_current_visit_not_its_own_last_copy(
    harness: Harness,
) -> None:
    a, b = await harness.server(), await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    on_a = await harness.clinician_client(a, "doctor")
    on_b = await harness.clinician_client(b, "doctor")
    guest = await harness.guest(a, await harness.invite(room))
    visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]

    # A last saw the visit waiting; B admits it; then A is asked for what only the
    # admitted visit allows, and for what only the waiting one allowed.
    assert (await on_b.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    pause = await on_a.call("pause", {"visit_id": visit_id})
    assert pause["ok"], pause
    assert (await guest.wait_for("visit", visit_in("paused")))["visit_id"] == visit_id
    again = await on_a.call("admit", {"visit_id": visit_id})
    assert again == {"ok": False, "error": "invalid_transition", "message": again.get("message")}


@pytest.mark.override("pubsub")
@pytest.mark.parametrize("store_kind", ["redis"])
async def test_what_goes_to_one_socket_of_this_instance_is_not_published(
    harness: Harness, redis_client: aioredis.Redis
) -> None:
    a = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    async with redis_client.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(harness.channel, CHANGES_CHANNEL)
        clinician = await harness.clinician_client(a, "doctor")
        guest = await harness.guest(a, await harness.invite(room))
        await guest.wait_for("visit", visit_in("checking"))
        await clinician.wait_for("lobby", lobby_with(room, 0))
        visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]
        await clinician.wait_for("lobby", lobby_with(room, 1))
        published = await published_events(pubsub)

    # On connecting, the guest's `visit` and the clinician's `rooms` and lobbies went to a
    # socket of this instance only. Opening the link and joining change the visit, which
    # a socket of the guest on another instance must hear of: the store's change record
    # of each save (no socket.io message) tells every instance. Lobbies go to every
    # clinician of the room, wherever they are connected.
    assert "rooms" not in published
    assert "visit" not in published
    assert published.count("change of " + visit_id) == 2
    assert "lobby" in published


async def published_events(pubsub: Any) -> list[str]:
    """The emits published on the channel so far (until none came for 0.5 s)."""
    events = []
    quiet_until = asyncio.get_running_loop().time() + 0.5
    while asyncio.get_running_loop().time() < quiet_until:
        # None also for a skipped subscribe confirmation: keep listening until quiet.
        message = await pubsub.get_message(timeout=0.1)
        if message is None:
            continue
        quiet_until = asyncio.get_running_loop().time() + 0.5
        data = json.loads(message["data"])
        if data.get("method") == "emit":
            events.append(data["event"])
        elif message["channel"] == CHANGES_CHANNEL:
            events.append("change of " + decode_change(message["data"]).visit.visit_id)
    return events
