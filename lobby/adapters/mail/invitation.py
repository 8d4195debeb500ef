"""What an invitation e-mail says, as frozen records: the facts in, the texts out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from lobby.adapters.directory import Language, Room, ScheduledVisit


@dataclass(frozen=True, slots=True)
class InvitationContent:
    """Everything an invitation shows: the room, the appointment, the link, in which language."""

    room: Room
    visit: ScheduledVisit
    link: str
    language: Language

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.room.time_zone)

    @property
    def start(self) -> datetime:
        """The appointment's start in the room's time zone."""
        return datetime.fromtimestamp(self.visit.start, self.zone)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.visit.end, self.zone)

    @property
    def opens(self) -> datetime | None:
        """When the link starts to work (None: not recorded for this visit)."""
        if not self.visit.not_before or self.visit.not_before >= self.visit.start:
            return None
        return datetime.fromtimestamp(self.visit.not_before, self.zone)

    @property
    def minutes(self) -> int:
        return max(1, round((self.visit.end - self.visit.start) / 60))

    @property
    def place(self) -> str:
        """The clinic's name, else the room's: what the patient knows the appointment by."""
        return self.room.clinic_name or self.room.name

    @property
    def languages(self) -> tuple[Language, Language]:
        """The chosen language first, then the other."""
        other = Language.EN if self.language is Language.NB else Language.NB
        return (self.language, other)


@dataclass(frozen=True, slots=True)
class EmailText:
    subject: str
    text: str
    html: str
