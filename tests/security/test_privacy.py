"""Nothing personal outlives a visit; no token, password or SDP is ever kept.

A whole consultation in two real Chromium browsers, on a server whose presence lives in a
real Redis, with sentinel values: the guest's name and the person present with them, the
invitation token, both session cookies, the clinician's password, a technical message, and
the DTLS fingerprints, ICE ufrags and ICE passwords of every RTCPeerConnection the browsers
made (the echo test's and the call's). While the call runs, and again after the guest has
left, every sentinel is searched for in every log record (a JSON handler on the root logger
at DEBUG, and caplog), the audit stream, `/metrics`, every Redis key name and value, and the
bytes of every file in the server's data folder (the test's folder) and Redis's folder. Every
Redis key has a TTL, and after the visit every key about it goes within ten minutes. On the
memory store, whose clock can be faked, ten minutes after the end nothing of the visit is
left.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from playwright.async_api import Browser, Page, expect

from lobby.adapters.presence.memory import MemoryPresenceStore
from lobby.adapters.presence.redis.keys import DEFAULT_PREFIX, session_key, visit_key
from lobby.adapters.presence.store import RoomQuery
from lobby.adapters.presence.ttl import Ttls
from lobby.interfaces.realtime.common import CLINICIAN_COOKIE, GUEST_COOKIE
from lobby.keys import STORE
from lobby.logs import JsonFormatter
from tests.browser.conftest import DESKTOP, Site, clinic_site, require_tools
from tests.browser.flows import (
    continue_to_details,
    heading,
    join_waiting_room,
    lobby_entry,
    log_in,
    open_invitation,
    run_device_test,
)
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.servers import JOIN_DETAILS, PASSWORD, Client, Harness, Running, visit_in

NAME = "Sentinella Xq7Nordkapp"
PRESENT = "Vitne Zr4Finnmark, sister"
TECH_CODE = "cant_hear_you"
"""A fixed technical message: relayed, translated on screen, never stored."""
TEN_MINUTES = 600
PERSONAL = (NAME, "Xq7Nordkapp", PRESENT, "Zr4Finnmark")
"""The guest's name and the person present, whole and by their unmistakable part."""

SDP_OF_PAGE = """() => (window.__pcs || []).flatMap((pc) => [
  pc.localDescription, pc.remoteDescription,
  pc.currentLocalDescription, pc.currentRemoteDescription,
]).filter(Boolean).map((description) => description.sdp)"""
"""Every session description of every RTCPeerConnection the page made (tests/browser keeps
them in `window.__pcs`), closed ones included."""

GUEST_VISIT = """async () => (await (await fetch('/api/guest/session')).json()).visit"""

BASE64_CHAR = rb"[A-Za-z0-9+/]"


@dataclass(frozen=True)
class Sentinel:
    """A value that must not be found. A `short` one (a 4-character ICE ufrag) counts only on
    its own, not inside a longer base64 run, and keeps its case; the others match any case."""

    what: str
    value: str
    short: bool = False

    @property
    def pattern(self) -> re.Pattern[bytes]:
        escaped = re.escape(self.value.encode())
        if self.short:
            return re.compile(b"(?<!%s)%s(?!%s)" % (BASE64_CHAR, escaped, BASE64_CHAR))
        return re.compile(escaped, re.IGNORECASE)

    def found_in(self, data: bytes) -> bool:
        return self.pattern.search(data) is not None


def sdp_sentinels(sdps: list[str]) -> list[Sentinel]:
    """The DTLS fingerprints, ICE ufrags and ICE passwords in these session descriptions."""
    found: dict[str, Sentinel] = {}
    for sdp in sdps:
        for value in re.findall(r"^a=fingerprint:\S+ (\S+)", sdp, re.MULTILINE):
            found[value] = Sentinel("a DTLS fingerprint", value)
        for value in re.findall(r"^a=ice-ufrag:(\S+)", sdp, re.MULTILINE):
            found[value] = Sentinel("an ICE ufrag", value, short=len(value) < 8)
        for value in re.findall(r"^a=ice-pwd:(\S+)", sdp, re.MULTILINE):
            found[value] = Sentinel("an ICE password", value)
    return list(found.values())


# where to look ---------------------------------------------------------------------------


class Lines(logging.Handler):
    """Every record that reaches the root logger, formatted as the server logs (JSON)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """A JSON handler on the root logger at DEBUG for the whole test, the server's start
    included (the media loggers stay at WARNING, where the server puts them: at DEBUG they
    log SDP and candidates)."""
    handler = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def caplog_text(caplog: pytest.LogCaptureFixture) -> bytes:
    """Every record caplog captured: its message, and all its attributes (extras too)."""
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    return "\n".join(f"{r.getMessage()} {vars(r)!r}" for r in records).encode()


def _raw(value: object) -> bytes:
    """A value as Redis gave it (bytes: the client does not decode), or its repr."""
    if isinstance(value, bytes):
        return value
    return str(value).encode() if isinstance(value, str) else repr(value).encode()


async def _read(client: aioredis.Redis, key: bytes, kind: str) -> list[object]:
    """Everything a key holds, read the way its type is read."""
    if kind == "string":
        return [await client.get(key)]
    if kind == "hash":
        fields = await client.hgetall(key)
        return [_raw(field) + b"=" + _raw(value) for field, value in fields.items()]
    if kind == "zset":
        return list(await client.zrange(key, 0, -1, withscores=True))
    if kind == "list":
        return list(await client.lrange(key, 0, -1))
    if kind == "set":
        return list(await client.smembers(key))
    if kind == "stream":
        return list(await client.xrange(key) or ())
    raise AssertionError(f"Redis key {key!r} has a type this test cannot read: {kind}")


async def redis_contents(client: aioredis.Redis) -> dict[str, bytes]:
    """Every key of the database (SCAN) with everything in it, read by its type."""
    found: dict[str, bytes] = {}
    async for key in client.scan_iter(count=1000):
        kind = _raw(await client.type(key)).decode()
        parts = [_raw(part) for part in await _read(client, _raw(key), kind)]
        found[_raw(key).decode()] = b"\n".join([_raw(key), *parts])
    return found


def file_contents(*folders: Path) -> dict[str, bytes]:
    """The bytes of every file under these folders (one deleted meanwhile is skipped)."""
    found: dict[str, bytes] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                with contextlib.suppress(FileNotFoundError):
                    found[f"file {path}"] = path.read_bytes()
    return found


async def metrics_of(server: Running) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(f"{server.base_url}/metrics") as answer:
        assert answer.status == 200
        return await answer.read()


@dataclass
class Evidence:
    """Everything the server may have kept, by where it was found."""

    logs: bytes
    caplog: bytes
    audit: bytes
    metrics: bytes
    redis: dict[str, bytes]
    files: dict[str, bytes]

    def places(self) -> dict[str, bytes]:
        return {
            "an application log line": self.logs,
            "a caplog record": self.caplog,
            "the audit stream": self.audit,
            "/metrics": self.metrics,
            **{f"Redis key {key}": data for key, data in self.redis.items()},
            **self.files,
        }

    def assert_nowhere(
        self, sentinels: list[Sentinel], allowed: Mapping[str, str] | None = None
    ) -> None:
        """No sentinel anywhere, except where `allowed` says a value may be (a place whose
        name starts with the given text)."""
        allowed = allowed or {}
        leaks = [
            f"{sentinel.what} ({sentinel.value!r}) in {place}"
            for sentinel in sentinels
            for place, data in self.places().items()
            if sentinel.found_in(data) and not place.startswith(allowed.get(sentinel.value, "\0"))
        ]
        assert not leaks, "found where it must never be:\n" + "\n".join(leaks)


@dataclass
class Scene:
    """The running server (Redis presence) and everywhere it may write."""

    site: Site
    redis: aioredis.Redis
    redis_folder: Path
    lines: Lines

    async def evidence(self, caplog: pytest.LogCaptureFixture) -> Evidence:
        audit = Path(self.site.harness.settings().audit_path)
        assert audit.parent == self.site.harness.tmp_path
        return Evidence(
            logs="\n".join(self.lines.lines).encode(),
            caplog=caplog_text(caplog),
            audit=audit.read_bytes() if audit.exists() else b"",
            metrics=await metrics_of(self.site.server),
            redis=await redis_contents(self.redis),
            files=file_contents(self.site.harness.tmp_path, self.redis_folder),
        )

    async def ttls(self) -> dict[str, int]:
        """Every key's TTL; each must have one (never -1)."""
        keys = sorted(await redis_contents(self.redis))
        ttls = {key: int(await self.redis.ttl(key)) for key in keys}
        assert ttls, "the server keeps its presence in Redis: there must be keys"
        forever = {key: ttl for key, ttl in ttls.items() if ttl <= 0}
        assert not forever, f"Redis keys without a TTL: {forever}"
        return ttls


@pytest_asyncio.fixture(loop_scope="session")
async def scene(
    tmp_path: Path, redis_url: str, redis_server: RedisServer, log_lines: Lines
) -> AsyncIterator[Scene]:
    """The browser tests' site (one clinician, one room) on a server with a real Redis; its
    data folder is the test's folder."""
    require_tools()
    harness = Harness(tmp_path, redis_url)
    server = await harness.server(grace_period=20.0)
    site = await clinic_site(harness, server)
    client = aioredis.Redis.from_url(redis_url)
    try:
        yield Scene(site, client, redis_server.log.parent, log_lines)
    finally:
        await client.aclose()
        await site.close()
        await harness.close()
    assert not site.problems(), "\n".join(site.problems())


# the consultation ------------------------------------------------------------------------


async def in_a_call(site: Site, guest: Page, clinician: Page, token: str) -> None:
    """The guest tests their devices (the echo peer), joins with a name and a person present,
    is let in, and both sides connect; the guest sends a technical message."""
    await log_in(site, clinician)
    await open_invitation(site, guest, token)
    await run_device_test(guest)
    await continue_to_details(guest)
    await join_waiting_room(guest, NAME, present=(PRESENT,))
    await lobby_entry(clinician, NAME).get_by_role("button", name="Admit", exact=True).click()
    await expect(heading(guest, "Consultation")).to_be_visible()
    await expect(guest.locator("#call-status")).to_have_text("You are connected.", timeout=20_000)
    call_area = clinician.get_by_role("region", name="Consultation")
    await expect(call_area.get_by_role("status").first).to_have_text("You are connected.")
    await guest.get_by_label("Message", exact=True).select_option(TECH_CODE)
    await guest.get_by_role("button", name="Send message").click()
    await expect(call_area.get_by_role("log")).to_contain_text(f"{NAME}: I can't hear you")


async def leave(guest: Page, clinician: Page) -> None:
    await guest.get_by_role("button", name="Leave", exact=True).click()
    dialog = guest.get_by_role("dialog", name="Leave the consultation?")
    await dialog.get_by_role("button", name="Yes, leave").click()
    await expect(heading(guest, "You have left the consultation")).to_be_visible()
    await expect(clinician.get_by_role("region", name="Consultation")).to_be_hidden()


async def cookie(page: Page, name: str) -> str:
    (value,) = [c["value"] for c in await page.context.cookies() if c["name"] == name]
    return value


async def sentinels_of(token: str, guest: Page, clinician: Page) -> list[Sentinel]:
    sdps: list[str] = [*await guest.evaluate(SDP_OF_PAGE), *await clinician.evaluate(SDP_OF_PAGE)]
    from_sdp = sdp_sentinels(sdps)
    # The guest's page made two connections (the echo test's, the call's), the clinician's one.
    assert len([s for s in from_sdp if s.what == "a DTLS fingerprint"]) >= 3, sdps
    assert len([s for s in from_sdp if s.what == "an ICE ufrag"]) >= 4, sdps
    body, signature = token.split(".")
    return [
        *(Sentinel("the guest's name or the person present", value) for value in PERSONAL),
        Sentinel("the invitation token", token),
        Sentinel("the invitation token's body", body),
        Sentinel("the invitation token's signature", signature),
        Sentinel("the guest's session cookie", await cookie(guest, GUEST_COOKIE)),
        Sentinel("the clinician's session cookie", await cookie(clinician, CLINICIAN_COOKIE)),
        Sentinel("the clinician's password", PASSWORD),
        Sentinel("a technical message", TECH_CODE),
        Sentinel("an SDP line", "a=ice-ufrag:"),
        Sentinel("an SDP line", "a=fingerprint:"),
        *from_sdp,
    ]


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_a_consultation_leaves_nothing_personal_behind(
    scene: Scene,
    guest_browser: Browser,
    clinician_browser: Browser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    clinician = await scene.site.page(clinician_browser, viewport=DESKTOP)
    guest = await scene.site.page(guest_browser)
    token = await scene.site.invite()
    await in_a_call(scene.site, guest, clinician, token)
    visit_id = str((await guest.evaluate(GUEST_VISIT))["visit_id"])
    guest_session = await cookie(guest, GUEST_COOKIE)
    sentinels = await sentinels_of(token, guest, clinician)
    visit = visit_key(DEFAULT_PREFIX, visit_id)
    sessions = {
        await cookie(page, name): f"Redis key {DEFAULT_PREFIX}session:"
        for page, name in ((guest, GUEST_COOKIE), (clinician, CLINICIAN_COOKIE))
    }

    # While the call runs, the name and the person present are in the visit's hash (the
    # lobby shows them) and nowhere else; a session id is only its own key's name.
    during = await scene.evidence(caplog)
    assert all(value.encode() in during.redis[visit] for value in PERSONAL), during.redis[visit]
    assert visit_id.encode() in during.logs, "the visit's transitions were not logged"
    assert b'"event":"admit"' in during.audit, during.audit
    assert b"venterom_" in during.metrics, during.metrics
    assert any(b"SQLite format 3" in data for data in during.files.values()), list(during.files)
    during.assert_nowhere(sentinels, {**sessions, **dict.fromkeys(PERSONAL, f"Redis key {visit}")})
    await scene.ttls()

    await leave(guest, clinician)

    after = await scene.evidence(caplog)
    after.assert_nowhere(sentinels, sessions)
    assert b"\nstate=ended" in after.redis[visit], after.redis[visit]
    ttls = await scene.ttls()
    about_the_visit = {
        key: ttls[key]
        for key, data in after.redis.items()
        if visit_id.encode() in data or guest_session.encode() in data
    }
    assert 0 < about_the_visit[visit] <= TEN_MINUTES, about_the_visit
    # The guest's session record and the pointer to it go with the visit.
    assert session_key(DEFAULT_PREFIX, guest_session) in about_the_visit
    lingering = {key: ttl for key, ttl in about_the_visit.items() if ttl > TEN_MINUTES}
    assert not lingering, f"keys about the ended visit that outlive ten minutes: {lingering}"


# the memory store, whose clock can be faked ----------------------------------------------


class Clock:
    """Real time plus however far the test has moved it on."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every memory store the servers of this test create runs on `clock`."""
    fake = Clock()

    def store(ttls: Ttls | None = None) -> MemoryPresenceStore:
        return MemoryPresenceStore(ttls, clock=fake)

    monkeypatch.setattr("lobby.app.MemoryPresenceStore", store)
    return fake


async def memory_server(harness: Harness) -> tuple[Running, MemoryPresenceStore]:
    server = await harness.server()
    store = server.app[STORE]
    assert isinstance(store, MemoryPresenceStore)
    return server, store


async def consultation(harness: Harness, server: Running) -> tuple[Client, str, str]:
    """Over real sockets: a guest joins (sentinel name and company), is admitted, takes part
    in the call and leaves. (The guest's client, the visit id, the room id.)"""
    room_id = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, await harness.invite(room_id))
    details = {"display_name": NAME, "consent": True, "present": [PRESENT]}
    joined = await guest.call("join", {**details, "device_check": "passed"})
    assert joined["ok"], joined
    visit_id = str(joined["visit"]["visit_id"])
    assert (await doctor.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    assert (await guest.call("call_join"))["ok"]
    assert (await doctor.call("call_join", {"room_id": room_id}))["ok"]
    assert (await guest.call("tech_message", {"code": TECH_CODE}))["ok"]
    assert (await guest.call("leave"))["ok"]
    await guest.wait_for("visit", visit_in("ended"))
    return guest, visit_id, room_id


def session_of(guest: Client) -> str:
    (value,) = [c.value for c in guest.http.cookie_jar if c.key == GUEST_COOKIE]
    return value


def held_by(store: MemoryPresenceStore, now: float) -> dict[str, list[str]]:
    """What the store holds now, by attribute: the live entries of its expiring maps (key and
    value) and everything in its plain indexes."""
    held: dict[str, list[str]] = {}
    for name, value in vars(store).items():
        entries = getattr(value, "items", None)
        if isinstance(entries, dict):  # an expiring map: key -> entry with an expiry
            held[name] = [f"{k} {e.value!r}" for k, e in entries.items() if e.expires_at > now]
        elif isinstance(value, dict):
            held[name] = [f"{k} {v!r}" for k, v in value.items()]
    return held


async def guest_reloads(server: Running, guest: Client) -> tuple[int, str]:
    async with guest.http.get(f"{server.base_url}/api/guest/session") as answer:
        body = await answer.json()
        return answer.status, str(body.get("error") or body["visit"]["state"])


async def test_ten_minutes_after_the_end_the_memory_store_holds_nothing_of_the_visit(
    tmp_path: Path, clock: Clock
) -> None:
    harness = Harness(tmp_path)
    try:
        server, store = await memory_server(harness)
        guest, visit_id, room_id = await consultation(harness, server)
        session = session_of(guest)
        everything = repr(vars(store))  # expired entries not yet swept included
        assert not [s for s in (*PERSONAL, TECH_CODE) if s in everything]
        assert await guest_reloads(server, guest) == (200, "ended")  # the ended screen

        clock.ahead += TEN_MINUTES

        assert await store.get(visit_id) is None, "the store must run on the test's clock"
        assert await store.get_many([visit_id]) == {}
        assert await store.room_visits(room_id) == []
        assert visit_id not in (await store.room_snapshot(RoomQuery(room_id, (visit_id,)))).states
        assert visit_id not in await store.stale(clock() + 1e6)
        assert visit_id not in await store.reconnecting_since_before(clock() + 1e6)
        assert (await store.session_and_visit(session))[1] is None
        held = held_by(store, clock())
        about_it = {name: [e for e in entries if visit_id in e] for name, entries in held.items()}
        assert not any(about_it.values()), f"still held about the visit: {about_it}"
        # A reload now finds no session: the page asks to open the link again, which shows
        # how the visit ended (from the directory).
        assert await guest_reloads(server, guest) == (401, "unauthenticated")
    finally:
        await harness.close()


async def test_the_guest_session_goes_within_ten_minutes_of_the_end(
    tmp_path: Path, clock: Clock
) -> None:
    harness = Harness(tmp_path)
    try:
        server, store = await memory_server(harness)
        guest, _, _ = await consultation(harness, server)
        clock.ahead += TEN_MINUTES
        assert await store.get_session(session_of(guest)) is None
    finally:
        await harness.close()


async def test_a_denied_guest_cannot_start_over_once_the_tombstone_is_gone(
    tmp_path: Path, clock: Clock
) -> None:
    harness = Harness(tmp_path)
    try:
        server, _ = await memory_server(harness)
        room_id = await harness.room(await harness.clinician("doctor"))
        doctor = await harness.clinician_client(server, "doctor")
        token = await harness.invite(room_id)
        guest = await harness.guest(server, token)
        joined = await guest.call("join", {**JOIN_DETAILS, "display_name": "Denied Guest"})
        assert joined["ok"], joined
        denial = {"visit_id": joined["visit"]["visit_id"], "reason": "not_expected"}
        assert (await doctor.call("deny", denial))["ok"]
        clock.ahead += TEN_MINUTES
        http, again = await harness.open_link(server, token)
        await http.close()
        assert again["visit"]["state"] == "ended", again
        assert (again["visit"]["end_reason"], again["visit"]["detail"]) == (
            "denied",
            "not_expected",
        ), "the directory remembers why it ended"
    finally:
        await harness.close()
