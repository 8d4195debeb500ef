"""Requests of the integration API, validated into frozen values (the OpenAPI document in
`lobby/interfaces/api/spec.py` says the same in JSON Schema; tests hold the two together).

Input the schema refuses is `400 invalid_payload`; input it allows but that cannot be done
(an unknown time zone, a time in the past, an unknown owner) is `422` with its own code.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from typing import Any, TypeVar

from lobby.adapters.directory import Language
from lobby.domain.errors import InvalidPayload, Unprocessable
from lobby.domain.model import Role
from lobby.services.requests import RoomCreate, VisitCreate

TEXT_MAX = 100
PHONE_MAX = 40
EMAIL_MAX = 254
OWNERS_MAX = 20
USERNAME_MAX = 64
MINUTES_MAX = 24 * 60
LIMIT_MAX = 100
LIMIT_DEFAULT = 50
SCHEDULE_AHEAD = 400 * 24 * 3600.0
"""How far ahead a visit may be scheduled (a little over a year)."""

TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"
ID_PATTERN = r"^[a-z]_[A-Za-z0-9_-]{1,64}$"
CURSOR_PATTERN = ID_PATTERN
"""A cursor is the last item's id: the next page starts after it."""
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
E = TypeVar("E", bound=enum.Enum)
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,253}$")


@dataclass(frozen=True, slots=True)
class EmailRequest:
    email: str | None
    language: Language | None


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    after: str | None


def parse_room(body: dict[str, Any], default_zone: str) -> RoomCreate:
    _only(body, {"name", "clinic_name", "clinic_phone", "support_phone", "time_zone", "owners"})
    zone = body.get("time_zone", default_zone)
    if not isinstance(zone, str) or not re.search(TIME_ZONE_PATTERN, zone):
        raise InvalidPayload("time_zone must be an IANA time zone name such as Europe/Oslo")
    return RoomCreate(
        name=_text(body.get("name"), "name", TEXT_MAX, required=True),
        clinic_name=_text(body.get("clinic_name", ""), "clinic_name", TEXT_MAX),
        clinic_phone=_text(body.get("clinic_phone", ""), "clinic_phone", PHONE_MAX),
        support_phone=_text(body.get("support_phone", ""), "support_phone", PHONE_MAX),
        time_zone=_known_zone(zone),
        owners=parse_owners({"owners": body.get("owners", [])}),
    )


def parse_owners(body: dict[str, Any]) -> tuple[str, ...]:
    _only(body, {"owners"})
    owners = body.get("owners")
    if not isinstance(owners, list) or len(owners) > OWNERS_MAX:
        raise InvalidPayload(f"owners must be a list of at most {OWNERS_MAX} usernames")
    names = []
    for owner in owners:
        if not isinstance(owner, str) or not 1 <= len(owner) <= USERNAME_MAX:
            raise InvalidPayload(f"an owner is a username of 1 to {USERNAME_MAX} characters")
        names.append(owner)
    return tuple(dict.fromkeys(names))


def parse_visit(body: dict[str, Any], now: float) -> VisitCreate:
    _only(body, {"role", "start", "duration_minutes", "email", "language", "send_email"})
    minutes = body.get("duration_minutes", 30)
    if isinstance(minutes, float) and minutes.is_integer():
        minutes = int(minutes)  # 30.0 is a JSON integer too
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidPayload("duration_minutes must be a whole number")
    if not 1 <= minutes <= MINUTES_MAX:
        raise InvalidPayload(f"duration_minutes must be 1 to {MINUTES_MAX}")
    send = body.get("send_email", False)
    if not isinstance(send, bool):
        raise InvalidPayload("send_email must be true or false")
    start = parse_time(body.get("start"), "start")
    ends = start.timestamp() + minutes * 60
    if ends <= now:
        raise Unprocessable("the appointment is over already", "appointment_in_past")
    if start.timestamp() > now + SCHEDULE_AHEAD:
        raise Unprocessable("the appointment is more than a year ahead", "appointment_too_far")
    email = parse_email(body.get("email"))
    if send and email is None:
        raise Unprocessable("send_email needs an email address", "no_recipient")
    return VisitCreate(
        role=_enum(Role, body.get("role", Role.PATIENT.value), "role"),
        start=start,
        duration_minutes=minutes,
        email=email,
        language=_enum(Language, body.get("language", Language.NB.value), "language"),
        send_email=send,
    )


def parse_email_request(body: dict[str, Any]) -> EmailRequest:
    _only(body, {"email", "language"})
    language = body.get("language")
    return EmailRequest(
        email=parse_email(body.get("email")),
        language=None if language is None else _enum(Language, language, "language"),
    )


def parse_email(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 3 <= len(value) <= EMAIL_MAX:
        raise InvalidPayload(f"email must be an address of at most {EMAIL_MAX} characters")
    if not _EMAIL.search(value) or "." not in value.rsplit("@", 1)[1]:
        raise Unprocessable("that is not an e-mail address we can send to", "invalid_email")
    return value


def parse_time(value: object, field: str) -> dt.datetime:
    """An RFC 3339 date-time with a UTC offset."""
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidPayload(
            f"{field} must be an RFC 3339 date-time, e.g. 2026-12-08T10:30:00+01:00"
        )
    try:
        moment = dt.datetime.fromisoformat(value.upper())
    except ValueError as exc:
        raise Unprocessable(f"{field} is not a time that exists", "invalid_time") from exc
    if moment.tzinfo is None:
        raise InvalidPayload(f"{field} needs a UTC offset, e.g. +01:00 or Z")
    return moment


def parse_page(query: Any) -> Page:
    """`limit` (1-100) and an opaque `cursor` from the previous page's `next_cursor`."""
    raw_limit = query.get("limit")
    limit = LIMIT_DEFAULT
    if raw_limit is not None:
        if not re.fullmatch(r"[0-9]{1,3}", raw_limit) or not 1 <= int(raw_limit) <= LIMIT_MAX:
            raise InvalidPayload(f"limit must be 1 to {LIMIT_MAX}")
        limit = int(raw_limit)
    cursor = query.get("cursor")
    if cursor is None:
        return Page(limit, None)
    if not re.search(CURSOR_PATTERN, cursor):
        raise InvalidPayload("cursor must be a next_cursor from an earlier page")
    return Page(limit, cursor)


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise InvalidPayload(f"unknown fields: {', '.join(sorted(unknown))}")


def _text(value: object, field: str, max_length: int, required: bool = False) -> str:
    """Text as given, without control characters or doubled spaces; 0..max characters
    (1.. if required: blank after cleaning is refused as unprocessable)."""
    if not isinstance(value, str) or len(value) > max_length or (required and not value):
        least = 1 if required else 0
        raise InvalidPayload(f"{field} must be text of {least} to {max_length} characters")
    text = unicodedata.normalize("NFC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    text = " ".join(text.split())
    if required and not text:
        raise Unprocessable(f"{field} must not be blank", "blank_text")
    return text


def _known_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a folder of the zone database ("America") or a name too long for a file.
        raise Unprocessable(f"unknown time zone {name!r}", "unknown_time_zone") from exc
    return name


def _enum(kind: type[E], value: object, field: str) -> E:
    try:
        return kind(value)
    except ValueError as exc:
        raise InvalidPayload(f"{field} is not one of the allowed values") from exc
