"""One contract for every presence store: the memory backend's behaviour, checked on both."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from lobby.adapters.presence.memory import MemoryPresenceStore
from lobby.adapters.presence.redis import RedisPresenceStore
from lobby.adapters.presence.store import (
    CallMember,
    Notice,
    PresenceStore,
    RoomQuery,
    SessionRecord,
)
from lobby.adapters.presence.ttl import Ttls
from lobby.domain.machine import apply
from lobby.domain.model import (
    Action,
    Actor,
    DenyReason,
    EndReason,
    Joining,
    Role,
    Visit,
    VisitState,
)
from tests.fixtures.upstream import UPSTREAM

FAR_FUTURE = 1e12


class Clock:
    """Fake time for the memory backend; real time for Redis, whose TTLs run on its own clock."""

    def __init__(self) -> None:
        self.fake = 1_700_000_000.0
        self.real = False

    def __call__(self) -> float:
        return time.time() if self.real else self.fake

    async def advance(self, seconds: float) -> None:
        if self.real:
            await asyncio.sleep(seconds)
        else:
            self.fake += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ttls() -> Ttls:
    """Default TTLs; a test may override this fixture by parametrizing `ttls`."""
    return Ttls()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(
    request: pytest.FixtureRequest, clock: Clock, ttls: Ttls
) -> AsyncIterator[PresenceStore]:
    """Each backend in turn, empty at start."""
    backend: PresenceStore
    if request.param == "memory":
        backend = MemoryPresenceStore(ttls, clock=clock)
    else:
        clock.real = True
        backend = RedisPresenceStore.from_url(
            request.getfixturevalue("redis_url"), ttls, pipelined=UPSTREAM.overrides("resp")
        )
    try:
        yield backend
    finally:
        await backend.close()


async def step(
    store: PresenceStore,
    visit: Visit,
    action: Action,
    actor: Actor,
    now: float,
    joining: Joining | None = None,
) -> Visit:
    """Apply one transition and save it with the version it was read at."""
    nxt = apply(visit, action, actor, now, joining)
    assert (await store.save(nxt, visit.version)).saved
    return nxt


async def waiting(
    store: PresenceStore, visit_id: str, room_id: str, now: float, name: str = "Guest"
) -> Visit:
    """A guest who opened the link and joined the queue at `now`."""
    visit = Visit(visit_id=visit_id, room_id=room_id, role=Role.PATIENT)
    visit = await step(store, visit, Action.OPEN_LINK, Actor.GUEST, now - 1)
    return await step(store, visit, Action.JOIN, Actor.GUEST, now, Joining(name, consent=True))


async def test_first_save_needs_version_zero_and_happens_once(store: PresenceStore) -> None:
    opened = apply(Visit("v1", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 1.0)

    assert (await store.save(opened, 0)).saved
    assert not (await store.save(opened, 0)).saved
    assert await store.get("v1") == opened
    assert await store.get("missing") is None


async def test_stale_version_is_refused_and_changes_nothing(store: PresenceStore) -> None:
    opened = apply(Visit("v1", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 1.0)
    assert (await store.save(opened, 0)).saved
    joined = await step(
        store, opened, Action.JOIN, Actor.GUEST, 2.0, Joining("Kari Nordmann", consent=True)
    )

    late = apply(opened, Action.WITHDRAW, Actor.GUEST, 3.0)
    assert not (await store.save(late, opened.version)).saved
    assert not (await store.save(late, joined.version + 5)).saved
    assert await store.get("v1") == joined
    assert [v.visit_id for v in await store.room_visits("room-a")] == ["v1"]


async def test_a_losing_save_hands_back_what_is_stored(store: PresenceStore) -> None:
    opened = apply(Visit("v1", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 1.0)
    nothing = await store.save(apply(opened, Action.WITHDRAW, Actor.GUEST, 2.0), opened.version)
    assert not nothing.saved and nothing.current is None

    assert (await store.save(opened, 0)).saved
    joined = await step(
        store, opened, Action.JOIN, Actor.GUEST, 2.0, Joining("Kari Nordmann", consent=True)
    )
    lost = await store.save(apply(opened, Action.WITHDRAW, Actor.GUEST, 3.0), opened.version)

    assert not lost.saved
    assert lost.current == joined
    assert lost.room is None


async def test_a_winning_save_can_read_the_room_in_the_same_step(store: PresenceStore) -> None:
    first = await waiting(store, "first", "room-a", 10.0, "Kari Nordmann")
    await waiting(store, "elsewhere", "room-b", 11.0)
    checking = await step(
        store, Visit("checking", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 12.0
    )
    await store.put_call_member("room-a", CallMember("clin-1", "Dr. Lege", 12.0))
    query = RoomQuery("room-a", ("checking", "never-opened", "first"))

    second = apply(Visit("second", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 13.0)
    assert (await store.save(second, 0)).room is None
    joined = apply(second, Action.JOIN, Actor.GUEST, 14.0, Joining("Ola", consent=True))
    result = await store.save(joined, second.version, room=query)

    assert result.saved and result.room is not None
    assert result.room.room_id == "room-a"
    assert result.room.visits == [first, joined]
    assert [m.peer_id for m in result.room.members] == ["clin-1"]
    assert result.room.states == {"checking": checking.state}  # live and unknown ids left out
    admitted = apply(first, Action.ADMIT, Actor.CLINICIAN, 15.0)
    later = await store.save(admitted, first.version, room=query)
    assert later.room is not None and later.room.sequence > result.room.sequence
    read = await store.room_snapshot(query)
    assert read.visits == [admitted, joined]
    assert read.sequence >= later.room.sequence


async def test_every_winning_save_tells_the_rooms_sequence(store: PresenceStore) -> None:
    """What a room feed compares with other instances' change records: each save in a room
    numbers it above every snapshot taken before; a losing save tells nothing."""
    first = await waiting(store, "first", "room-a", 10.0, "Kari Nordmann")
    taken = await store.room_snapshot(RoomQuery("room-a"))
    admitted = apply(first, Action.ADMIT, Actor.CLINICIAN, 12.0)
    won = await store.save(admitted, first.version)
    lost = await store.save(admitted, first.version)
    assert won.saved and won.sequence > taken.sequence
    assert not lost.saved and lost.sequence == 0
    assert (await store.room_snapshot(RoomQuery("room-a"))).sequence >= won.sequence


async def test_a_store_does_not_hear_its_own_saves(store: PresenceStore) -> None:
    """The fan-out follows `changes` for the app's life, and tells its guests of what it
    saved itself as it saves: hearing it again would tell them twice. (Two Redis stores
    hearing each other: tests/presence/test_redis_keys.py.) The memory store, one process,
    never has a record to give, and its `changes` ends when it closes."""
    following = asyncio.ensure_future(anext(store.changes(), None))
    await asyncio.sleep(0.2)  # subscribed, on Redis
    await waiting(store, "first", "room-a", 10.0, "Kari Nordmann")
    await asyncio.sleep(0.2)
    assert not following.done()
    if isinstance(store, MemoryPresenceStore):
        await store.close()
        assert await asyncio.wait_for(following, 1) is None
    else:
        following.cancel()


VISIT_1, VISIT_2 = (
    Visit("visit-1", "room-a", Role.PATIENT),
    Visit("visit-2", "room-a", Role.PATIENT),
)


async def test_a_visit_has_one_device_the_one_before_is_ended(store: PresenceStore) -> None:
    expires = time.time() + 3600
    laptop = SessionRecord("guest", "visit-1", "room-a", expires, issued_at=1.0)
    phone = SessionRecord("guest", "visit-1", "room-a", expires, issued_at=2.0)
    other = SessionRecord("guest", "visit-2", "room-a", expires, issued_at=2.0)
    for session_id, record in (("laptop", laptop), ("phone", phone), ("other", other)):
        await store.put_session(session_id, record)
    assert not await store.take_device(VISIT_1, "laptop", 3600), "the first device"
    assert not await store.take_device(VISIT_1, "laptop", 3600), "the same device again"
    assert not await store.take_device(VISIT_2, "other", 3600)
    assert await store.take_device(VISIT_1, "phone", 3600)
    held = await store.sessions(["laptop", "phone", "other"])
    assert held["laptop"].ended and held["laptop"].expires_at == pytest.approx(expires, abs=1)
    assert not held["phone"].ended and not held["other"].ended
    assert await store.take_device(VISIT_1, "laptop", 3600), "and back again"
    assert (await store.get_session("phone")) is not None
    assert (await store.get_session("phone")).ended  # type: ignore[union-attr]


async def test_get_round_trips_every_field(store: PresenceStore) -> None:
    visit = Visit(
        visit_id="rt-1",
        room_id="room-å",
        role=Role.INTERPRETER,
        appointment_start=1_700_000_000.123456789,
        appointment_end=0.1 + 0.2,
    )
    visit = await step(store, visit, Action.OPEN_LINK, Actor.GUEST, 1e-7)
    assert await store.get("rt-1") == visit
    joining = Joining(
        display_name='Åse "Q" O\'Neil, 😀',
        consent=True,
        present=("Bob Companion", "Tolk Ærlig", "", '["json"]'),
        device_check="camera-ok",
    )
    visit = await step(store, visit, Action.JOIN, Actor.GUEST, 1_700_000_001.0000002, joining)
    visit = await step(store, visit, Action.CHECK_IDENTITY, Actor.CLINICIAN, 1_700_000_002.5)
    visit = await step(store, visit, Action.DISCONNECT, Actor.SYSTEM, 1_700_000_003.25)
    assert visit.reconnecting and visit.identity_checked and visit.end_reason is None

    stored = await store.get("rt-1")
    assert stored == visit
    assert stored is not None and isinstance(stored.present, tuple)

    ended = await step(store, visit, Action.LEAVE, Actor.GUEST, 1_700_000_004.0)
    assert await store.get("rt-1") == ended
    assert ended.end_reason is EndReason.LEFT and ended.waiting_since is None

    denied = await waiting(store, "rt-2", "room-å", 5.0)
    denied = apply(denied, Action.DENY, Actor.CLINICIAN, 6.0, deny_reason=DenyReason.RESCHEDULE)
    assert (await store.save(denied, denied.version - 1)).saved
    assert await store.get("rt-2") == denied
    assert denied.detail == DenyReason.RESCHEDULE.value


async def test_room_visits_lists_live_visits_of_the_room_in_arrival_order(
    store: PresenceStore,
) -> None:
    await waiting(store, "late", "room-a", 30.0)
    early = await waiting(store, "early", "room-a", 10.0)
    await waiting(store, "tie-b", "room-a", 15.0)
    await waiting(store, "tie-a", "room-a", 15.0)
    await waiting(store, "elsewhere", "room-b", 5.0)
    in_call = await step(store, early, Action.ADMIT, Actor.CLINICIAN, 40.0)
    paused = await waiting(store, "paused", "room-a", 20.0)
    paused = await step(store, paused, Action.ADMIT, Actor.CLINICIAN, 41.0)
    await step(store, paused, Action.PAUSE, Actor.CLINICIAN, 42.0)
    checking = Visit("checking", "room-a", Role.PATIENT)
    await step(store, checking, Action.OPEN_LINK, Actor.GUEST, 1.0)
    gone = await waiting(store, "gone", "room-a", 12.0)
    await step(store, gone, Action.LEAVE, Actor.GUEST, 13.0)

    listed = await store.room_visits("room-a")

    assert [v.visit_id for v in listed] == ["early", "tie-a", "tie-b", "paused", "late"]
    assert listed[0] == in_call
    assert [v.state for v in listed] == [
        VisitState.IN_CALL,
        VisitState.WAITING,
        VisitState.WAITING,
        VisitState.PAUSED,
        VisitState.WAITING,
    ]
    assert [v.visit_id for v in await store.room_visits("room-b")] == ["elsewhere"]
    assert await store.room_visits("room-empty") == []


async def test_sent_back_guest_queues_again_at_the_end(store: PresenceStore) -> None:
    first = await waiting(store, "first", "room-a", 10.0)
    await waiting(store, "second", "room-a", 20.0)
    first = await step(store, first, Action.ADMIT, Actor.CLINICIAN, 30.0)
    await step(store, first, Action.SEND_BACK, Actor.CLINICIAN, 40.0)

    assert [v.visit_id for v in await store.room_visits("room-a")] == ["second", "first"]


async def test_ended_visit_leaves_every_index(store: PresenceStore) -> None:
    visit = await waiting(store, "v1", "room-a", 10.0, name="Ola Nordmann")
    other = await waiting(store, "v2", "room-a", 11.0)
    await store.heartbeat(["v1", "v2"], 12.0)
    visit = await step(store, visit, Action.DISCONNECT, Actor.SYSTEM, 13.0)
    await step(store, other, Action.DISCONNECT, Actor.SYSTEM, 13.0)
    assert sorted(await store.reconnecting_since_before(FAR_FUTURE)) == ["v1", "v2"]

    ended = await step(store, visit, Action.REMOVE, Actor.CLINICIAN, 14.0)

    assert [v.visit_id for v in await store.room_visits("room-a")] == ["v2"]
    assert await store.stale(FAR_FUTURE) == ["v2"]
    assert await store.reconnecting_since_before(FAR_FUTURE) == ["v2"]
    tombstone = await store.get("v1")
    assert tombstone == ended
    assert tombstone is not None
    assert tombstone.state is VisitState.ENDED and tombstone.end_reason is EndReason.REMOVED
    assert tombstone.display_name == "" and not tombstone.reconnecting


async def test_heartbeats_stale_and_forget(store: PresenceStore) -> None:
    await store.heartbeat([], 1.0)
    assert await store.stale(FAR_FUTURE) == []

    await store.heartbeat(["a", "b"], 100.0)
    await store.heartbeat(["c"], 200.0)
    assert sorted(await store.stale(150.0)) == ["a", "b"]
    assert await store.stale(100.0) == []

    await store.heartbeat(["a"], 300.0)
    assert sorted(await store.stale(250.0)) == ["b", "c"]
    await store.forget_heartbeat("b")
    await store.forget_heartbeat("never-seen")
    assert await store.stale(250.0) == ["c"]
    assert sorted(await store.stale(FAR_FUTURE)) == ["a", "c"]


async def test_a_whole_instance_of_heartbeats_at_once(store: PresenceStore) -> None:
    many = [f"visit-{n:05d}" for n in range(2_500)]  # more than one ZADD's worth on Redis
    await store.heartbeat(many, 100.0)
    await store.heartbeat(many[::2], 200.0)

    assert sorted(await store.stale(150.0)) == many[1::2]


async def test_changed_reports_only_visits_whose_stored_version_differs(
    store: PresenceStore,
) -> None:
    same = await waiting(store, "same", "room-a", 10.0)
    moved = await waiting(store, "moved", "room-a", 11.0, "Ola")
    admitted = await step(store, moved, Action.ADMIT, Actor.CLINICIAN, 12.0)
    gone = Visit("gone", "room-a", Role.PATIENT, VisitState.WAITING, version=3)

    assert await store.changed([same, moved, gone]) == {"moved": admitted, "gone": None}
    assert await store.changed([same, admitted]) == {}
    assert await store.changed([]) == {}


async def test_reconnecting_since_before(store: PresenceStore) -> None:
    first = await waiting(store, "first", "room-a", 10.0)
    second = await waiting(store, "second", "room-b", 11.0)
    assert await store.reconnecting_since_before(FAR_FUTURE) == []

    first = await step(store, first, Action.DISCONNECT, Actor.SYSTEM, 100.0)
    await step(store, second, Action.DISCONNECT, Actor.SYSTEM, 200.0)
    assert await store.reconnecting_since_before(150.0) == ["first"]
    assert await store.reconnecting_since_before(100.0) == []

    await step(store, first, Action.RECONNECT, Actor.GUEST, 300.0)
    assert await store.reconnecting_since_before(FAR_FUTURE) == ["second"]


async def test_sessions(store: PresenceStore, clock: Clock) -> None:
    guest = SessionRecord("guest", "visit-1", "room-a", clock() + 3600)
    clinician = SessionRecord("clinician", "clin-1", "", clock() + 60.5)
    await store.put_session("s-guest", guest)
    await store.put_session("s-clin", clinician)

    assert await store.get_session("s-guest") == guest
    assert await store.get_session("s-clin") == clinician
    assert await store.get_session("s-none") is None

    await store.delete_session("s-guest")
    await store.delete_session("s-none")
    assert await store.get_session("s-guest") is None
    assert await store.get_session("s-clin") == clinician


async def test_session_already_expired_is_not_kept(store: PresenceStore, clock: Clock) -> None:
    await store.put_session("s-old", SessionRecord("guest", "visit-1", "room-a", clock() - 1))
    assert await store.get_session("s-old") is None


async def test_a_session_saved_with_a_visit_is_kept_whether_or_not_the_save_wins(
    store: PresenceStore, clock: Clock
) -> None:
    opened = apply(Visit("v1", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 1.0)
    first = SessionRecord("guest", "v1", "room-a", clock() + 3600)
    second = SessionRecord("guest", "v1", "room-a", clock() + 7200)

    assert (await store.save(opened, 0, session=("s-first", first))).saved
    assert not (await store.save(opened, 0, session=("s-second", second))).saved

    assert await store.get("v1") == opened
    assert await store.get_session("s-first") == first
    assert await store.get_session("s-second") == second


async def test_a_session_and_its_visit_are_read_together(
    store: PresenceStore, clock: Clock
) -> None:
    visit = await waiting(store, "v1", "room-a", 10.0, "Kari Nordmann")
    guest = SessionRecord("guest", "v1", "room-a", clock() + 3600)
    gone = SessionRecord("guest", "v-ended-long-ago", "room-a", clock() + 3600)
    clinician = SessionRecord("clinician", "clin-1", "", clock() + 3600)
    for session_id, record in (("s-guest", guest), ("s-gone", gone), ("s-clin", clinician)):
        await store.put_session(session_id, record)

    assert await store.session_and_visit("s-guest") == (guest, visit)
    assert await store.session_and_visit("s-gone") == (gone, None)
    assert await store.session_and_visit("s-clin") == (clinician, None)
    assert await store.session_and_visit("s-none") == (None, None)
    await store.put_session("s-old", SessionRecord("guest", "v1", "room-a", clock() - 1))
    assert await store.session_and_visit("s-old") == (None, None)


async def test_notices(store: PresenceStore) -> None:
    assert await store.get_notice("room-a") is None
    await store.set_notice("room-a", Notice("running_late", 15, 1_700_000_000.5))
    await store.set_notice("room-a", Notice("running_late", 20, 1_700_000_060.25))

    assert await store.get_notice("room-a") == Notice("running_late", 20, 1_700_000_060.25)
    assert await store.get_notice("room-b") is None


async def test_ping(store: PresenceStore) -> None:
    assert await store.ping()


@pytest.mark.parametrize("ttls", [Ttls(visit=1, ended=1, notice=1, heartbeat_index=1)])
async def test_everything_expires(store: PresenceStore, clock: Clock) -> None:
    live = await waiting(store, "live", "room-a", 10.0)
    await step(store, live, Action.DISCONNECT, Actor.SYSTEM, 11.0)
    gone = await waiting(store, "gone", "room-a", 12.0)
    await step(store, gone, Action.LEAVE, Actor.GUEST, 13.0)
    await store.put_session("s1", SessionRecord("guest", "live", "room-a", clock() + 1))
    await store.set_notice("room-a", Notice("running_late", 5, 1.0))
    assert await store.reconnecting_since_before(FAR_FUTURE) == ["live"]

    await clock.advance(1.2)

    assert await store.get("live") is None
    assert await store.get("gone") is None
    assert await store.room_visits("room-a") == []
    assert await store.reconnecting_since_before(FAR_FUTURE) == []
    assert await store.get_session("s1") is None
    assert await store.get_notice("room-a") is None
    fresh = apply(Visit("live", "room-a", Role.PATIENT), Action.OPEN_LINK, Actor.GUEST, 20.0)
    assert (await store.save(fresh, 0)).saved


async def test_concurrent_admits_have_exactly_one_winner(store: PresenceStore) -> None:
    visit = await waiting(store, "race", "room-a", 10.0)
    attempts = 100
    barrier = asyncio.Barrier(attempts)

    async def admit(i: int) -> bool:
        current = await store.get("race")
        assert current is not None and current.state is VisitState.WAITING
        admitted = apply(current, Action.ADMIT, Actor.CLINICIAN, 100.0 + i)
        await barrier.wait()  # every attempt has read the waiting visit before any writes
        return (await store.save(admitted, current.version)).saved

    async with asyncio.timeout(10):
        results = await asyncio.gather(*(admit(i) for i in range(attempts)))

    assert results.count(True) == 1
    stored = await store.get("race")
    assert stored is not None
    assert stored.state is VisitState.IN_CALL
    assert stored.version == visit.version + 1
    assert stored.changed_at == 100.0 + results.index(True)


async def test_call_members(store: PresenceStore) -> None:
    assert await store.call_members("r1") == []
    anna = CallMember("c_anna", "Dr Anna", 10.0)
    bo = CallMember("c_bo", "Dr Bo", 11.0, reconnecting=True)
    await store.put_call_member("r1", bo)
    await store.put_call_member("r1", anna)
    await store.put_call_member("r2", CallMember("c_other", "Dr Other", 12.0))
    assert await store.call_members("r1") == [anna, bo]
    back = CallMember("c_bo", "Dr Bo", 20.0)
    await store.put_call_member("r1", back)
    await store.remove_call_member("r1", "c_anna")
    await store.remove_call_member("r1", "c_nobody")
    assert await store.call_members("r1") == [back]


async def test_a_marker_tells_whether_the_store_kept_its_data(
    store: PresenceStore, clock: Clock
) -> None:
    assert not await store.kept("instance-a", ttl=1)
    assert await store.kept("instance-a", ttl=1)
    assert not await store.kept("instance-b", ttl=1), "each marker on its own"

    await clock.advance(1.2)

    assert not await store.kept("instance-a", ttl=1)
