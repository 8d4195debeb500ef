"""Server-side echo peer for the guest's connection test.

The guest's audio and video come back to them over the same ICE/TURN path a call uses,
and the service reports round-trip time and packet loss from RTCP. Frames are relayed
in memory only. Logs carry a per-process session number, counts and durations: never
SDP, never the session key (it may be a token).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.stats import RTCReceivedRtpStreamStats, RTCRemoteInboundRtpStreamStats, RTCStats

from lobby.domain.errors import NotFound
from signaling.errors import (
    EchoBusy,
    EchoClosed,
    SdpRejected,
    UnexpectedDescriptionType,
    UnsupportedOffer,
)
from signaling.ice import IceServer
from signaling.messages import SessionDescription

log = logging.getLogger("venterom.echo")

ENDING_STATES = frozenset({"failed", "closed"})
ECHO_KINDS = ("audio", "video")
RELAY_DRAIN_SECONDS = 1.0
_MEDIA_LINE = re.compile(r"^m=(\S+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class EchoReport:
    """What the connection test shows; None where RTCP has not told us yet."""

    connection_state: str
    round_trip_ms: float | None
    """Server <-> guest round trip from RTCP sender/receiver reports, in milliseconds."""
    packet_loss: float | None
    """Fraction (0..1) of RTP packets lost so far, both directions together."""


@dataclass(eq=False)
class _Session:
    """One echo peer connection and the task that ends it."""

    number: int
    pc: RTCPeerConnection
    started: float
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    sources: list[MediaStreamTrack] = field(default_factory=list)
    state: str = "new"
    connected: bool = False
    watcher: asyncio.Task[None] | None = None


class EchoService:
    """Runs at most `max_sessions` echo peers, each for at most `max_seconds`."""

    def __init__(
        self,
        max_sessions: int = 4,
        max_seconds: float = 60.0,
        ice_servers: list[RTCIceServer] | None = None,
    ) -> None:
        if max_sessions < 0 or max_seconds <= 0:
            raise ValueError("max_sessions must be >= 0 and max_seconds > 0")
        self._max_sessions = max_sessions
        self._max_seconds = max_seconds
        self._ice_servers = list(ice_servers or [])
        self._sessions: dict[str, _Session] = {}
        self._watchers: set[asyncio.Task[None]] = set()
        self._numbers = itertools.count(1)

    @property
    def active(self) -> int:
        """How many echo sessions are open (for metrics and the ops page)."""
        return len(self._sessions)

    async def open(self, session_key: str, offer: SessionDescription) -> SessionDescription:
        """Answer a guest's offer with a peer that echoes their media; replaces their last one."""
        _check_offer(offer)
        while (previous := self._sessions.pop(session_key, None)) is not None:
            await self._shutdown(previous, "replaced")
        if len(self._sessions) >= self._max_sessions:
            log.warning("echo refused: busy, %d active", len(self._sessions))
            raise EchoBusy("every echo test slot is taken; try again shortly")
        return await self._answer(session_key, self._start(session_key), offer)

    async def stats(self, session_key: str) -> EchoReport:
        """Round-trip time and packet loss so far, from RTCP, and the connection state."""
        session = self._sessions.get(session_key)
        if session is None:
            raise NotFound("no echo session")
        report = await session.pc.getStats()
        return summarise(session.pc.connectionState, report.values())

    async def close(self, session_key: str) -> None:
        """End the guest's echo session, if any."""
        session = self._sessions.pop(session_key, None)
        if session is not None:
            await self._shutdown(session, "closed")

    async def close_all(self) -> None:
        """End every session and wait for every task the service owns (server shutdown)."""
        while self._sessions or self._watchers:
            sessions = list(self._sessions.values())
            self._sessions.clear()
            await asyncio.gather(*(self._shutdown(s, "shutdown") for s in sessions))
            if self._watchers:
                await asyncio.wait(list(self._watchers))

    def _start(self, session_key: str) -> _Session:
        """Create and register a session synchronously, so its slot is taken at once."""
        pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice_servers)))
        loop = asyncio.get_running_loop()
        session = _Session(number=next(self._numbers), pc=pc, started=loop.time())
        pc.on("track", lambda track: _echo(session, track))
        pc.on("connectionstatechange", lambda: _note_state(session))
        session.watcher = asyncio.create_task(self._watch(session_key, session))
        self._watchers.add(session.watcher)
        session.watcher.add_done_callback(self._watchers.discard)
        self._sessions[session_key] = session
        log.info("echo %d opened, %d active", session.number, len(self._sessions))
        return session

    async def _answer(
        self, session_key: str, session: _Session, offer: SessionDescription
    ) -> SessionDescription:
        """Negotiate; on any failure leave nothing behind and raise a named error.

        aiortc's exception text is dropped (`from None`): it may quote the SDP.
        """
        try:
            answer = await _negotiate(session.pc, offer)
        except Exception:
            if await self._abandon(session_key, session):
                raise SdpRejected("the offer could not be applied") from None
            raise EchoClosed("the echo session was closed before it could answer") from None
        except BaseException:
            await self._abandon(session_key, session)
            raise
        if self._sessions.get(session_key) is not session:
            raise EchoClosed("the echo session was closed before it could answer")
        return answer

    async def _watch(self, session_key: str, session: _Session) -> None:
        """End the session when its connection fails or closes, or after `max_seconds`."""
        reason = "ended"
        try:
            async with asyncio.timeout(self._max_seconds):
                await session.ended.wait()
        except TimeoutError:
            reason = "expired"
        if self._sessions.get(session_key) is session:
            del self._sessions[session_key]
            await self._close_pc(session, reason)

    async def _abandon(self, session_key: str, session: _Session) -> bool:
        """Tear down a session whose negotiation failed; False if someone else already did."""
        if self._sessions.get(session_key) is not session:
            return False
        del self._sessions[session_key]
        await self._shutdown(session, "rejected")
        return True

    async def _shutdown(self, session: _Session, reason: str) -> None:
        """Stop a session's watcher, then close its peer connection."""
        if session.watcher is not None:
            session.watcher.cancel()
            await asyncio.wait([session.watcher])
        await self._close_pc(session, reason)

    async def _close_pc(self, session: _Session, reason: str) -> None:
        """Close the peer connection and let the relays notice their sources ended."""
        try:
            await session.pc.close()
        except Exception:
            # aiortc 1.16's close() fails on a transceiver an offer never gave a transport
            # (a media section without a=mid); stop the transports that do exist by hand.
            log.warning("echo %d: close failed, stopping its transports", session.number)
            await _stop_transports(session.pc)
        if session.connected:
            await _drain_relays(session.sources)
        seconds = asyncio.get_running_loop().time() - session.started
        log.info(
            "echo %d closed (%s) after %.1f s, %d active",
            session.number,
            reason,
            seconds,
            len(self._sessions),
        )


async def _stop_transports(pc: RTCPeerConnection) -> None:
    for transceiver in pc.getTransceivers():
        dtls = transceiver.receiver.transport
        if dtls is not None:
            await dtls.stop()
            await dtls.transport.stop()


def summarise(connection_state: str, stats: Iterable[RTCStats]) -> EchoReport:
    """An `EchoReport` from aiortc stats: RTT from RTCP receiver reports, loss both ways."""
    stats = list(stats)
    rtts = [
        s.roundTripTime * 1000.0
        for s in stats
        if isinstance(s, RTCRemoteInboundRtpStreamStats) and s.roundTripTime is not None
    ]
    received = [s for s in stats if isinstance(s, RTCReceivedRtpStreamStats)]
    lost = sum(max(s.packetsLost, 0) for s in received)
    expected = lost + sum(max(s.packetsReceived, 0) for s in received)
    return EchoReport(
        connection_state=connection_state,
        round_trip_ms=sum(rtts) / len(rtts) if rtts else None,
        packet_loss=lost / expected if expected else None,
    )


def rtc_ice_servers(servers: Iterable[IceServer]) -> list[RTCIceServer]:
    """aiortc's `RTCIceServer`s from the browser-shaped list `signaling.ice` builds."""
    return [
        RTCIceServer(
            urls=list(s["urls"]), username=s.get("username"), credential=s.get("credential")
        )
        for s in servers
    ]


def _check_offer(offer: SessionDescription) -> None:
    """Accept only an offer with at most one audio and one video section (caps CPU use)."""
    if offer.type != "offer":
        raise UnexpectedDescriptionType("the echo test needs an offer")
    kinds = _MEDIA_LINE.findall(offer.sdp)
    if not kinds or any(k not in ECHO_KINDS or kinds.count(k) > 1 for k in kinds):
        raise UnsupportedOffer("offer one audio and/or one video track, nothing else")


async def _negotiate(pc: RTCPeerConnection, offer: SessionDescription) -> SessionDescription:
    """Apply the offer and return the complete answer (aiortc puts all candidates in it)."""
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type=offer.type))
    await pc.setLocalDescription(await pc.createAnswer())
    return SessionDescription(type="answer", sdp=pc.localDescription.sdp)


def _echo(session: _Session, track: MediaStreamTrack) -> None:
    """Send a received track straight back; video drops stale frames rather than queueing."""
    if track.kind not in ECHO_KINDS:
        return
    session.sources.append(track)
    relay = MediaRelay()
    session.pc.addTrack(relay.subscribe(track, buffered=track.kind == "audio"))


def _note_state(session: _Session) -> None:
    """Record a connection state change; wake the watcher once media can no longer flow."""
    old, new = session.state, session.pc.connectionState
    if new == old:
        return
    log.debug("echo %d connection %s -> %s", session.number, old, new)
    session.state = new
    session.connected = session.connected or new == "connected"
    if new in ENDING_STATES:
        session.ended.set()


async def _drain_relays(sources: list[MediaStreamTrack]) -> None:
    """Wait (bounded) for closed sources to end, so their relay tasks finish with the session.

    Once connected, aiortc ends each received track shortly after `close()` (its decoder
    thread posts the end); the relay task reading it exits in the same step.
    """
    live = [t for t in sources if t.readyState == "live"]
    if not live:
        return
    ended = asyncio.Event()
    for track in live:
        track.once("ended", lambda: _set_if_all_ended(ended, live))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(RELAY_DRAIN_SECONDS):
            await ended.wait()


def _set_if_all_ended(event: asyncio.Event, tracks: list[MediaStreamTrack]) -> None:
    """Set `event` once every track in `tracks` has ended."""
    if all(t.readyState != "live" for t in tracks):
        event.set()
