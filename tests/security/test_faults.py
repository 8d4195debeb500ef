"""Faults with a call running: Redis restarting empty, and SIGTERM in the middle of an admit.

1. A real consultation in two headless Chromium browsers (guest and clinician) on a server
   whose presence lives in a real Redis that the test starts, stops and starts again, empty,
   on the same port; two more guests wait in the lobby (socket.io clients) in a known order.
   While Redis is down the call's media keeps flowing peer to peer, and every request that
   needs the store is answered `unavailable` at once: never a false success, never a hang.
   When Redis is back the instance writes back what its clients hold: the lobby is whole
   again, in the same order, the call goes on, and admitting works again.
2. A server process (`python -m lobby.interfaces.cli serve`) gets SIGTERM right after a clinician's
   `admit` was sent (or a few random milliseconds before or after), again and again, with a
   second instance on the same Redis. Each time the admission happened or did not, never half: the
   visit's hash, the room's live set and the reconnecting set agree, the audit stream says
   so too, and the second instance and the guest (reconnecting there with its cookie) see
   the same state; the server closed both clients' sockets itself and exited 0 within seconds.

Three product bugs these tests found are fixed: an admission made shortly before Redis was
lost was written back as `waiting` (1b), an outage logged an error on every sweep (1c), and
a connected client held SIGTERM's shutdown for `ping_timeout` (2b).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import random
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import socketio
from playwright.async_api import Browser, Page, expect

from lobby.adapters.presence.redis.keys import DEFAULT_PREFIX, room_live_key, visit_key
from tests.browser.conftest import DESKTOP, Site, require_tools
from tests.browser.flows import guest_to_waiting_room, heading, lobby_entry, log_in
from tests.fixtures.redis_server import (
    RedisServer,
    redis_binary,
    start_redis,
    stop_redis,
    unused_port,
)
from tests.fixtures.servers import (
    JOIN_DETAILS,
    Client,
    Harness,
    Running,
    free_port,
    lobby_with,
    visit_in,
    wait_until_up,
)
from tests.fixtures.upstream import UPSTREAM

T = TypeVar("T")

ANSWER_WITHIN = 3.0
"""Seconds within which a request that needs the store is refused while Redis is down."""
RESTORED_WITHIN = 30.0
"""Seconds after Redis is back within which the lobby is whole again."""
DISCONNECT_WITHIN = 5.0
"""Seconds after SIGTERM within which the server has closed its clients' sockets."""
EXIT_WITHIN = 3.0 if UPSTREAM.overrides("engine") else 8.0
"""Seconds after SIGTERM within which the server process has exited. Upstream's engine.io
sockets (`VENTEROM_UPSTREAM=engine`) end by their own timeouts: 5.1-5.4 s measured
(docs/upstream.md)."""

WAITING = ("Anna Aas", "Bernt Berg")
"""The two guests waiting in the lobby, in the order they arrived."""
IN_CALL = "Kari Nordmann"
LATE_JOIN = {**JOIN_DETAILS, "display_name": "Cato Carlsen"}
"""The guest who had opened the link, but not joined, when Redis went away."""


# a Redis the test stops and starts again ---------------------------------------------------------


def _port_outside_ephemeral_range() -> int:
    """A free port below the range the kernel hands to outgoing connections: while Redis is
    stopped, no client's connection (the browsers are busy) can take its port."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return unused_port()
    for _ in range(200):
        port = random.randrange(10_000, max(10_001, low))
        if port == 6379:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    return unused_port()


@dataclass
class RestartableRedis:
    """A redis-server child on a fixed port, without persistence (`--save '' --appendonly
    no`, tests/fixtures/redis_server.py): started again, it is empty."""

    workdir: Path
    port: int
    server: RedisServer | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.server is None, "already running"
        self.server = start_redis(redis_binary(), self.workdir, port=self.port)

    def stop(self) -> None:
        """What an operator's restart looks like: redis-server exits, its connections close."""
        assert self.server is not None, "not running"
        stop_redis(self.server.process)
        self.server = None


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    workdir = tmp_path / "redis"
    workdir.mkdir()
    redis = RestartableRedis(workdir, _port_outside_ephemeral_range())
    redis.start()
    try:
        yield redis
    finally:
        if redis.server is not None:
            redis.stop()


async def redis_keys(url: str, pattern: str) -> list[str]:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return [key async for key in client.scan_iter(pattern)]
    finally:
        await client.aclose()


async def timed(work: Awaitable[T]) -> tuple[T, float]:
    """The result of `work` and the seconds it took; a hang fails after ten seconds."""
    started = time.monotonic()
    async with asyncio.timeout(10):
        result = await work
    return result, time.monotonic() - started


async def eventually(check: Callable[[], Awaitable[T | None]], limit: float, what: str) -> T:
    """The first true result of `check`, polled until `limit` seconds have passed."""
    deadline = time.monotonic() + limit
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {limit} s")
        await asyncio.sleep(0.02)


async def redis_view(url: str, room_id: str, visit_id: str) -> dict[str, Any]:
    """The visit's hash and its entries in the room's live set and the reconnecting set."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        visit = await client.hgetall(visit_key(DEFAULT_PREFIX, visit_id))
        live = await client.zscore(room_live_key(DEFAULT_PREFIX, room_id), visit_id)
        reconnecting = await client.zscore(f"{DEFAULT_PREFIX}reconnecting", visit_id)
    finally:
        await client.aclose()
    return {"visit": visit, "live": live, "reconnecting": reconnecting}


# 1. Redis restarts empty during a consultation ---------------------------------------------------

INBOUND = """async () => {
  let bytes = 0;
  const states = [];
  for (const pc of window.__pcs || []) {
    states.push(pc.connectionState);
    if (pc.connectionState !== 'connected') continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') bytes += s.bytesReceived || 0;
    });
  }
  return { bytes, states };
}"""
"""Bytes received over the page's connected RTCPeerConnections, and every one's state."""

SETTLE = 2.0
"""Seconds between the admission and the outage: several of the keeper's refresh rounds
(lobby/services/keeper.py re-reads one slice of the held visits per heartbeat). Within one round the
admission is lost instead: see `test_an_admission_just_before_redis_is_lost_survives_it`."""


async def inbound(page: Page) -> int:
    seen = await page.evaluate(INBOUND)
    assert "connected" in seen["states"], f"no connected peer connection: {seen}"
    return int(seen["bytes"])


def lobby_names(page: Page) -> Any:
    return page.locator(".lobby > li .entry-name")


@pytest_asyncio.fixture(loop_scope="session")
async def faulty_site(
    tmp_path: Path, restartable_redis: RestartableRedis
) -> AsyncIterator[tuple[Site, RestartableRedis]]:
    require_tools()
    harness = Harness(tmp_path, restartable_redis.url)
    server = await harness.server(grace_period=60.0, heartbeat_interval=0.2)
    room = await harness.room(await harness.clinician("doctor"), name="Poliklinikk for voksne")
    site = Site(harness, server, room)
    try:
        yield site, restartable_redis
    finally:
        await site.close()
        await harness.close()
    assert not site.problems(), "\n".join(site.problems())


@pytest.mark.redis
@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_redis_restarting_empty_mid_consultation(
    faulty_site: tuple[Site, RestartableRedis], guest_browser: Browser, clinician_browser: Browser
) -> None:
    site, redis = faulty_site
    harness, server = site.harness, site.server

    # A consultation in two browsers, media flowing peer to peer.
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    guest = await site.page(guest_browser)
    await guest_to_waiting_room(site, guest, IN_CALL)
    await lobby_entry(clinician, IN_CALL).get_by_role("button", name="Admit", exact=True).click()
    admitted_at = time.monotonic()
    await expect(heading(guest, "Consultation")).to_be_visible()
    await expect(guest.locator("#call-status")).to_have_text("You are connected.", timeout=20_000)
    call_area = clinician.get_by_role("region", name="Consultation")
    await expect(call_area.get_by_role("status").first).to_have_text("You are connected.")

    # Two guests wait, in a known order; a third has opened the link and not joined yet.
    waiting = [await harness.waiting_guest(server, site.room_id, name) for name in WAITING]
    checking = await harness.guest(server, await site.invite())
    desk = await harness.clinician_client(server, "doctor")  # the clinician's second screen
    closed_by_server: list[object] = []
    desk.sio.on("disconnect", closed_by_server.append, namespace=desk.namespace)
    await expect(lobby_names(clinician)).to_have_text(list(WAITING))
    before = await desk.call("lobby", {"room_id": site.room_id})
    assert before["ok"], before
    lobby = [(v["visit_id"], v["display_name"], v["state"]) for v in before["lobby"]["visits"]]
    assert [(name, state) for _, name, state in lobby] == [
        (IN_CALL, "in_call"),
        (WAITING[0], "waiting"),
        (WAITING[1], "waiting"),
    ], lobby
    assert [visit_id for visit_id, _, _ in lobby[1:]] == [visit_id for _, visit_id in waiting]
    fresh_link = await site.invite()
    await asyncio.sleep(max(0.0, admitted_at + SETTLE - time.monotonic()))

    # Redis goes away.
    assert await redis_keys(redis.url, "venterom-rl*"), "rate limit counters, to be lost"
    guest_bytes, clinician_bytes = await inbound(guest), await inbound(clinician)
    redis.stop()
    stopped_at = time.monotonic()

    (http, body), took = await timed(harness.open_link(server, fresh_link))
    await http.close()
    assert (body["_status"], body["error"]) == (503, "unavailable"), body
    assert took < ANSWER_WITHIN, f"opening a link answered after {took:.1f} s"
    answers = {
        "join": await timed(checking.call("join", LATE_JOIN)),
        "leave": await timed(waiting[0][0].call("leave")),
        "admit": await timed(desk.call("admit", {"visit_id": waiting[1][1]})),
    }
    for event, (ack, took) in answers.items():
        assert (ack.get("ok"), ack.get("error")) == (False, "unavailable"), (event, ack)
        assert took < ANSWER_WITHIN, f"{event} answered after {took:.1f} s"
    # So does the dashboard, at once: it says so and leaves the guest in the lobby.
    await lobby_entry(clinician, WAITING[1]).get_by_role("button", name="Admit", exact=True).click()
    await expect(clinician.locator(".room-status")).to_contain_text(
        "That did not work", timeout=ANSWER_WITHIN * 1000
    )
    await expect(lobby_names(clinician)).to_have_text(list(WAITING))

    # The call does not need the server: media keeps flowing both ways.
    await asyncio.sleep(max(0.0, stopped_at + 2.0 - time.monotonic()))
    assert await inbound(guest) > guest_bytes, "the guest stopped receiving during the outage"
    assert await inbound(clinician) > clinician_bytes, "the clinician stopped receiving"
    guest_bytes, clinician_bytes = await inbound(guest), await inbound(clinician)

    # Redis comes back empty (the rate limits' counters, which nobody writes back, are gone);
    # the instance writes back what its clients hold.
    mark = desk.mark()
    redis.start()
    assert not await redis_keys(redis.url, "venterom-rl*"), "Redis came back with its data"
    restored = await desk.wait_for(
        "lobby",
        lambda lobby_now: (
            [(v["visit_id"], v["display_name"], v["state"]) for v in lobby_now["visits"]] == lobby
        ),
        timeout=RESTORED_WITHIN,
        after=mark,
    )
    assert restored["room_id"] == site.room_id
    assert not closed_by_server, f"the clinician's socket was closed: {closed_by_server}"
    await expect(lobby_names(clinician)).to_have_text(list(WAITING), timeout=10_000)
    await expect(heading(guest, "Consultation")).to_be_visible()
    await expect(guest.locator("#call-status")).to_have_text("You are connected.")
    await expect(call_area.get_by_role("status").first).to_have_text("You are connected.")
    assert await inbound(guest) > guest_bytes and await inbound(clinician) > clinician_bytes

    # What was refused during the outage did not happen; everything works again.
    assert {d["state"] for e, d in checking.events if e == "visit"} == {"checking"}
    joined = await checking.call("join", LATE_JOIN)
    assert joined["ok"] and joined["visit"]["state"] == "waiting", joined
    first_guest = waiting[0][0]
    await lobby_entry(clinician, WAITING[0]).get_by_role("button", name="Admit", exact=True).click()
    await first_guest.wait_for("visit", visit_in("in_call"))
    await expect(lobby_names(clinician)).to_have_text(
        [WAITING[1], LATE_JOIN["display_name"]], timeout=10_000
    )
    again = await harness.reconnect(server, waiting[1][0])  # its session was written back too
    assert (await again.wait_for("visit"))["state"] == "waiting"


# 1b. an admission within one refresh round of the loss ---------------------------------------

KEEPER_BEAT = 3.0
"""The heartbeat of the instance below: long enough that none falls between the admission
and the loss of Redis, short enough that the write-back comes soon after."""


@pytest.mark.redis
async def test_an_admission_just_before_redis_is_lost_survives_it(
    tmp_path: Path, restartable_redis: RestartableRedis
) -> None:
    harness = Harness(tmp_path, restartable_redis.url)
    try:
        server = await harness.server(heartbeat_interval=KEEPER_BEAT, grace_period=60.0)
        started = time.monotonic()

        async def first_heartbeat_done() -> list[str]:
            return await redis_keys(restartable_redis.url, "venterom:marker:*")

        # Its first heartbeat (right after starting) is over before anyone arrives; the next
        # one comes KEEPER_BEAT seconds later.
        await eventually(first_heartbeat_done, KEEPER_BEAT, "the instance's first heartbeat")
        room = await harness.room(await harness.clinician("doctor"))
        doctor = await harness.clinician_client(server, "doctor")
        guest, visit_id = await harness.admitted_guest(server, room, doctor, join_call=True)
        admitted = guest.mark()
        assert time.monotonic() - started < KEEPER_BEAT - 0.5, "no heartbeat since admitting"

        restartable_redis.stop()
        restartable_redis.start()

        async def written_back() -> dict[str, Any] | None:
            view = await redis_view(restartable_redis.url, room, visit_id)
            return view if view["visit"] else None

        stored = await eventually(written_back, RESTORED_WITHIN, "the keeper's write-back")
        await asyncio.sleep(0.5)  # what the keeper said of it has arrived

        told = [d["state"] for e, d in guest.events[admitted:] if e == "visit"]
        assert set(told) <= {"in_call"}, f"the admitted guest was told {told}"
        assert stored["visit"]["state"] == "in_call", stored
        lobby = await doctor.call("lobby", {"room_id": room})
        assert [(v["visit_id"], v["state"]) for v in lobby["lobby"]["visits"]] == [
            (visit_id, "in_call")
        ]
    finally:
        await harness.close()


# 1c. an outage in the log -------------------------------------------------------------------


@pytest.mark.redis
async def test_an_outage_is_logged_once_not_every_sweep(
    tmp_path: Path, restartable_redis: RestartableRedis, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness(tmp_path, restartable_redis.url)
    try:
        server = await harness.server()  # a sweep every 0.1 s
        room = await harness.room(await harness.clinician("doctor"))
        await harness.clinician_client(server, "doctor")  # a staff socket, checked every sweep
        await harness.waiting_guest(server, room)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            restartable_redis.stop()
            await asyncio.sleep(2.0)  # twenty sweeps
            restartable_redis.start()
            await asyncio.sleep(0.5)
        ours = [r for r in caplog.records if r.name.startswith("venterom")]
        counts = collections.Counter((r.levelname, r.getMessage()) for r in ours)
        repeated = {line: n for line, n in counts.items() if n > 3}
        assert not repeated, f"logged on (nearly) every sweep of the outage: {repeated}"
    finally:
        await harness.close()


# 2. SIGTERM during an admit --------------------------------------------------------------------

ROUNDS = 4
"""SIGTERMs per variant."""
EARLIEST, LATEST = -0.02, 0.05
"""Where the random variant sends SIGTERM, in seconds from sending `admit` (negative:
before it): an admission takes a few milliseconds, so the signal lands before, during and
after it."""
QUICK_GOODBYE = 1.0
"""The `ping_timeout` of the processes below: at shutdown each websocket is held that long
(10 s by default) waiting for its client to close first, see
`test_sigterm_with_clients_connected_exits_within_seconds`; their exit is allowed as much
longer."""


@dataclass
class Served:
    """A `venterom serve` process; the Harness's helpers need only its `base_url`."""

    process: asyncio.subprocess.Process
    base_url: str
    log: Path
    audit: Path

    @property
    def as_server(self) -> Running:
        return cast(Running, self)

    def logged(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop_now(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


async def serve(harness: Harness, folder: Path, **settings: str) -> Served:
    """`python -m lobby.interfaces.cli serve` on the harness's Redis, directory, secret and
    channel."""
    folder.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VENTEROM_HOST": "127.0.0.1",
        "VENTEROM_PORT": str(port),
        "VENTEROM_PUBLIC_URL": base,
        "VENTEROM_DATA_DIR": str(folder),
        "VENTEROM_DATABASE": harness.database,
        "VENTEROM_SECRET": harness.secret,
        "VENTEROM_REDIS_URL": harness.redis_url,
        "VENTEROM_REDIS_CHANNEL": harness.channel,
        **settings,
    }
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lobby.interfaces.cli",
            "serve",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    served = Served(process, base, log, folder / "audit.log")
    try:
        await wait_until_up(base)
    except BaseException:
        await served.stop_now()
        raise
    return served


@dataclass
class Closed:
    """When and why the server closed a client's socket."""

    at: list[tuple[float, object]] = field(default_factory=list)

    def watch(self, client: Client) -> None:
        def gone(reason: object = None) -> None:
            self.at.append((time.monotonic(), reason))

        client.sio.on("disconnect", gone, namespace=client.namespace)


def audited_admissions(served: Served, visit_id: str) -> int:
    if not served.audit.exists():
        return 0
    lines = [json.loads(line) for line in served.audit.read_text().splitlines() if line]
    return sum(1 for e in lines if e.get("event") == "admit" and e.get("visit") == visit_id)


async def sigterm_round(
    harness: Harness, other: Running, folder: Path, room: str, delay: float
) -> str:
    """One server process, one guest waiting, one admit, one SIGTERM `delay` seconds after
    it (before it, if negative): what became of the admission."""
    served = await serve(harness, folder, VENTEROM_PING_TIMEOUT=str(QUICK_GOODBYE))
    try:
        desk = await harness.clinician_client(served.as_server, "doctor")
        guest, visit_id = await harness.waiting_guest(served.as_server, room)
        await desk.wait_for("lobby", lobby_with(room, 1))
        closed = Closed()
        closed.watch(desk)
        closed.watch(guest)
        acks: list[dict[str, Any]] = []
        told = guest.mark()

        where = f"{folder.name}: SIGTERM {delay * 1000:+.0f} ms from the emit"
        sent = True
        if delay < 0:
            served.process.send_signal(signal.SIGTERM)
            term = time.monotonic()
            await asyncio.sleep(-delay)
        try:
            await desk.sio.emit(
                "admit", {"visit_id": visit_id}, namespace=desk.namespace, callback=acks.append
            )
        except socketio.exceptions.BadNamespaceError:
            sent = False  # the server had closed the socket already
        if delay >= 0:
            await asyncio.sleep(delay)
            served.process.send_signal(signal.SIGTERM)
            term = time.monotonic()

        async def both_closed() -> bool:
            return len(closed.at) == 2

        await eventually(both_closed, DISCONNECT_WITHIN, f"{where}: the server closes sockets")
        assert all(reason == "server disconnect" for _, reason in closed.at), (where, closed.at)
        async with asyncio.timeout(EXIT_WITHIN + QUICK_GOODBYE):
            await served.process.wait()
        exited = time.monotonic() - term
        assert served.process.returncode == 0, (where, served.logged())
        closing = max(at for at, _ in closed.at) - term
    finally:
        await served.stop_now()

    # Never half: the visit's hash and the room's indexes agree ...
    stored = await redis_view(harness.redis_url, room, visit_id)
    state = stored["visit"].get("state")
    assert state in {"waiting", "in_call"}, (where, stored)
    assert stored["live"] == float(stored["visit"]["waiting_since"]), (where, stored)
    flagged = stored["visit"].get("reconnecting") == "1"
    assert flagged == (stored["reconnecting"] is not None), (where, stored)
    admitted = state == "in_call"
    assert sent or not admitted, (where, stored)
    # ... and so do the audit stream, the acknowledgement and what the guest was told.
    assert audited_admissions(served, visit_id) == int(admitted), (where, stored)
    for ack in acks:
        assert ack.get("ok") is admitted, (where, ack, stored)
    states = [d["state"] for e, d in guest.events[told:] if e == "visit"]
    assert admitted or "in_call" not in states, (where, states, stored)

    # On the second instance, the guest (same cookie) and the clinician see the same.
    back = await harness.reconnect(other, guest)
    assert (await back.wait_for("visit"))["state"] == state, where
    await back.wait_for("visit", lambda v: not v["reconnecting"])
    again = await harness.reconnect(other, desk)
    lobby = await again.wait_for("lobby", lambda p: p["room_id"] == room)
    assert [(v["visit_id"], v["state"]) for v in lobby["visits"]] == [(visit_id, state)], where
    call = await back.call("call_join")
    if admitted:  # in the call, not only in its state
        assert call["ok"], (where, call)
        assert visit_id in [m["peer_id"] for m in call["roster"]["members"]], (where, call)
    else:  # refused or never applied: it can be admitted now
        assert (call.get("ok"), call.get("error")) == (False, "not_in_call"), (where, call)
        assert (await again.call("admit", {"visit_id": visit_id}))["ok"], where
        await back.wait_for("visit", visit_in("in_call"))
    for client in (desk, guest, back, again):
        await client.close()
    answer = "no answer" if not acks else "ok" if acks[0].get("ok") else acks[0].get("error")
    if not sent:
        answer = "not sent"
    return (
        f"{delay * 1000:+.0f} ms: {state} ({answer}; closed {closing:.1f} s, exit {exited:.1f} s)"
    )


@pytest.mark.redis
@pytest.mark.parametrize("delayed", [False, True], ids=["at-once", "random-delay"])
async def test_sigterm_during_an_admit_never_half_applies_it(
    tmp_path: Path, redis_url: str, delayed: bool
) -> None:
    harness = Harness(tmp_path, redis_url)
    chance = random.Random()
    outcomes = []
    try:
        other = await harness.server()  # the second instance, on the same Redis
        doctor = await harness.clinician("doctor")
        for round_ in range(ROUNDS):
            room = await harness.room(doctor, name=f"Room {round_}")
            delay = chance.uniform(EARLIEST, LATEST) if delayed else 0.0
            folder = tmp_path / f"serve-{round_}"
            outcomes.append(await sigterm_round(harness, other, folder, room, delay))
    finally:
        await harness.close()
    print(f"SIGTERM {'after a random delay' if delayed else 'at once'}: {outcomes}")


# 2b. how long SIGTERM takes with clients connected -----------------------------------------


@pytest.mark.redis
async def test_sigterm_with_clients_connected_exits_within_seconds(
    tmp_path: Path, redis_url: str
) -> None:
    harness = Harness(tmp_path, redis_url)
    try:
        room = await harness.room(await harness.clinician("doctor"))
        served = await serve(harness, tmp_path / "serve")  # the default ping_timeout
        try:
            await harness.clinician_client(served.as_server, "doctor")
            await harness.waiting_guest(served.as_server, room)
            served.process.send_signal(signal.SIGTERM)
            term = time.monotonic()
            async with asyncio.timeout(60):
                await served.process.wait()
            exited = time.monotonic() - term
        finally:
            await served.stop_now()
        assert served.process.returncode == 0, served.logged()
        assert exited < EXIT_WITHIN, f"exited {exited:.1f} s after SIGTERM"
    finally:
        await harness.close()
