"""The visit: one guest's way through one consultation (pure data, no I/O)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class VisitState(enum.Enum):
    INVITED = "invited"
    CHECKING = "checking"
    WAITING = "waiting"
    IN_CALL = "in_call"
    PAUSED = "paused"
    ENDED = "ended"


class EndReason(enum.Enum):
    """Why a visit ended; kept apart from the state so states stay few."""

    LEFT = "left"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    MOVED_TO_PHONE = "moved_to_phone"
    EXPIRED = "expired"
    REMOVED = "removed"
    COMPLETED = "completed"
    REVOKED = "revoked"
    """The clinic cancelled the invitation (API or dashboard)."""


class Role(enum.Enum):
    PATIENT = "patient"
    COMPANION = "companion"
    INTERPRETER = "interpreter"


class Actor(enum.Enum):
    """Who asks for a transition: the guest, the room's clinician, or the server itself."""

    GUEST = "guest"
    CLINICIAN = "clinician"
    SYSTEM = "system"


class Action(enum.Enum):
    OPEN_LINK = "open_link"
    JOIN = "join"
    ADMIT = "admit"
    DENY = "deny"
    SEND_BACK = "send_back"
    PAUSE = "pause"
    REQUEST_PAUSE = "request_pause"
    RESUME = "resume"
    END = "end"
    MOVE_TO_PHONE = "move_to_phone"
    REMOVE = "remove"
    LEAVE = "leave"
    WITHDRAW = "withdraw"
    DISCONNECT = "disconnect"
    RECONNECT = "reconnect"
    EXPIRE = "expire"
    CHECK_IDENTITY = "check_identity"
    REVOKE = "revoke"


class DenyReason(enum.Enum):
    """Fixed reasons a clinician may give when denying entry; shown translated to the guest."""

    WRONG_ROOM = "wrong_room"
    NOT_EXPECTED = "not_expected"
    RESCHEDULE = "reschedule"
    CONTACT_CLINIC = "contact_clinic"


LIVE_STATES = frozenset({VisitState.WAITING, VisitState.IN_CALL, VisitState.PAUSED})
"""States in which the guest holds a place and a connection is expected."""

CALL_STATES = frozenset({VisitState.IN_CALL, VisitState.PAUSED})


@dataclass(frozen=True, slots=True)
class Joining:
    """What a guest tells when joining the waiting room."""

    display_name: str
    consent: bool
    present: tuple[str, ...] = ()
    device_check: str = "unknown"


@dataclass(frozen=True, slots=True)
class Visit:
    """A snapshot of one visit; every change makes a new snapshot via `machine.apply`."""

    visit_id: str
    room_id: str
    role: Role
    state: VisitState = VisitState.INVITED
    end_reason: EndReason | None = None
    detail: str = ""
    """A fixed code refining the end reason (e.g. the deny reason); never free text."""
    reconnecting: bool = False
    display_name: str = ""
    consent: bool = False
    present: tuple[str, ...] = ()
    device_check: str = "unknown"
    identity_checked: bool = False
    appointment_start: float = 0.0
    appointment_end: float = 0.0
    waiting_since: float | None = None
    reconnecting_since: float | None = None
    changed_at: float = 0.0
    version: int = 0

    @property
    def ended(self) -> bool:
        return self.state is VisitState.ENDED

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES
