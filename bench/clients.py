"""Load clients: guests and clinicians as real socket.io clients over the websocket transport.

Every client of a process shares one aiohttp session (one connector, no cookie jar); each
socket sends its own session cookie in the `Cookie` header of its websocket handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import socketio

from bench.seed import PASSWORD, SeededVisit

GUEST_NS = "/guest"
CLINICIAN_NS = "/clinician"
GUEST_COOKIE = "venterom_guest"
CLINICIAN_COOKIE = "venterom_session"
CALL_TIMEOUT = 20.0
CONNECT_TIMEOUT = 10.0
JOIN_DETAILS: dict[str, Any] = {
    "display_name": "Bench Guest",
    "consent": True,
    "present": [],
    "device_check": "passed",
}

T = TypeVar("T")


class BenchError(RuntimeError):
    """A step the benchmark needs failed (refused, timed out, wrong state)."""


def now() -> float:
    """The harness clock (monotonic, high resolution)."""
    return time.perf_counter()


def error_name(exc: BaseException) -> str:
    """A short, stable label for counting failures."""
    text = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Load:
    """The HTTP session and socket factory every client of one process shares."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT),
        )

    async def close(self) -> None:
        await self.http.close()

    async def open_link(self, token: str) -> str:
        """Exchange an invitation for a guest session; return the Cookie header value."""
        url = f"{self.base_url}/api/guest/session"
        async with self.http.post(url, json={"token": token}) as response:
            if response.status != 200:
                raise BenchError(f"open_link {response.status}: {await response.text()}")
            await response.read()
            return f"{GUEST_COOKIE}={response.cookies[GUEST_COOKIE].value}"

    async def login(self, username: str) -> str:
        """Log a clinician in (argon2: slow by design); return the Cookie header value."""
        url = f"{self.base_url}/api/login"
        body = {"username": username, "password": PASSWORD}
        async with self.http.post(url, json=body) as response:
            if response.status != 200:
                raise BenchError(f"login {response.status}: {await response.text()}")
            await response.read()
            return f"{CLINICIAN_COOKIE}={response.cookies[CLINICIAN_COOKIE].value}"

    def socket(self, cookie: str = "") -> socketio.AsyncClient:
        """A client on the shared session; the cookie goes in the websocket handshake."""
        options: dict[str, Any] = {"headers": {"Cookie": cookie}} if cookie else {}
        return socketio.AsyncClient(
            reconnection=False,
            http_session=self.http,
            handle_sigint=False,
            websocket_extra_options=options,
        )

    async def connect(self, sio: socketio.AsyncClient, namespace: str) -> None:
        await sio.connect(
            self.base_url,
            namespaces=[namespace],
            transports=["websocket"],
            headers={"Origin": self.base_url},  # as a browser sends it; others are refused
            wait_timeout=CONNECT_TIMEOUT,
        )


async def call(sio: socketio.AsyncClient, namespace: str, event: str, data: Any) -> dict[str, Any]:
    """An acknowledged event; a refusal (`ok: false`) raises BenchError."""
    ack: dict[str, Any] = await sio.call(event, data, namespace=namespace, timeout=CALL_TIMEOUT)
    if not isinstance(ack, dict) or ack.get("ok") is False:
        raise BenchError(f"{event} refused: {ack!r}")
    return ack


@dataclass(eq=False)
class Guest:
    """One guest: the visit, the socket, and futures for the states it waits to see."""

    visit: SeededVisit
    sio: socketio.AsyncClient | None = None
    state: str = ""
    _waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def on_visit(self, data: dict[str, Any]) -> None:
        self.state = str(data.get("state"))
        waiter = self._waiters.pop(self.state, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now())

    def expect(self, state: str) -> asyncio.Future[float]:
        """A future set to the arrival time of the next `visit` event in `state`."""
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[state] = waiter
        return waiter


@dataclass(frozen=True, slots=True)
class Arrival:
    """How one guest's arrival went: timings of each step in seconds, or the error."""

    ok: bool
    error: str = ""
    post_s: float = 0.0
    connect_s: float = 0.0
    join_s: float = 0.0
    total_s: float = 0.0


def arrival_failures(arrivals: Iterable[Arrival | None]) -> Counter[str]:
    """Failed arrivals by error; None is an arrival that never started (deadline)."""
    failures: Counter[str] = Counter()
    for arrival in arrivals:
        if arrival is None:
            failures["not started"] += 1
        elif not arrival.ok:
            failures[arrival.error] += 1
    return failures


async def arrive(load: Load, guest: Guest, join: bool = True) -> Arrival:
    """Open the link, connect to /guest and (optionally) join the waiting room."""
    started = now()
    try:
        cookie = await load.open_link(guest.visit.token)
        posted = now()
        sio = load.socket(cookie)
        sio.on("visit", guest.on_visit, namespace=GUEST_NS)
        guest.sio = sio
        await load.connect(sio, GUEST_NS)
        connected = now()
        join_s = 0.0
        if join:
            join_s = await join_room(guest)
        done = now()
        return Arrival(True, "", posted - started, connected - posted, join_s, done - started)
    except Exception as exc:
        return Arrival(False, error_name(exc), total_s=now() - started)


async def join_room(guest: Guest) -> float:
    """Send `join` and check the guest is waiting; the ack's round trip in seconds."""
    assert guest.sio is not None
    started = now()
    ack = await call(guest.sio, GUEST_NS, "join", JOIN_DETAILS)
    elapsed = now() - started
    if ack.get("visit", {}).get("state") != "waiting":
        raise BenchError(f"join left the visit in {ack.get('visit')!r}")
    return elapsed


@dataclass(eq=False)
class Clinician:
    """A clinician's dashboard socket, counting the `lobby` updates it receives."""

    username: str
    rooms: list[str]
    sio: socketio.AsyncClient | None = None
    lobby_events: list[tuple[float, str]] = field(default_factory=list)
    counting: bool = False

    def on_lobby(self, data: dict[str, Any]) -> None:
        if self.counting:
            self.lobby_events.append((now(), str(data.get("room_id"))))

    async def admit(self, visit_id: str) -> dict[str, Any]:
        assert self.sio is not None
        return await call(self.sio, CLINICIAN_NS, "admit", {"visit_id": visit_id})


async def connect_clinician(load: Load, username: str, rooms: list[str]) -> Clinician:
    """Log in and connect the clinician's dashboard."""
    clinician = Clinician(username, rooms)
    sio = load.socket(await load.login(username))
    sio.on("lobby", clinician.on_lobby, namespace=CLINICIAN_NS)
    clinician.sio = sio
    await load.connect(sio, CLINICIAN_NS)
    return clinician


async def admission(clinician: Clinician, guest: Guest, timeout: float = CALL_TIMEOUT) -> float:
    """Admit a waiting guest: seconds from the `admit` emit to the guest's in_call `visit`."""
    arrived = guest.expect("in_call")
    started = now()
    ack = await clinician.admit(guest.visit.visit_id)
    if ack.get("visit", {}).get("state") != "in_call":
        raise BenchError(f"admit left the visit in {ack.get('visit')!r}")
    return await asyncio.wait_for(arrived, timeout) - started


@dataclass
class Sampled:
    """Latency samples of a repeated step, and the failures by kind."""

    samples: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    count: int = 0
    """Steps run, warm-up and failures included."""
    collecting_s: float = 0.0
    """Time the harness's own garbage collector took between steps."""

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


async def sequential(
    steps: Iterable[Callable[[], Awaitable[float]]], deadline_s: float, warmup: int = 0
) -> Sampled:
    """Run steps one at a time (until the deadline), keeping samples after the warm-up.

    The harness's garbage collector runs between steps, never inside one: this one process
    plays every client, so a pause here would stall all of them at once inside a timed step,
    which independent browsers never do. (Measured at a969e42: 66 young and 6 older
    collections in one memory admission phase, 9 of its 20 slowest admissions inside one.)
    """
    result = Sampled()
    started = now()
    with _collected_between_steps():
        for index, step in enumerate(steps):
            if now() - started > deadline_s:
                result.failures["deadline"] += 1
                break
            result.count += 1
            try:
                sample = await step()
            except Exception as exc:
                result.failures[error_name(exc)] += 1
                continue
            finally:
                result.collecting_s += collect_if_due()
            if index >= warmup:
                result.samples.append(sample)
    result.seconds = now() - started
    return result


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """No automatic garbage collection in this process for the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _collected_between_steps() -> Iterator[None]:
    """Automatic collection off (and the set-up frozen) for the block; see `sequential`."""
    gc.freeze()
    try:
        with collector_off():
            yield
    finally:
        gc.unfreeze()


def collect_if_due() -> float:
    """Collect as CPython would have by now (the oldest generation past its threshold);
    return the seconds it took."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] <= thresholds[0]:
        return 0.0
    due = [generation for generation in range(3) if counts[generation] > thresholds[generation]]
    started = now()
    gc.collect(due[-1])
    return now() - started


async def bounded(
    items: Sequence[T],
    run: Callable[[T], Awaitable[Any]],
    concurrency: int,
    deadline_s: float,
) -> list[Any]:
    """Run `run(item)` for every item with at most `concurrency` in flight, within a deadline.

    Results keep the items' order; an item not started before the deadline gets None.
    """
    results: list[Any] = [None] * len(items)
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(items):
            index = next_index
            next_index += 1
            results[index] = await run(items[index])

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(items)))]
    try:
        async with asyncio.timeout(deadline_s):
            await asyncio.gather(*workers)
    except TimeoutError:
        pass
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return results


async def disconnect_all(sockets: Iterable[socketio.AsyncClient | None], limit: float) -> None:
    """Disconnect sockets (many at once), giving up after `limit` seconds."""
    live = [s for s in sockets if s is not None and s.connected]

    async def close(sio: socketio.AsyncClient) -> None:
        with contextlib.suppress(Exception):
            await sio.disconnect()

    await bounded(live, close, 200, limit)
