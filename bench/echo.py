"""Benchmark 6, the echo peer: real aiortc clients run the connection test through the
`/guest` events `echo_start` / `echo_stats` / `echo_stop`, at most the server's cap (4) at
once. Measures offer -> connected time (from the `echo_start` emit to the client's
connectionState `connected`) and server CPU per echo session while media flows.
Baseline: the same aiortc client against an in-process aiortc echo peer (no server).

The peers' ICE host candidates are on the machine's own non-loopback address (aioice skips
127.0.0.1); the media never leaves the host."""

from __future__ import annotations

import array
import asyncio
import contextlib
import fractions
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

from bench.clients import GUEST_NS, Guest, Load, call, disconnect_all, error_name, now
from bench.context import Context, arrive_all
from bench.procs import CpuMeter, ServerProcess
from bench.report import Result, Target
from bench.seed import spread
from bench.stats import ratio, summary

NAME = "echo"
CONNECT_TIMEOUT = 20.0
TARGET_P95_MS = 300.0
WIDTH, HEIGHT, FPS = 640, 480, 15
SAMPLE_RATE, SAMPLES = 48_000, 960


class Camera(MediaStreamTrack):
    """A solid-colour 640x480 camera at 15 fps."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._index, self._start = 0, 0.0
        self._frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        for plane, value in zip(self._frame.planes, (120, 90, 200), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        if self._index == 0:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self._index / FPS - loop.time()))
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        for target, source in zip(frame.planes, self._frame.planes, strict=True):
            target.update(bytes(source))
        frame.pts, frame.time_base = self._index * (90_000 // FPS), fractions.Fraction(1, 90_000)
        self._index += 1
        return frame


class Microphone(MediaStreamTrack):
    """A 440 Hz tone in 20 ms frames."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._index, self._start = 0, 0.0
        step = 2 * math.pi * 440 / SAMPLE_RATE
        self._samples = array.array("h", (int(8000 * math.sin(step * i)) for i in range(SAMPLES)))

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._index == 0:
            self._start = loop.time()
        due = self._start + self._index * SAMPLES / SAMPLE_RATE
        await asyncio.sleep(max(0.0, due - loop.time()))
        frame = av.AudioFrame(format="s16", layout="mono", samples=SAMPLES)
        frame.planes[0].update(self._samples.tobytes())
        frame.sample_rate, frame.pts = SAMPLE_RATE, self._index * SAMPLES
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._index += 1
        return frame


@dataclass
class Client:
    """One guest's aiortc peer: sends camera + microphone, counts what comes back."""

    pc: RTCPeerConnection = field(
        default_factory=lambda: RTCPeerConnection(RTCConfiguration(iceServers=[]))
    )
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    frames: Counter[str] = field(default_factory=Counter)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pc.addTrack(Microphone())
        self.pc.addTrack(Camera())
        self.pc.on("connectionstatechange", self._state)
        self.pc.on("track", self._track)

    def _track(self, track: MediaStreamTrack) -> None:
        self.readers.append(asyncio.create_task(self._read(track)))

    def _state(self) -> None:
        if self.pc.connectionState == "connected":
            self.connected.set()

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.frames[track.kind] += 1

    async def offer(self) -> dict[str, str]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"type": "offer", "sdp": self.pc.localDescription.sdp}

    async def answer(self, description: dict[str, str]) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(**description))

    async def close(self) -> None:
        await self.pc.close()
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


Negotiate = Callable[[Client], Awaitable[float]]
"""Sends the client's offer and applies the answer; returns when the offer was sent."""


@dataclass
class Batch:
    """Sessions run together: connect all, let media flow, then finish all."""

    connect_s: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    frames: list[Counter[str]] = field(default_factory=list)
    cpu_percent: float | None = None
    stats: list[dict[str, Any]] = field(default_factory=list)


async def run_batch(
    negotiators: list[Negotiate],
    media_s: float,
    meter: CpuMeter | None,
    finish: Callable[[int], Awaitable[dict[str, Any]]] | None = None,
) -> Batch:
    """Connect one client per negotiator, measure CPU while media flows, then close."""
    batch = Batch()
    clients = [Client() for _ in negotiators]

    async def connect(client: Client, negotiate: Negotiate) -> None:
        sent = await negotiate(client)
        await asyncio.wait_for(client.connected.wait(), CONNECT_TIMEOUT)
        batch.connect_s.append(now() - sent)

    try:
        results = await asyncio.gather(
            *(connect(c, n) for c, n in zip(clients, negotiators, strict=True)),
            return_exceptions=True,
        )
        for outcome in results:
            if isinstance(outcome, BaseException):
                batch.failures[error_name(outcome)] += 1
        if meter is not None:
            meter.start()
        await asyncio.sleep(media_s)
        if meter is not None:
            batch.cpu_percent = meter.stop().percent
        if finish is not None:
            for index in range(len(clients)):
                try:
                    batch.stats.append(await finish(index))
                except Exception as exc:
                    batch.failures[error_name(exc)] += 1
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    for client in clients:
        batch.frames.append(client.frames)
        if not client.frames["video"] or not client.frames["audio"]:
            batch.failures["no media echoed"] += 1
    return batch


def _via_server(guest: Guest) -> Negotiate:
    async def negotiate(client: Client) -> float:
        assert guest.sio is not None
        offer = await client.offer()
        sent = now()
        ack = await call(guest.sio, GUEST_NS, "echo_start", {"description": offer})
        await client.answer(ack["description"])
        return sent

    return negotiate


def _in_process(peers: list[RTCPeerConnection]) -> Negotiate:
    """The baseline: an aiortc echo peer in the harness, answering like the server's."""

    async def negotiate(client: Client) -> float:
        offer = await client.offer()
        sent = now()
        peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peers.append(peer)
        relay = MediaRelay()
        peer.on("track", lambda track: peer.addTrack(relay.subscribe(track)))
        await peer.setRemoteDescription(RTCSessionDescription(**offer))
        await peer.setLocalDescription(await peer.createAnswer())
        await client.answer({"type": "answer", "sdp": peer.localDescription.sdp})
        return sent

    return negotiate


def _merge(batches: list[Batch]) -> dict[str, Any]:
    failures: Counter[str] = Counter()
    for batch in batches:
        failures.update(batch.failures)
    cpu = [b.cpu_percent / max(1, len(b.connect_s)) for b in batches if b.cpu_percent]
    frames = [f for b in batches for f in b.frames]
    return {
        "sessions": sum(len(b.frames) for b in batches),
        "offer_to_connected": summary([s for b in batches for s in b.connect_s]),
        "server_cpu_percent_per_session": round(sum(cpu) / len(cpu), 1) if cpu else None,
        "echoed_video_frames_min": min((f["video"] for f in frames), default=0),
        "echoed_audio_frames_min": min((f["audio"] for f in frames), default=0),
        "echo_stats": [s for b in batches for s in b.stats][:8],
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


async def via_server(ctx: Context, server: ServerProcess) -> dict[str, Any]:
    """Echo sessions through a Venterom server, `echo_concurrency` at a time."""
    scale = ctx.scale
    load = Load(server.url)
    guests = ctx.guests(ctx.seeded.pick(scale.echo_sessions))
    batches: list[Batch] = []
    try:
        _, failures = await arrive_all(load, guests, scale.arrival_concurrency, join=False)
        idle = server.cpu().start()
        await asyncio.sleep(1.0)
        idle.stop()
        for start in range(0, len(guests), scale.echo_concurrency):
            group = guests[start : start + scale.echo_concurrency]

            async def finish(index: int, group: list[Guest] = group) -> dict[str, Any]:
                sio = group[index].sio
                stats = await call(sio, GUEST_NS, "echo_stats", None)
                await call(sio, GUEST_NS, "echo_stop", None)
                return {k: stats.get(k) for k in ("state", "rtt_ms", "packet_loss")}

            batches.append(
                await run_batch(
                    [_via_server(g) for g in group],
                    scale.echo_media_seconds,
                    server.cpu(),
                    finish,
                )
            )
    finally:
        await server.astop()
        await disconnect_all([g.sio for g in guests], 5.0)
        await load.close()
    merged = _merge(batches)
    merged["server_idle_cpu_percent"] = idle.percent
    merged["failures"] += sum(failures.values())
    return merged


async def in_process(ctx: Context) -> dict[str, Any]:
    """The baseline: the same clients against in-process aiortc echo peers."""
    scale = ctx.scale
    batches: list[Batch] = []
    for start in range(0, scale.echo_sessions, scale.echo_concurrency):
        peers: list[RTCPeerConnection] = []
        size = min(scale.echo_concurrency, scale.echo_sessions - start)
        try:
            batches.append(await run_batch([_in_process(peers)] * size, 1.0, None))
        finally:
            await asyncio.gather(*(p.close() for p in peers), return_exceptions=True)
    return _merge(batches)


async def run(ctx: Context) -> Result:
    scale = ctx.scale
    result = ctx.result(NAME, "Echo peer (connection test with real aiortc clients)")
    result.params = {
        "sessions": scale.echo_sessions,
        "at_once": scale.echo_concurrency,
        "media_seconds": scale.echo_media_seconds,
        "media": f"{WIDTH}x{HEIGHT} {FPS} fps video + 48 kHz mono audio",
    }
    await ctx.scenario(NAME, spread(scale.echo_sessions, scale.rooms))
    ctx.say("echo: in-process baseline")
    result.baseline = await in_process(ctx)
    ctx.say("echo: through the server")
    with contextlib.ExitStack() as stack:
        result.figures = await via_server(ctx, ctx.lobby(stack, "echo"))
    base, f = result.baseline["offer_to_connected"], result.figures["offer_to_connected"]
    result.ratio = {
        "p50": ratio(f["p50_ms"], base["p50_ms"]),
        "p95": ratio(f["p95_ms"], base["p95_ms"]),
    }
    result.failures = result.figures["failures"] + result.baseline["failures"]
    result.table = [
        ["offer -> connected p50 ms", f["p50_ms"], base["p50_ms"], result.ratio["p50"]],
        ["offer -> connected p95 ms", f["p95_ms"], base["p95_ms"], result.ratio["p95"]],
        [
            "server CPU % of a core per session",
            result.figures["server_cpu_percent_per_session"],
            "",
            "",
        ],
        [
            "echoed video frames (min per session)",
            result.figures["echoed_video_frames_min"],
            result.baseline["echoed_video_frames_min"],
            "",
        ],
    ]
    result.targets = [Target("echo offer->connected p95 ms", f["p95_ms"], "<=", TARGET_P95_MS)]
    return result
