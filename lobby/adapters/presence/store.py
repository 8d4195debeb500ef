"""The presence store protocol shared by the in-memory and Redis backends.

Everything here is soft state: each record has a time to live, and an ended visit keeps
only a tombstone (state and reason, no personal data) for a short while.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from lobby.domain.model import Visit, VisitState

SessionKind = Literal["guest", "clinician"]


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A login (clinician) or an exchanged invitation (guest); the cookie holds only its id."""

    kind: SessionKind
    subject: str
    """The clinician id, or the visit id for a guest."""
    room_id: str = ""
    expires_at: float = 0.0
    issued_at: float = 0.0
    """When it was opened: an account's sessions from before a password reset or a
    disabling are void."""
    seen_at: float = 0.0
    """Its last sign of use (a request, or a connected dashboard), for the idle timeout;
    written at most once a minute."""
    ended: bool = False
    """Logged out: kept (until it would have expired) so that every instance can tell a
    logout, whose sockets it closes, from a store that lost its data, which it refills."""


@dataclass(frozen=True, slots=True)
class Notice:
    """A fixed notice a clinician sent to everyone waiting in a room."""

    code: str
    minutes: int
    sent_at: float


@dataclass(frozen=True, slots=True)
class CallMember:
    """A clinician taking part in a room's call (guests take part through their visit)."""

    peer_id: str
    """The clinician's id: the address other participants signal to."""
    name: str
    seen_at: float
    """Refreshed by the clinician's instance while connected; stale means gone."""
    reconnecting: bool = False


@dataclass(frozen=True, slots=True)
class VisitSaved:
    """The change record of a save, as every instance hears of it: the visit as saved, and
    the room's sequence number after it. Neutral: what clients are told is each instance's
    own business."""

    visit: Visit
    sequence: int
    """The room's sequence number after the save (see `RoomSnapshot.sequence`)."""


@dataclass(frozen=True, slots=True)
class RoomQuery:
    """What to read of a room along with a save: its live visits, its call, and the stored
    state of `visit_ids` (the room's scheduled visits, to tell who is still expected)."""

    room_id: str
    visit_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoomSnapshot:
    """One consistent read of a room."""

    room_id: str
    visits: list[Visit]
    """Live visits in order of arrival."""
    members: list[CallMember]
    """Clinicians in the call, in order of peer id."""
    states: dict[str, VisitState] = field(default_factory=dict)
    """The state of each asked-for visit that exists and is not live."""
    sequence: int = 0
    """Grows with every save in the room: of two snapshots, the larger is the newer."""


@dataclass(frozen=True, slots=True)
class SaveResult:
    saved: bool
    current: Visit | None = None
    """When the save lost: what is stored now (None: nothing)."""
    room: RoomSnapshot | None = None
    """When the save won and a `RoomQuery` was given: the room right after it."""
    sequence: int = 0
    """When the save won: the room's sequence number after it."""


class VisitStore(Protocol):
    """Visits, the rooms' live sets and the change records (redis/visits.py, memory/visits.py)."""

    async def get(self, visit_id: str) -> Visit | None: ...

    async def save(
        self,
        visit: Visit,
        expected_version: int,
        *,
        room: RoomQuery | None = None,
        session: tuple[str, SessionRecord] | None = None,
    ) -> SaveResult:
        """`session` (id, record) is stored in the same step, whether or not the save wins:
        a guest opening their link gets a session either way."""
        ...

    async def room_snapshot(self, query: RoomQuery) -> RoomSnapshot:
        """The room's live visits, call members and asked-for visits, in one read."""
        ...

    async def room_visits(self, room_id: str) -> list[Visit]:
        """Live visits (waiting, in call, paused) of a room, in order of arrival."""
        ...

    def changes(self) -> AsyncIterator[VisitSaved]:
        """The change records of saves made by other instances (through other store
        objects), as they happen, until the iteration is cancelled. One process has none:
        the memory store's ends when it closes."""
        ...

    async def get_many(self, visit_ids: list[str]) -> dict[str, Visit]:
        """The visits that exist, by id, in one round trip."""
        ...

    async def changed(self, known: Sequence[Visit]) -> dict[str, Visit | None]:
        """Of these copies, those whose stored version differs, by id: the stored visit, or
        None when none is stored. One round trip; unchanged visits cost no decoding."""
        ...

    async def reconnecting_since_before(self, cutoff: float) -> list[str]:
        """Visits flagged reconnecting since before `cutoff` (their grace period is over)."""
        ...


class SessionStore(Protocol):
    """Sessions and each visit's device (redis/sessions.py, memory/sessions.py)."""

    async def put_session(self, session_id: str, record: SessionRecord) -> None: ...

    async def get_session(self, session_id: str) -> SessionRecord | None: ...

    async def session_and_visit(self, session_id: str) -> tuple[SessionRecord | None, Visit | None]:
        """A session and the visit it is for (a guest's), in one read; (None, None) without
        a session, and no visit for a clinician's or when the visit is gone."""
        ...

    async def delete_session(self, session_id: str) -> None: ...

    async def take_device(self, visit: Visit, session_id: str, ttl: int) -> bool:
        """Make this guest session the visit's only one: the session that held the visit
        before (the link opened on another device) is ended. True if one was ended. When
        the visit has ended, the session lives no longer than the visit's tombstone."""
        ...

    async def sessions(self, session_ids: list[str]) -> dict[str, SessionRecord]:
        """The sessions that exist, by id, in one round trip."""
        ...


class LivenessStore(Protocol):
    """Who is still there: heartbeats, instances, markers (redis/ and memory/liveness.py)."""

    async def heartbeat(self, visit_ids: list[str], now: float) -> None:
        """Record that these visits' guests are connected to this instance right now."""
        ...

    async def stale(self, seen_before: float) -> list[str]:
        """Visits whose last heartbeat is older than `seen_before`."""
        ...

    async def forget_heartbeat(self, visit_id: str) -> None: ...

    async def kept(self, marker: str, ttl: int) -> bool:
        """Whether `marker` is still there since the last call, which renews it for `ttl`
        seconds: False the first time, and after the store lost its data (a restart)."""
        ...

    async def put_instance(self, instance_id: str, stats: dict[str, object], ttl: int) -> None:
        """An instance's own counts (no names), for the operations page of every instance."""
        ...

    async def instances(self) -> list[dict[str, object]]:
        """The counts of every instance seen within its TTL."""
        ...


class NoticeStore(Protocol):
    """Notices (redis/notices.py, memory/notices.py)."""

    async def set_notice(self, room_id: str, notice: Notice) -> None: ...

    async def get_notice(self, room_id: str) -> Notice | None: ...


class CallStore(Protocol):
    """Clinicians in a room's call (redis/calls.py, memory/calls.py)."""

    async def put_call_member(self, room_id: str, member: CallMember) -> None: ...

    async def remove_call_member(self, room_id: str, peer_id: str) -> None: ...

    async def call_members(self, room_id: str) -> list[CallMember]:
        """Clinicians in the room's call, in order of peer id."""
        ...


class PresenceStore(VisitStore, SessionStore, LivenessStore, NoticeStore, CallStore, Protocol):
    """Soft state of visits, lobbies, heartbeats and sessions.

    `save` is a compare-and-set on `Visit.version`: it writes only when the stored
    version equals `expected_version` (0: the visit must not exist yet), so that two
    racing transitions leave exactly one outcome. The loser learns the current visit from
    the result, so a caller never needs to read before it writes; the winner can have the
    room read in the same step, and its change record (`VisitSaved`) reaches the other
    instances through `changes` (one round trip on Redis for all of it).
    """

    async def restore(self, visits: list[Visit], sessions: dict[str, SessionRecord]) -> int:
        """Write back what is missing (after the store lost its data), never overwriting;
        returns how many visits were restored."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers (readiness)."""
        ...

    async def close(self) -> None: ...
