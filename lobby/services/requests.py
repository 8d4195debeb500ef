"""What the integration API and the dashboard ask the appointments service to create,
validated at the edge (lobby/interfaces/wire_api.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lobby.adapters.directory import Language
from lobby.domain.model import Role


@dataclass(frozen=True, slots=True)
class RoomCreate:
    name: str
    clinic_name: str
    clinic_phone: str
    support_phone: str
    time_zone: str
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VisitCreate:
    role: Role
    start: dt.datetime
    duration_minutes: int
    email: str | None
    language: Language
    send_email: bool
