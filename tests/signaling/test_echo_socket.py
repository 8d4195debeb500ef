"""The echo connection test through the real server: a guest with a valid invitation tests
their connection before joining; the server echoes media in memory and reports RTT."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from lobby.keys import ECHO
from tests.fixtures.calls import close_to
from tests.fixtures.media import COLOUR, ColourVideo, Received, ToneAudio, read_track
from tests.fixtures.servers import JOIN_DETAILS, Client, Harness, visit_in


class EchoClient:
    def __init__(self, guest: Client) -> None:
        self.guest = guest
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(ToneAudio())
        self.pc.addTrack(ColourVideo())
        self.received = Received()

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self.received.readers.append(asyncio.create_task(read_track(track, self.received)))

    async def start(self) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
        ack = await self.guest.call("echo_start", {"description": offer})
        if ack["ok"]:
            await self.pc.setRemoteDescription(RTCSessionDescription(**ack["description"]))
        return ack

    async def close(self) -> None:
        await self.pc.close()
        for reader in self.received.readers:
            reader.cancel()
        await asyncio.gather(*self.received.readers, return_exceptions=True)


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_guest_gets_own_media_back_with_round_trip_time(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    echo = EchoClient(await harness.guest(server, await harness.invite(room)))
    try:
        assert (await echo.start())["ok"]
        deadline = time.monotonic() + 15
        while echo.received.video_frames < 5 or echo.received.audio_frames < 5:
            assert time.monotonic() < deadline, echo.received
            await asyncio.sleep(0.1)
        assert close_to(echo.received.centre, COLOUR)
        stats: dict[str, Any] = {}
        while time.monotonic() < deadline:
            stats = await echo.guest.call("echo_stats")
            if stats["ok"] and stats["rtt_ms"] is not None:
                break
            await asyncio.sleep(0.25)
        assert stats["state"] == "connected" and stats["rtt_ms"] >= 0, stats
        assert 0 <= stats["packet_loss"] < 0.2
        assert (await echo.guest.call("echo_stop"))["ok"]
        assert server.app[ECHO].active == 0
    finally:
        await echo.close()


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_one_more_than_the_cap_is_told_busy(harness: Harness) -> None:
    server = await harness.server(echo_max_sessions=1)
    room = await harness.room(await harness.clinician("doctor"))
    first = EchoClient(await harness.guest(server, await harness.invite(room)))
    second = EchoClient(await harness.guest(server, await harness.invite(room)))
    try:
        assert (await first.start())["ok"]
        busy = await second.start()
        assert (busy["ok"], busy["error"]) == (False, "busy")
        assert server.app[ECHO].active == 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_echo_is_for_before_the_consultation_and_closes_on_shutdown(
    harness: Harness,
) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    testing = EchoClient(await harness.guest(server, await harness.invite(room)))
    admitted_guest = await harness.guest(server, await harness.invite(room))
    admitted = EchoClient(admitted_guest)
    visit_id = (await admitted_guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]
    await doctor.call("admit", {"visit_id": visit_id})
    await admitted_guest.wait_for("visit", visit_in("in_call"))
    try:
        refused = await admitted.start()
        assert refused["error"] == "invalid_transition"
        assert (await testing.start())["ok"]
        assert server.app[ECHO].active == 1
        harness.servers.remove(server)
        await server.stop()
        assert server.app[ECHO].active == 0
        current = asyncio.current_task()
        leftovers = [
            t
            for t in asyncio.all_tasks()
            if t is not current and "echo" in repr(t.get_coro()).lower()
        ]
        assert leftovers == []
    finally:
        await testing.close()
        await admitted.close()
