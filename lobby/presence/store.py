"""The presence store protocol shared by the in-memory and Redis backends.

Everything here is soft state: each record has a time to live, and an ended visit keeps
only a tombstone (state and reason, no personal data) for a short while.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from lobby.model import Visit

SessionKind = Literal["guest", "clinician"]


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A login (clinician) or an exchanged invitation (guest); the cookie holds only its id."""

    kind: SessionKind
    subject: str
    """The clinician id, or the visit id for a guest."""
    room_id: str = ""
    expires_at: float = 0.0


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


class PresenceStore(Protocol):
    """Soft state of visits, lobbies, heartbeats and sessions.

    `save` is a compare-and-set on `Visit.version`: it writes only when the stored
    version equals `expected_version` (0: the visit must not exist yet), so that two
    racing transitions leave exactly one outcome.
    """

    async def get(self, visit_id: str) -> Visit | None: ...

    async def save(self, visit: Visit, expected_version: int) -> bool: ...

    async def room_visits(self, room_id: str) -> list[Visit]:
        """Live visits (waiting, in call, paused) of a room, in order of arrival."""
        ...

    async def heartbeat(self, visit_ids: list[str], now: float) -> None:
        """Record that these visits' guests are connected to this instance right now."""
        ...

    async def stale(self, seen_before: float) -> list[str]:
        """Visits whose last heartbeat is older than `seen_before`."""
        ...

    async def forget_heartbeat(self, visit_id: str) -> None: ...

    async def reconnecting_since_before(self, cutoff: float) -> list[str]:
        """Visits flagged reconnecting since before `cutoff` (their grace period is over)."""
        ...

    async def put_session(self, session_id: str, record: SessionRecord) -> None: ...

    async def get_session(self, session_id: str) -> SessionRecord | None: ...

    async def delete_session(self, session_id: str) -> None: ...

    async def set_notice(self, room_id: str, notice: Notice) -> None: ...

    async def get_notice(self, room_id: str) -> Notice | None: ...

    async def get_many(self, visit_ids: list[str]) -> dict[str, Visit]:
        """The visits that exist, by id, in one round trip."""
        ...

    async def restore(self, visits: list[Visit], sessions: dict[str, SessionRecord]) -> int:
        """Write back what is missing (after the store lost its data), never overwriting;
        returns how many visits were restored."""
        ...

    async def put_call_member(self, room_id: str, member: CallMember) -> None: ...

    async def remove_call_member(self, room_id: str, peer_id: str) -> None: ...

    async def call_members(self, room_id: str) -> list[CallMember]:
        """Clinicians in the room's call, in order of peer id."""
        ...

    async def put_instance(self, instance_id: str, stats: dict[str, object], ttl: int) -> None:
        """An instance's own counts (no names), for the operations page of every instance."""
        ...

    async def instances(self) -> list[dict[str, object]]:
        """The counts of every instance seen within its TTL."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers (readiness)."""
        ...

    async def close(self) -> None: ...
