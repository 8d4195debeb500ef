"""Scheduling a visit and making its invitation link (CLI, demo and API share this)."""

from __future__ import annotations

from dataclasses import dataclass

from lobby import invites
from lobby.directory import Directory, ScheduledVisit
from lobby.model import Role
from lobby.settings import Settings


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    visit: ScheduledVisit
    token: str
    link: str
    expires_at: float


def invite(
    directory: Directory,
    settings: Settings,
    secret: str,
    room_id: str,
    role: Role,
    start: float,
    end: float,
) -> IssuedInvitation:
    """Schedule a visit and sign its invitation, valid around the appointment window."""
    visit = directory.schedule_visit(room_id, role, start, end)
    invitation = invites.Invitation(
        room_id=room_id,
        visit_id=visit.visit_id,
        role=role,
        not_before=start - settings.invite_early,
        expires_at=end + settings.invite_late,
        appointment_start=start,
        appointment_end=end,
    )
    token = invites.sign(invitation, secret)
    return IssuedInvitation(
        visit, token, invites.link(settings.base_url, token), invitation.expires_at
    )
