"""Scheduling a visit and making its invitation link (CLI, demo, API and dashboard share this).

The link is never stored: the token is signed from the scheduled visit's own fields, so
it can be shown again (copy the link, re-send the e-mail) and always comes out the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from lobby.adapters.directory import Directory, Language, ScheduledVisit
from lobby.domain import invites
from lobby.domain.model import Role
from lobby.settings import Settings


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    visit: ScheduledVisit
    token: str
    link: str
    not_before: float
    expires_at: float


async def invite(
    directory: Directory,
    settings: Settings,
    secret: str,
    room_id: str,
    role: Role,
    start: float,
    end: float,
    *,
    email: str | None = None,
    language: Language = Language.NB,
) -> IssuedInvitation:
    """Schedule a visit and sign its invitation, valid around the appointment window."""
    visit = await directory.schedule.add(
        room_id,
        role,
        start,
        end,
        not_before=start - settings.invite_early,
        expires_at=end + settings.invite_late,
        email=email,
        language=language,
    )
    return issued(visit, settings, secret)


def issued(visit: ScheduledVisit, settings: Settings, secret: str) -> IssuedInvitation:
    """The invitation of a scheduled visit, signed again (the same token every time)."""
    invitation = invites.Invitation(
        room_id=visit.room_id,
        visit_id=visit.visit_id,
        role=visit.role,
        not_before=visit.not_before or visit.start - settings.invite_early,
        expires_at=visit.expires_at or visit.end + settings.invite_late,
        appointment_start=visit.start,
        appointment_end=visit.end,
    )
    token = invites.sign(invitation, secret)
    return IssuedInvitation(
        visit,
        token,
        invites.link(settings.base_url, token),
        invitation.not_before,
        invitation.expires_at,
    )
