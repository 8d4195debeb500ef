"""The echo connection test against real aiortc client peers: own media back, RTT, limits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)

from lobby.domain.errors import NotFound
from signaling.echo import EchoReport, EchoService, rtc_ice_servers
from signaling.errors import (
    EchoBusy,
    EchoClosed,
    SdpRejected,
    UnexpectedDescriptionType,
    UnsupportedOffer,
)
from signaling.ice import ice_servers
from signaling.messages import SessionDescription, parse_description
from tests.fixtures.media import (
    COLOUR,
    HEIGHT,
    TONE_AMPLITUDE,
    WIDTH,
    ColourVideo,
    Received,
    ToneAudio,
    read_track,
)

BOUND = 10.0


@dataclass
class Guest:
    """A real aiortc client peer doing the connection test."""

    pc: RTCPeerConnection
    received: Received
    answer: SessionDescription


@asynccontextmanager
async def guest(
    service: EchoService, key: str, *, audio: bool = True, video: bool = True
) -> AsyncIterator[Guest]:
    """A client peer that sent its offer to the echo service and applied the answer."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    received = Received()
    try:
        _wire(pc, received, audio=audio, video=video)
        offer = await _offer(pc)
        answer = await service.open(key, offer)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))
        yield Guest(pc, received, answer)
    finally:
        await pc.close()
        for reader in received.readers:
            reader.cancel()
        await asyncio.gather(*received.readers, return_exceptions=True)


def _wire(pc: RTCPeerConnection, received: Received, *, audio: bool, video: bool) -> None:
    """Add the camera and microphone, and record what comes back."""
    if audio:
        pc.addTrack(ToneAudio())
    if video:
        pc.addTrack(ColourVideo())

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        received.readers.append(asyncio.create_task(read_track(track, received)))

    @pc.on("connectionstatechange")
    def on_state() -> None:
        received.states.append(pc.connectionState)


async def _offer(pc: RTCPeerConnection) -> SessionDescription:
    """Create the client's offer and validate it as the server's edge would."""
    await pc.setLocalDescription(await pc.createOffer())
    return parse_description({"type": "offer", "sdp": pc.localDescription.sdp})


async def until(condition: Callable[[], bool], bound: float = BOUND) -> None:
    """Wait (polling) until `condition()` holds, failing after `bound` seconds."""
    async with asyncio.timeout(bound):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


async def first_round_trip(service: EchoService, key: str) -> EchoReport:
    """Stats once RTCP has yielded a round-trip time (it needs a sender/receiver report pair)."""
    async with asyncio.timeout(BOUND):
        while True:
            report = await service.stats(key)
            if report.round_trip_ms is not None:
                return report
            await asyncio.sleep(0.25)


@pytest.fixture
async def service() -> AsyncIterator[EchoService]:
    echo = EchoService(max_sessions=2, max_seconds=30.0)
    try:
        yield echo
    finally:
        await echo.close_all()


def _near(got: tuple[int, int, int], want: tuple[int, int, int], tolerance: int = 30) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))


async def test_guest_gets_own_audio_and_video_back(service: EchoService) -> None:
    async with guest(service, "guest-a") as g:
        got = g.received
        await until(lambda: got.video_frames >= 10 and got.audio_frames >= 25 and got.peak > 0)

        assert g.pc.connectionState == "connected"
        assert got.states == ["connecting", "connected"]
        assert "typ host" in g.answer.sdp
        assert "typ srflx" not in g.answer.sdp, "the echo peer must not use a public STUN server"
        assert got.video_size == (WIDTH, HEIGHT)
        assert _near(got.centre, COLOUR), got.centre
        assert got.peak > TONE_AMPLITUDE // 4
        assert service.active == 1


async def test_round_trip_time_and_loss_are_reported(service: EchoService) -> None:
    async with guest(service, "guest-a"):
        before = await service.stats("guest-a")
        report = await first_round_trip(service, "guest-a")

    assert before.connection_state in {"new", "connecting", "connected"}
    assert before.round_trip_ms is None, "no RTCP receiver report yet: unknown, not zero"
    assert report.connection_state == "connected"
    assert report.round_trip_ms is not None
    assert 0.0 <= report.round_trip_ms < 1000.0
    assert report.packet_loss is not None
    assert 0.0 <= report.packet_loss < 0.2


async def test_session_over_the_limit_is_busy_and_creates_nothing(service: EchoService) -> None:
    async with guest(service, "guest-a"), guest(service, "guest-b"):
        with pytest.raises(EchoBusy) as refused:
            async with guest(service, "guest-c"):
                pass

        assert refused.value.code == "busy"
        assert service.active == 2
        with pytest.raises(NotFound):
            await service.stats("guest-c")


async def test_second_open_for_the_same_key_replaces_the_first(service: EchoService) -> None:
    async with guest(service, "guest-a") as first:
        await until(lambda: first.pc.connectionState == "connected")
        async with guest(service, "guest-a") as second:
            await until(lambda: second.received.video_frames >= 3)
            await until(lambda: first.pc.connectionState == "closed")

            assert service.active == 1
            assert first.received.states[-1] == "closed"


async def test_session_closes_itself_after_max_seconds() -> None:
    echo = EchoService(max_sessions=1, max_seconds=1.5)
    try:
        async with guest(echo, "guest-a") as g:
            opened = time.monotonic()
            await until(lambda: echo.active == 0)
            lasted = time.monotonic() - opened
            await until(lambda: g.pc.connectionState == "closed")

            assert 1.0 <= lasted < 5.0
            assert "connected" in g.received.states
            assert g.received.states[-1] == "closed"
            async with guest(echo, "guest-b"):
                assert echo.active == 1
    finally:
        await echo.close_all()


async def test_close_all_closes_every_session_and_leaves_no_tasks(service: EchoService) -> None:
    async with guest(service, "guest-a") as a, guest(service, "guest-b") as b:
        await until(lambda: a.received.video_frames > 0 and b.received.video_frames > 0)

        await service.close_all()

        assert service.active == 0
        assert _service_tasks() == []
        await until(lambda: a.pc.connectionState == b.pc.connectionState == "closed")
    await until(lambda: _other_tasks() == [], bound=2.0)


async def test_close_ends_one_session_and_logs_nothing_personal(
    service: EchoService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="venterom")
    token = "guest-token-Zm9vYmFy"
    async with guest(service, token) as a:
        await until(lambda: a.pc.connectionState == "connected")

        await service.close(token)
        await service.close(token)

        assert service.active == 0
        await until(lambda: a.pc.connectionState == "closed")
        with pytest.raises(NotFound):
            await service.stats(token)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("venterom")]
    assert any("opened" in m for m in logged) and any("closed" in m for m in logged)
    assert not [m for m in logged if token in m or "v=0" in m or "candidate" in m]


async def test_close_all_during_negotiation_refuses_cleanly(service: EchoService) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTrack(ToneAudio())
        offer = await _offer(pc)
        opening = asyncio.create_task(service.open("guest-a", offer))
        await asyncio.sleep(0)
        assert service.active == 1

        await service.close_all()

        with pytest.raises(EchoClosed):
            await opening
    finally:
        await pc.close()
    assert service.active == 0
    assert _service_tasks() == []


async def test_offer_with_only_audio_is_echoed(service: EchoService) -> None:
    async with guest(service, "guest-a", video=False) as g:
        await until(lambda: g.received.audio_frames >= 10)

        assert g.received.video_frames == 0


async def test_answer_is_refused(service: EchoService) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTrack(ToneAudio())
        offer = await _offer(pc)
        with pytest.raises(UnexpectedDescriptionType):
            await service.open("guest-a", SessionDescription("answer", offer.sdp))
    finally:
        await pc.close()
    assert service.active == 0


async def test_offer_with_two_video_tracks_is_refused(service: EchoService) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTrack(ColourVideo())
        pc.addTrack(ColourVideo())
        offer = await _offer(pc)
        with pytest.raises(UnsupportedOffer) as refused:
            await service.open("guest-a", offer)
    finally:
        await pc.close()
    assert refused.value.code == "unsupported_offer"
    assert service.active == 0


async def test_offer_the_stack_cannot_apply_is_refused_and_changes_nothing(
    service: EchoService,
) -> None:
    sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=fingerprint:sha-256 00\r\n"
    with pytest.raises(SdpRejected) as refused:
        await service.open("guest-a", parse_description({"type": "offer", "sdp": sdp}))

    assert refused.value.code == "sdp_rejected"
    assert service.active == 0
    assert _service_tasks() == []


def _service_tasks() -> list[asyncio.Task[object]]:
    """Pending tasks running EchoService code."""
    return [t for t in _other_tasks() if "EchoService" in t.get_coro().__qualname__]  # type: ignore[union-attr]


def _other_tasks() -> list[asyncio.Task[object]]:
    """Pending tasks other than the test's own."""
    return [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]


def test_browser_ice_servers_convert_for_aiortc() -> None:
    servers = ice_servers(["stun:s.example:3478"], ["turn:t.example:3478"], "k", "echo", 0, 60)

    converted = rtc_ice_servers(servers)

    assert [s.urls for s in converted] == [["stun:s.example:3478"], ["turn:t.example:3478"]]
    assert (converted[0].username, converted[0].credential) == (None, None)
    assert converted[1].username == "60:echo"
    assert converted[1].credential == servers[1].get("credential")
