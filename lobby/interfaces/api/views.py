"""What the integration API answers: rooms, visits and room states as JSON objects.

Times are RFC 3339 in the room's own time zone (the clinic's wall clock, with its offset).
Names and who is present appear only for a caller with the clinical scope.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from lobby.adapters.directory import Account, Delivery, DeliveryStatus, Room, ScheduledVisit
from lobby.domain.model import Visit, VisitState


def iso(moment: float | None, zone: str) -> str | None:
    if moment is None:
        return None
    return dt.datetime.fromtimestamp(moment, zoneinfo.ZoneInfo(zone)).isoformat(timespec="seconds")


def room_view(room: Room, owners: list[Account]) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "name": room.name,
        "clinic_name": room.clinic_name,
        "clinic_phone": room.clinic_phone,
        "support_phone": room.support_phone,
        "time_zone": room.time_zone,
        "owners": [owner.username for owner in owners],
        "closed": room.closed,
        "closed_at": iso(room.closed_at, room.time_zone),
        "created_at": iso(room.created, room.time_zone),
    }


def invitation_status(scheduled: ScheduledVisit, now: float) -> str:
    if scheduled.revoked:
        return "revoked"
    if scheduled.expires_at and scheduled.expires_at <= now:
        return "expired"
    return "scheduled"


def visit_view(
    scheduled: ScheduledVisit,
    room: Room,
    *,
    link: str,
    valid_from: float,
    valid_until: float,
    presence: Visit | None,
    delivery: Delivery | None,
    clinical: bool,
    now: float,
) -> dict[str, Any]:
    zone = room.time_zone
    status = invitation_status(scheduled, now)
    state = presence.state if presence is not None else VisitState.INVITED
    reason = presence.end_reason if presence is not None else None
    return {
        "visit_id": scheduled.visit_id,
        "room_id": scheduled.room_id,
        "role": scheduled.role.value,
        "start": iso(scheduled.start, zone),
        "end": iso(scheduled.end, zone),
        "duration_minutes": round((scheduled.end - scheduled.start) / 60),
        "status": status,
        "state": state.value,
        "end_reason": reason.value if reason else None,
        "invitation": {
            "link": link if status == "scheduled" else None,
            "valid_from": iso(valid_from, zone),
            "valid_until": iso(valid_until, zone),
        },
        "email": {
            "address": scheduled.email if clinical else None,
            "language": scheduled.language.value,
            "delivery": delivery_view(delivery, zone) if delivery else None,
        },
        "revoked_at": iso(scheduled.revoked_at, zone),
        "created_at": iso(scheduled.created, zone),
    }


def delivery_view(delivery: Delivery, zone: str) -> dict[str, Any]:
    waiting = delivery.status is DeliveryStatus.QUEUED
    return {
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt": iso(delivery.next_attempt, zone) if waiting else None,
        "error": delivery.last_error or None,
        "updated": iso(delivery.updated, zone),
    }


def room_state(
    room: Room, visits: list[Visit], expected: int, clinical: bool, now: float
) -> dict[str, Any]:
    """Counts and states of a room now; each live visit with its name only if `clinical`."""
    waits = [
        now - v.waiting_since
        for v in visits
        if v.state is VisitState.WAITING and v.waiting_since is not None
    ]
    return {
        "room_id": room.room_id,
        "closed": room.closed,
        "counts": {
            "waiting": sum(v.state is VisitState.WAITING for v in visits),
            "in_call": sum(v.state is VisitState.IN_CALL for v in visits),
            "paused": sum(v.state is VisitState.PAUSED for v in visits),
            "reconnecting": sum(v.reconnecting for v in visits),
            "expected": expected,
        },
        "longest_wait_seconds": round(max(waits)) if waits else None,
        "visits": [_live_visit(v, room.time_zone, clinical) for v in visits],
    }


def _live_visit(visit: Visit, zone: str, clinical: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "visit_id": visit.visit_id,
        "role": visit.role.value,
        "state": visit.state.value,
        "reconnecting": visit.reconnecting,
        "waiting_since": iso(visit.waiting_since, zone),
        "appointment_start": iso(visit.appointment_start, zone),
    }
    if clinical:
        view.update(
            display_name=visit.display_name,
            identity_checked=visit.identity_checked,
            present=list(visit.present),
        )
    return view
