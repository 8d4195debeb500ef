"""Dropped connections keep their place for the grace period, then the visit expires."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import pytest

from lobby.settings import Settings
from tests.fixtures.servers import (
    JOIN_DETAILS,
    Harness,
    Running,
    free_port,
    wait_until_up,
)

GRACE = 2.0
FAST = {
    "grace_period": GRACE,
    "sweep_interval": 0.05,
    "heartbeat_interval": 0.1,
    "heartbeat_timeout": 1.0,
}


def flagged(visit_id: str, reconnecting: bool) -> Any:
    def check(lobby: dict[str, Any]) -> bool:
        return any(
            v["visit_id"] == visit_id and v["reconnecting"] is reconnecting for v in lobby["visits"]
        )

    return check


async def test_dropped_guest_returns_to_the_call_within_grace(harness: Harness) -> None:
    server = await harness.server(**FAST)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    assert (await doctor.call("call_join", {"room_id": room}))["ok"]
    guest, visit_id = await harness.admitted_guest(server, room, doctor, join_call=True)

    await guest.drop()
    await doctor.wait_for("lobby", flagged(visit_id, True))
    await doctor.wait_for(
        "roster",
        lambda r: any(m["peer_id"] == visit_id and m["reconnecting"] for m in r["members"]),
    )
    back = await harness.reconnect(server, guest)
    visit = await back.wait_for("visit")
    assert (visit["state"], visit["reconnecting"]) == ("in_call", False)
    await doctor.wait_for("lobby", flagged(visit_id, False))
    rejoined = await back.call("call_join")
    assert rejoined["ok"] and visit_id in [m["peer_id"] for m in rejoined["roster"]["members"]]
    await asyncio.sleep(GRACE + 0.5)
    assert (await back.call("tech_message", {"code": "one_moment"}))["ok"], "still in the call"


async def test_waiting_guest_keeps_their_place_in_the_queue(harness: Harness) -> None:
    server = await harness.server(**FAST)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    first = await harness.guest(server, await harness.invite(room))
    first_id = (await first.call("join", JOIN_DETAILS))["visit"]["visit_id"]
    second = await harness.guest(server, await harness.invite(room))
    await second.call("join", {**JOIN_DETAILS, "display_name": "Second"})
    await first.drop()
    await doctor.wait_for("lobby", flagged(first_id, True))
    back = await harness.reconnect(server, first)
    assert (await back.wait_for("visit"))["state"] == "waiting"
    lobby = await doctor.wait_for("lobby", flagged(first_id, False))
    assert lobby["visits"][0]["visit_id"] == first_id, "still first in the queue"


async def test_after_the_grace_period_the_visit_expires(harness: Harness) -> None:
    server = await harness.server(**FAST)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guest, visit_id = await harness.admitted_guest(server, room, doctor, join_call=True)
    await guest.drop()
    flagged_at = doctor.mark()
    await doctor.wait_for("lobby", flagged(visit_id, True))
    await doctor.wait_for("lobby", lambda p: p["visits"] == [], timeout=GRACE + 5, after=flagged_at)
    late = await harness.reconnect(server, guest)
    ended = await late.wait_for("visit")
    assert (ended["state"], ended["end_reason"]) == ("ended", "expired")


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_guest_moves_to_another_instance_when_theirs_stops(harness: Harness) -> None:
    a, b = await harness.server(**FAST), await harness.server(**FAST)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(b, "doctor")
    assert (await doctor.call("call_join", {"room_id": room}))["ok"]
    guest, visit_id = await harness.admitted_guest(a, room, doctor, join_call=True)

    harness.servers.remove(a)
    stopping = asyncio.create_task(a.stop())
    await doctor.wait_for("lobby", flagged(visit_id, True))
    back = await harness.reconnect(b, guest)  # as a client does when its server goes away
    assert (await back.wait_for("visit"))["state"] == "in_call", back.events
    await doctor.wait_for("lobby", flagged(visit_id, False))
    assert (await back.call("call_join"))["ok"]
    await stopping


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_a_crashed_instance_is_noticed_by_heartbeat(harness: Harness) -> None:
    """No goodbye at all: instance A is killed; B notices the silence and keeps the place."""
    port = free_port()
    env = {
        **os.environ,
        **{
            "VENTEROM_PORT": str(port),
            "VENTEROM_SECRET": harness.secret,
            "VENTEROM_DATABASE": harness.database,
            "VENTEROM_REDIS_URL": harness.redis_url,
            "VENTEROM_REDIS_CHANNEL": harness.channel,
            "VENTEROM_DATA_DIR": str(harness.tmp_path),
            "VENTEROM_HEARTBEAT_INTERVAL": "0.1",
            "VENTEROM_SWEEP_INTERVAL": "0.05",
            "VENTEROM_LOG_LEVEL": "WARNING",
        },
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lobby.interfaces.cli",
        "serve",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        a = Running(app=None, runner=None, base_url=f"http://127.0.0.1:{port}")  # type: ignore[arg-type]
        await wait_until_up(a.base_url)
        b = await harness.server(**FAST)
        room = await harness.room(await harness.clinician("doctor"))
        doctor = await harness.clinician_client(b, "doctor")
        guest, visit_id = await harness.admitted_guest(a, room, doctor, join_call=True)
        await asyncio.sleep(0.5)  # A has heartbeated the guest
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await guest.sio.eio.disconnect(abort=True)
        await doctor.wait_for("lobby", flagged(visit_id, True), timeout=10)
        back = await harness.reconnect(b, guest)
        assert (await back.wait_for("visit"))["state"] == "in_call"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


NOTICED_WITHIN = 30.0
"""The promise: a guest whose network dies silently (no close, no TCP reset) is flagged
reconnecting to the clinician within this many seconds; so are the guests of a crashed
instance. (Their place is then kept for the grace period, counted from that moment.)"""


def test_dead_connections_are_noticed_within_30_seconds() -> None:
    # The server pings a socket ping_interval after its last pong and closes it if the next
    # pong is ping_timeout late (lobby/interfaces/realtime/engine.py): that sum bounds how long a
    # dead
    # connection goes unnoticed, which the next test shows on a real socket.
    settings = Settings()
    assert settings.ping_interval + settings.ping_timeout <= NOTICED_WITHIN
    assert settings.heartbeat_timeout + settings.sweep_interval <= NOTICED_WITHIN


async def test_a_silent_network_death_is_noticed_within_ping_interval_plus_timeout(
    harness: Harness,
) -> None:
    interval, timeout = 1.0, 0.5
    server = await harness.server(ping_interval=interval, ping_timeout=timeout)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guest, visit_id = await harness.waiting_guest(server, room)
    await doctor.wait_for("lobby", flagged(visit_id, False))

    async def lost(packet: object) -> None:
        return None  # the network swallows everything the guest sends, pongs included

    guest.sio.eio._send_packet = lost
    died = time.monotonic()
    await doctor.wait_for("lobby", flagged(visit_id, True), after=doctor.mark(), timeout=15)
    noticed = time.monotonic() - died
    slack = 2.0  # loop lag on a busy test machine, the lobby batch delay
    assert timeout <= noticed <= interval + timeout + slack, noticed
