"""What the directory holds, as frozen records (no I/O here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lobby.domain.model import EndReason, Role


class AccountRole(enum.Enum):
    """What a staff account may see: a clinician their own rooms, ops every room's figures."""

    CLINICIAN = "clinician"
    OPS = "ops"


class Language(enum.Enum):
    NB = "nb"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Account:
    """A person who logs in: a clinician or an operations account."""

    account_id: str
    username: str
    display_name: str
    password_hash: str
    role: AccountRole = AccountRole.CLINICIAN
    disabled: bool = False
    sessions_after: float = 0.0
    """Sessions issued before this moment are void (set when disabled or reset)."""

    def accepts_session(self, issued_at: float) -> bool:
        return not self.disabled and issued_at >= self.sessions_after


@dataclass(frozen=True, slots=True)
class Room:
    room_id: str
    name: str
    clinic_name: str = ""
    clinic_phone: str = ""
    support_phone: str = ""
    time_zone: str = "Europe/Oslo"
    """IANA zone of the clinic: appointment times in e-mails and calendars are given in it."""
    closed_at: float | None = None
    created: float = 0.0

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True, slots=True)
class ScheduledVisit:
    visit_id: str
    room_id: str
    role: Role
    start: float
    end: float
    not_before: float = 0.0
    """When the invitation link starts to work (0: before migrations kept it)."""
    expires_at: float = 0.0
    revoked_at: float | None = None
    email: str | None = None
    """The guest's e-mail address, kept only until the invitation expires."""
    language: Language = Language.NB
    created: float = 0.0
    ended_reason: EndReason | None = None
    """Set when the visit ended for good (presence forgets it ten minutes later): its link
    shows that ending rather than starting over."""
    ended_detail: str = ""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    name: str
    scopes: frozenset[str]
    created: float
    revoked_at: float | None = None
    last_used: float | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class DeliveryStatus(enum.Enum):
    QUEUED = "queued"
    """Waiting for its first or next attempt (see `next_attempt`)."""
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Given up: refused for good, out of attempts, or the invitation expired."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request to e-mail a visit's invitation, and how it went."""

    delivery_id: str
    visit_id: str
    language: Language
    status: DeliveryStatus
    attempts: int
    next_attempt: float
    last_error: str
    """A fixed code (`connect`, `auth`, `recipient_refused`, …), never server text."""
    created: float
    updated: float


class DirectoryError(ValueError):
    """A directory change was refused (duplicate username, unknown room, …)."""
