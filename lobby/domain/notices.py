"""Notices: fixed messages a clinician sends to everyone waiting in a room (no free text)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class NoticeCode(enum.Enum):
    """Fixed notices a clinician may send to everyone waiting; no free text."""

    RUNNING_LATE = "running_late"
    READY_SOON = "ready_soon"
    TECHNICAL_DELAY = "technical_delay"
    CLEAR = "clear"


LATE_MINUTES = range(5, 121)


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    room_id: str
    code: NoticeCode
    minutes: int
