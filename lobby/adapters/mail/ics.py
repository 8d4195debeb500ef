"""The invitation as an iCalendar file (RFC 5545) the patient can add to their calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from lobby.adapters.directory import Language
from lobby.adapters.mail import wording
from lobby.adapters.mail.invitation import InvitationContent

PRODID = "-//Venterom//Invitation//{language}"
ALARM_BEFORE = timedelta(minutes=15)
ZONE_MARGIN = timedelta(days=366)
"""The VTIMEZONE covers this much either side of the appointment: enough for any calendar
to place it, far smaller than the library's default span of decades."""


def calendar(content: InvitationContent, uid_domain: str) -> bytes:
    """A published event at the room's local time (with its VTIMEZONE), link and how-to."""
    w = wording.WORDING[content.language]
    event = Event.new(
        uid=f"{content.visit.visit_id}@{uid_domain}",
        stamp=datetime.now(UTC),
        start=content.start,
        end=content.end,
        summary=w.summary.format(place=content.place),
        description=description(content),
        url=content.link,
        sequence=0,
    )
    # Only the calendar app shows this, 15 minutes before: time to test the devices.
    event.add_component(Alarm.new_display(w.alarm, -ALARM_BEFORE))
    cal = Calendar.new(
        prodid=PRODID.format(language=content.language.value.upper()),
        method="PUBLISH",
        subcomponents=[event],
    )
    day = content.start.date()
    cal.add_missing_timezones(first_date=day - ZONE_MARGIN, last_date=day + ZONE_MARGIN)
    ical: bytes = cal.to_ical()
    return ical


def description(content: InvitationContent) -> str:
    """The short how-to in both languages, the chosen one first, with the link in each."""
    return "\n\n".join(_short(content, language) for language in content.languages)


def _short(content: InvitationContent, language: Language) -> str:
    w = wording.WORDING[language]
    room = content.room
    lines = [w.intro.format(place=content.place)]
    role = w.roles.get(content.visit.role)
    if role:
        lines.append(role)
    lines += [*w.join, f"{w.link_heading}: {content.link}", w.personal]
    if room.clinic_phone:
        name = room.clinic_name or w.the_clinic
        lines.append(f"{w.contact_clinic.format(clinic=name)} {room.clinic_phone}")
    if room.support_phone:
        lines.append(f"{w.contact_support} {room.support_phone}")
    return "\n".join(lines)
