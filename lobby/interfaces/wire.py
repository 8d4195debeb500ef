"""Wire payloads: validated at the edge into frozen values; views sent back to clients."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from typing import Any, TypeVar

from lobby.domain.errors import InvalidPayload
from lobby.domain.model import DenyReason, Joining, Visit
from lobby.domain.notices import LATE_MINUTES, NoticeCode, NoticeRequest

NAME_MAX = 64
PRESENT_MAX = 6


class DeviceCheck(enum.Enum):
    """The device check's summary, as the guest's page reports it."""

    PASSED = "passed"
    WARNINGS = "warnings"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class VisitRef:
    visit_id: str


@dataclass(frozen=True, slots=True)
class RoomRef:
    room_id: str


@dataclass(frozen=True, slots=True)
class Deny:
    visit_id: str
    reason: DenyReason


def clean_text(value: object, field: str, max_length: int = NAME_MAX) -> str:
    """NFC-normalise, drop control and format characters, collapse spaces; 1..max chars."""
    if not isinstance(value, str):
        raise InvalidPayload(f"{field} must be text")
    text = unicodedata.normalize("NFC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    text = " ".join(text.split())
    if not 1 <= len(text) <= max_length:
        raise InvalidPayload(f"{field} must have 1 to {max_length} characters")
    return text


def parse_join(payload: object) -> Joining:
    data = _mapping(payload, {"display_name", "consent", "present", "device_check"})
    consent = data.get("consent")
    if not isinstance(consent, bool):
        raise InvalidPayload("consent must be true or false")
    if consent is not True:
        raise InvalidPayload("consent is needed to join a video consultation")
    present_raw = data.get("present", [])
    if not isinstance(present_raw, list) or len(present_raw) > PRESENT_MAX:
        raise InvalidPayload(f"present must be a list of at most {PRESENT_MAX} people")
    return Joining(
        display_name=clean_text(data.get("display_name"), "display_name"),
        consent=True,
        present=tuple(clean_text(p, "present") for p in present_raw),
        device_check=_enum(DeviceCheck, data.get("device_check", "unknown"), "device_check").value,
    )


def parse_visit_ref(payload: object) -> VisitRef:
    data = _mapping(payload, {"visit_id"})
    return VisitRef(_identifier(data.get("visit_id"), "visit_id"))


def parse_room_ref(payload: object) -> RoomRef:
    data = _mapping(payload, {"room_id"})
    return RoomRef(_identifier(data.get("room_id"), "room_id"))


def room_id_in(payload: object) -> str:
    """The `room_id` field of a payload that has other fields too."""
    room_id = payload.get("room_id") if isinstance(payload, dict) else None
    return _identifier(room_id, "room_id")


def parse_deny(payload: object) -> Deny:
    data = _mapping(payload, {"visit_id", "reason"})
    return Deny(
        _identifier(data.get("visit_id"), "visit_id"),
        _enum(DenyReason, data.get("reason"), "reason"),
    )


def parse_notice(payload: object) -> NoticeRequest:
    data = _mapping(payload, {"room_id", "code", "minutes"})
    code = _enum(NoticeCode, data.get("code"), "code")
    minutes = data.get("minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidPayload("minutes must be a whole number")
    if code is NoticeCode.RUNNING_LATE:
        if minutes not in LATE_MINUTES:
            raise InvalidPayload("minutes must be a whole number from 5 to 120")
    else:
        minutes = 0
    return NoticeRequest(_identifier(data.get("room_id"), "room_id"), code, minutes)


def guest_view(visit: Visit) -> dict[str, Any]:
    """What a guest sees of their own visit."""
    return {
        "visit_id": visit.visit_id,
        "role": visit.role.value,
        "state": visit.state.value,
        "end_reason": visit.end_reason.value if visit.end_reason else None,
        "detail": visit.detail,
        "reconnecting": visit.reconnecting,
        "display_name": visit.display_name,
        "waiting_since": visit.waiting_since,
        "appointment_start": visit.appointment_start,
        "appointment_end": visit.appointment_end,
    }


def lobby_entry(visit: Visit) -> dict[str, Any]:
    """What the room's clinician sees of one live visit (the name is unverified)."""
    return {
        "visit_id": visit.visit_id,
        "role": visit.role.value,
        "state": visit.state.value,
        "detail": visit.detail,
        "display_name": visit.display_name,
        "identity_checked": visit.identity_checked,
        "present": list(visit.present),
        "device_check": visit.device_check,
        "waiting_since": visit.waiting_since,
        "reconnecting": visit.reconnecting,
        "appointment_start": visit.appointment_start,
    }


def parse_nothing(payload: object) -> None:
    """An event that takes no payload: none, or an empty object. Anything else is refused
    rather than ignored, so that no one believes a field of theirs was acted on."""
    if payload is not None and payload != {}:
        raise InvalidPayload("this event takes no payload")


def _mapping(payload: object, allowed: set[str]) -> dict[str, object]:
    if not isinstance(payload, dict):
        raise InvalidPayload("expected an object")
    unknown = set(payload) - allowed
    if unknown:
        raise InvalidPayload(f"unknown field {sorted(map(str, unknown))[0]!r}")
    return payload


def _identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isascii():
        raise InvalidPayload(f"{field} is missing or malformed")
    return value


EnumT = TypeVar("EnumT", bound=enum.Enum)


def _enum(kind: type[EnumT], value: object, field: str) -> EnumT:
    try:
        return kind(value)
    except ValueError as exc:
        raise InvalidPayload(f"{field} is not one of the allowed values") from exc


def expected_entry(visit: Visit) -> dict[str, Any]:
    """A scheduled guest who has not joined yet: no name is known, only the appointment."""
    return {
        "visit_id": visit.visit_id,
        "role": visit.role.value,
        "state": visit.state.value,
        "appointment_start": visit.appointment_start,
        "appointment_end": visit.appointment_end,
    }
