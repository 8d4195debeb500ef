"""The invitation as a patient reads it: both languages, the right time, a safe HTML part,
and a calendar file that lands on the right hour in any calendar app."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lobby.adapters.directory import Language, Room, ScheduledVisit
from lobby.adapters.mail import InvitationContent, calendar, message, render
from lobby.domain.model import Role
from tests.mail.conftest import ADDRESS, OSLO, START

NEW_YORK = ZoneInfo("America/New_York")
LINK = "https://venterom.example/join#eyJ2IjoxfQ.c2lnbmF0dXJl"
ROOM = Room(
    "r_1",
    "<b>Rom & co</b>",
    clinic_name="Jæren DPS",
    clinic_phone="51 00 00 00",
    support_phone="+47 55 97 65 51",
)


def invitation(
    language: Language = Language.NB,
    role: Role = Role.PATIENT,
    room: Room = ROOM,
    start: dt.datetime = START,
    minutes: int = 30,
) -> InvitationContent:
    begin = start.timestamp()
    visit = ScheduledVisit(
        "v_1",
        room.room_id,
        role,
        begin,
        begin + minutes * 60,
        not_before=begin - 2 * 3600,
        expires_at=begin + minutes * 60 + 4 * 3600,
        email=ADDRESS,
        language=language,
    )
    return InvitationContent(room, visit, LINK, language)


class Outline(HTMLParser):
    """The tags, section languages and links of an HTML part."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.langs: list[tuple[str, str | None]] = []
        self.links: list[tuple[str | None, str]] = []
        self._link: list[str] | None = None
        self._href: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if "lang" in found:
            self.langs.append((tag, found["lang"]))
        if tag == "a":
            self._href, self._link = found.get("href"), []

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append((self._href, "".join(self._link)))
            self._link = None


def test_norwegian_text_comes_first_then_english() -> None:
    text = render(invitation(Language.NB)).text

    assert text.startswith("English below.")
    norwegian = text.index("Du har time til videokonsultasjon hos Jæren DPS.")
    english = text.index("You have a video consultation with Jæren DPS.")
    assert norwegian < english
    assert "tirsdag 8. desember 2026 kl. 10.30 (norsk tid, UTC+1)" in text
    assert "Tuesday 8 December 2026 at 10:30 (Norwegian time, UTC+1)" in text
    assert "Varighet: 30 minutter (til kl. 11.00)" in text
    assert "Venterom: <b>Rom & co</b>" in text  # plain text: shown as typed, nothing to escape
    assert text.count(LINK) == 2
    assert "Lenken virker fra kl. 08.30." in text
    assert "Lenken er personlig. Ikke del den med andre" in text
    assert "Åpne lenken omtrent 10 minutter før timen." in text
    assert "Behandleren slipper deg inn når det er din tur." in text
    assert "Et rom der du kan være alene, og der ingen andre kan høre samtalen." in text
    assert "Ved akutt fare, ring 113." in text
    assert "Jæren DPS, telefon 51 00 00 00" in text
    assert "Teknisk støtte, telefon +47 55 97 65 51" in text
    assert "Technical support, phone +47 55 97 65 51" in text


def test_english_text_comes_first_then_norwegian() -> None:
    written = render(invitation(Language.EN))

    assert written.subject == "Your video consultation on 8 December at 10:30"
    assert written.text.startswith("Norsk tekst nedenfor.")
    english = written.text.index("Open the link about 10 minutes before your appointment.")
    norwegian = written.text.index("Åpne lenken omtrent 10 minutter før timen.")
    assert english < norwegian
    assert "The link works from 08:30." in written.text


def test_subject_is_in_the_chosen_language() -> None:
    assert render(invitation()).subject == "Innkalling til videokonsultasjon 8. desember kl. 10.30"


def test_html_is_semantic_and_escapes_every_value() -> None:
    hostile = Room("r_2", "<b>Rom & co</b>", clinic_name='"><script>x()</script>')
    html = render(invitation(room=hostile)).html
    outline = Outline(html)

    assert ("html", "nb") in outline.langs
    assert [lang for tag, lang in outline.langs if tag == "section"] == ["nb", "en"]
    assert ("p", "en") in outline.langs  # the "English below." pointer, read as English
    assert {"h1", "h2", "ul", "ol", "dl"} <= set(outline.tags)
    assert not {"img", "script", "style", "table"} & set(outline.tags)
    assert (LINK, "Åpne videokonsultasjonen") in outline.links
    assert (LINK, "Open the video consultation") in outline.links
    assert "&lt;b&gt;Rom &amp; co&lt;/b&gt;" in html
    assert "<b>Rom" not in html
    assert "<script>" not in html
    assert "&quot;&gt;&lt;script&gt;" in html


def test_phone_numbers_can_be_tapped() -> None:
    links = Outline(render(invitation()).html).links

    assert ("tel:51000000", "51 00 00 00") in links
    assert ("tel:+4755976551", "+47 55 97 65 51") in links


@pytest.mark.parametrize(
    ("role", "norwegian", "english"),
    [
        (Role.COMPANION, "Du er invitert som ledsager.", "You are invited as a companion."),
        (Role.INTERPRETER, "Du er invitert som tolk.", "You are invited as the interpreter."),
    ],
)
def test_a_guest_who_is_not_the_patient_is_told_their_role(
    role: Role, norwegian: str, english: str
) -> None:
    written = render(invitation(role=role))

    for part in (written.text, written.html):
        assert norwegian in part
        assert english in part


def test_the_patient_is_not_given_a_role_line() -> None:
    text = render(invitation(role=Role.PATIENT)).text

    assert "invitert som" not in text
    assert "invited as" not in text


def test_time_is_given_in_the_rooms_zone() -> None:
    room = Room("r_3", "Clinic room", clinic_name="Clinic", time_zone="America/New_York")
    start = dt.datetime(2026, 12, 8, 10, 30, tzinfo=NEW_YORK)
    text = render(invitation(room=room, start=start, minutes=90)).text

    assert "tirsdag 8. desember 2026 kl. 10.30 (America/New_York, UTC-5)" in text
    assert "Tuesday 8 December 2026 at 10:30 (America/New_York, UTC-5)" in text
    assert "1 time og 30 minutter (til kl. 12.00)" in text
    assert "1 hour 30 minutes (until 12:00)" in text


def test_a_room_without_phone_numbers_points_elsewhere() -> None:
    text = render(invitation(room=Room("r_4", "Rom"))).text

    assert "Bruk kontaktinformasjonen du har fått fra klinikken." in text
    assert "Hjelper ikke det, ring klinikken." in text
    assert "Du har time til videokonsultasjon hos Rom." in text
    assert ", telefon" not in text
    assert "Teknisk støtte" not in text


def read_calendar(data: bytes) -> Calendar:
    parsed = Calendar.from_ical(data)
    assert isinstance(parsed, Calendar)
    return parsed


def test_calendar_event_is_at_the_appointment_in_oslo_time() -> None:
    cal = read_calendar(calendar(invitation(), "venterom.example"))
    (event,) = cal.walk("VEVENT")

    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["PRODID"]).startswith("-//Venterom//")
    assert str(event["UID"]) == "v_1@venterom.example"
    assert event.start == START
    assert event.start.astimezone(dt.UTC) == dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)
    assert event.end == START + dt.timedelta(minutes=30)
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert [tz.tz_name for tz in cal.timezones] == ["Europe/Oslo"]
    assert str(event["URL"]) == LINK
    assert str(event["SUMMARY"]) == "Videokonsultasjon: Jæren DPS"
    description = str(event["DESCRIPTION"])
    assert LINK in description
    assert "Åpne lenken omtrent 10 minutter før timen." in description
    assert "Open the link about 10 minutes before your appointment." in description
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=15)
    assert "test kamera og mikrofon" in str(alarm["DESCRIPTION"])


def test_calendar_event_in_another_zone() -> None:
    room = Room("r_3", "Room", clinic_name="Clinic", time_zone="America/New_York")
    start = dt.datetime(2026, 12, 8, 10, 30, tzinfo=NEW_YORK)
    cal = read_calendar(calendar(invitation(Language.EN, room=room, start=start), "x.example"))
    (event,) = cal.walk("VEVENT")

    assert event.start == start
    assert event.start.astimezone(dt.UTC).hour == 15
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert str(event["SUMMARY"]) == "Video consultation: Clinic"


def test_calendar_holds_no_address() -> None:
    data = calendar(invitation(), "venterom.example").decode()

    assert ADDRESS not in data
    assert "@example.no" not in data


def parse(mail: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(mail.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("language", "filename"), [(Language.NB, "innkalling.ics"), (Language.EN, "invitation.ics")]
)
def test_message_has_text_html_and_calendar(language: Language, filename: str) -> None:
    sender = "Venterom <no-reply@venterom.example>"
    mail = parse(message(invitation(language), sender, ADDRESS, "venterom.example"))

    assert mail["To"] == ADDRESS
    assert mail["From"] == sender
    assert mail["Subject"] == render(invitation(language)).subject
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/mixed"
    body, attachment = mail.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == filename
    cal = read_calendar(attachment.get_payload(decode=True))
    assert cal.walk("VEVENT")[0].start == START
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert LINK in text.get_content()
    assert f'href="{LINK}"' in html.get_content()


def test_appointment_at_midnight_names_the_day_the_link_opens() -> None:
    start = dt.datetime(2026, 12, 8, 0, 30, tzinfo=OSLO)
    text = render(invitation(start=start)).text

    assert "Lenken virker fra mandag 7. desember 2026 kl. 22.30." in text
    assert "The link works from Monday 7 December 2026 at 22:30." in text
