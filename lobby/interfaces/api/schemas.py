"""The JSON Schemas of the integration API's bodies (the OpenAPI document's components).

The limits come from `lobby.interfaces.wire_api`, the one place that enforces them.
"""

from __future__ import annotations

from typing import Any

from lobby.adapters.directory import DeliveryStatus, Language
from lobby.domain.model import EndReason, Role, VisitState
from lobby.interfaces import wire_api as w

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


def _text(max_length: int, min_length: int = 0) -> Schema:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


TIME: Schema = {"type": "string", "format": "date-time"}
ID: Schema = {"type": "string", "pattern": w.ID_PATTERN}
ERROR_CODES = {
    400: "The request is malformed (`invalid_payload`).",
    401: "No API key, an unknown one or a revoked one (`unauthenticated`).",
    403: "The key lacks the scope (`insufficient_scope`), or a session's write came from "
    "another site (`not_permitted`).",
    404: "No such room or visit, or not one this caller may see (`not_found`).",
    409: "The resource's state refuses it: `room_closed`, `room_busy`, `revoked`, `expired`, "
    "`email_not_configured`.",
    429: "Too many requests with this key (`rate_limited`); `Retry-After` says when to try again.",
    503: "The service is briefly unavailable (`unavailable`); nothing was changed.",
    422: "Well-formed but impossible: `appointment_in_past`, `appointment_too_far`, "
    "`invalid_time`, `invalid_email`, `no_recipient`, `unknown_owner`, `unknown_time_zone`, "
    "`blank_text`, `idempotency_mismatch`.",
}


def schemas() -> dict[str, Schema]:
    """Every body's schema by name, in the document's order."""
    return {
        "Error": _error(),
        "RoomCreate": _room_create(),
        "Owners": {
            "type": "object",
            "additionalProperties": False,
            "required": ["owners"],
            "properties": {"owners": _owners()},
        },
        "Room": _room(),
        "RoomPage": _page("Room"),
        "RoomState": _room_state(),
        "VisitCreate": _visit_create(),
        "EmailRequest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"email": _nullable(_email()), "language": _nullable(language())},
        },
        "Delivery": _delivery(),
        "Visit": _visit(),
        "VisitPage": _page("Visit"),
        "EmailText": _record(
            {"subject": {"type": "string"}, "text": {"type": "string"}, "html": {"type": "string"}}
        ),
    }


def _record(fields: dict[str, Schema]) -> Schema:
    """An object whose every field is always there (an answer's)."""
    return {"type": "object", "required": list(fields), "properties": fields}


def _error() -> Schema:
    return {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "A stable code."},
            "message": {"type": "string", "description": "English, for a developer."},
            "retry_after": {
                "type": "integer",
                "description": "With `rate_limited`: seconds to wait before trying again.",
            },
        },
    }


def _room_create() -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": _text(w.TEXT_MAX, 1),
            "clinic_name": _text(w.TEXT_MAX),
            "clinic_phone": _text(w.PHONE_MAX),
            "support_phone": _text(w.PHONE_MAX),
            "time_zone": {
                "type": "string",
                "pattern": w.TIME_ZONE_PATTERN,
                "description": "IANA time zone of the clinic; default Europe/Oslo.",
            },
            "owners": _owners(),
        },
    }


def _room() -> Schema:
    return _record(
        {
            "room_id": ID,
            "name": {"type": "string"},
            "clinic_name": {"type": "string"},
            "clinic_phone": {"type": "string"},
            "support_phone": {"type": "string"},
            "time_zone": {"type": "string"},
            "owners": {"type": "array", "items": {"type": "string"}},
            "closed": {"type": "boolean"},
            "closed_at": _nullable(TIME),
            "created_at": TIME,
        }
    )


def _visit_create() -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["start"],
        "properties": {
            "role": {"enum": [r.value for r in Role], "default": Role.PATIENT.value},
            "start": {**TIME, "description": "With a UTC offset."},
            "duration_minutes": {
                "type": "integer",
                "minimum": 1,
                "maximum": w.MINUTES_MAX,
                "default": 30,
            },
            "email": _nullable(_email()),
            "language": language(),
            "send_email": {"type": "boolean", "default": False},
        },
    }


def _delivery() -> Schema:
    return _record(
        {
            "status": {"enum": [s.value for s in DeliveryStatus]},
            "attempts": {"type": "integer", "minimum": 0},
            "next_attempt": _nullable(TIME),
            "error": _nullable({"type": "string"}),
            "updated": TIME,
        }
    )


def _owners() -> Schema:
    return {
        "type": "array",
        "maxItems": w.OWNERS_MAX,
        "items": _text(w.USERNAME_MAX, 1),
        "description": "Usernames of clinician accounts.",
    }


def _email() -> Schema:
    return {"type": "string", "format": "email", "minLength": 3, "maxLength": w.EMAIL_MAX}


def language() -> Schema:
    return {"enum": [lang.value for lang in Language], "default": Language.NB.value}


def _page(item: str) -> Schema:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": _nullable({"type": "string", "pattern": w.CURSOR_PATTERN}),
        },
    }


def _visit() -> Schema:
    fields: dict[str, Schema] = {
        "visit_id": ID,
        "room_id": ID,
        "role": {"enum": [r.value for r in Role]},
        "start": TIME,
        "end": TIME,
        "duration_minutes": {"type": "integer"},
        "status": {"enum": ["scheduled", "revoked", "expired"]},
        "state": {"enum": [s.value for s in VisitState]},
        "end_reason": _nullable({"enum": [r.value for r in EndReason]}),
        "invitation": {
            "type": "object",
            "required": ["link", "valid_from", "valid_until"],
            "properties": {
                "link": _nullable({"type": "string", "description": "…/join#<token>"}),
                "valid_from": TIME,
                "valid_until": TIME,
            },
        },
        "email": {
            "type": "object",
            "required": ["address", "language", "delivery"],
            "properties": {
                "address": _nullable({"type": "string"}),
                "language": language(),
                "delivery": _nullable(ref("Delivery")),
            },
        },
        "revoked_at": _nullable(TIME),
        "created_at": TIME,
    }
    return _record(fields)


def _room_state() -> Schema:
    count = {"type": "integer", "minimum": 0}
    live = {
        "type": "object",
        "required": ["visit_id", "role", "state", "reconnecting", "waiting_since"],
        "properties": {
            "visit_id": ID,
            "role": {"enum": [r.value for r in Role]},
            "state": {"enum": ["waiting", "in_call", "paused"]},
            "reconnecting": {"type": "boolean"},
            "waiting_since": _nullable(TIME),
            "appointment_start": _nullable(TIME),
            "display_name": {"type": "string", "description": "Only with the clinical scope."},
            "identity_checked": {"type": "boolean"},
            "present": {"type": "array", "items": {"type": "string"}},
        },
    }
    counts = ["waiting", "in_call", "paused", "reconnecting", "expected"]
    return {
        "type": "object",
        "required": ["room_id", "closed", "counts", "longest_wait_seconds", "visits"],
        "properties": {
            "room_id": ID,
            "closed": {"type": "boolean"},
            "counts": {
                "type": "object",
                "required": counts,
                "properties": {name: count for name in counts},
            },
            "longest_wait_seconds": _nullable(count),
            "visits": {"type": "array", "items": live},
        },
    }
