"""The invitation as a small document (headings, paragraphs, lists), one section per language.

Built once and written out twice, as plain text and as HTML, so the two never drift apart.
Values from the directory stay separate strings here: the HTML writer escapes each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from lobby.adapters.directory import Language
from lobby.adapters.mail import wording
from lobby.adapters.mail.invitation import InvitationContent


@dataclass(frozen=True, slots=True)
class Phone:
    number: str


Inline = str | Phone


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    parts: tuple[Inline, ...]
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Items:
    """A list; `numbered` when the order matters (steps)."""

    items: tuple[tuple[Inline, ...], ...]
    numbered: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """Label and value pairs: the appointment at a glance."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class LinkBlock:
    href: str
    label: str
    fallback: str


Block = Heading | Paragraph | Items | Facts | LinkBlock


@dataclass(frozen=True, slots=True)
class Section:
    language: Language
    title: str
    blocks: tuple[Block, ...]


def sections(content: InvitationContent) -> tuple[Section, ...]:
    """The chosen language's section first, then the other's."""
    return tuple(section(content, language) for language in content.languages)


def section(content: InvitationContent, language: Language) -> Section:
    w = wording.WORDING[language]
    blocks: list[Block] = [Paragraph((w.intro.format(place=content.place),))]
    role = w.roles.get(content.visit.role)
    if role:
        blocks.append(Paragraph((role,), strong=True))
    blocks += [
        facts(content, language),
        Heading(w.link_heading),
        LinkBlock(content.link, w.link_label, w.link_fallback),
        Paragraph((w.personal,), strong=True),
        Heading(w.test_heading),
        Paragraph((test_text(content, language),)),
        Heading(w.prepare_heading),
        Items(tuple((item,) for item in w.prepare)),
        Heading(w.join_heading),
        Items(tuple((step,) for step in w.join), numbered=True),
        Heading(w.help_heading),
        Items(tuple((item,) for item in help_items(content, language))),
        Heading(w.contact_heading),
        *contacts(content, language),
        Heading(w.private_heading),
        Paragraph((w.private,)),
        Paragraph((w.footer.format(place=content.place),)),
    ]
    return Section(language, w.title, tuple(blocks))


def facts(content: InvitationContent, language: Language) -> Facts:
    w = wording.WORDING[language]
    start = content.start
    time = (
        f"{wording.when(start, language)} ({wording.zone(start, content.room.time_zone, language)})"
    )
    until = w.until.format(end=wording.clock(content.end, language))
    rows = [
        (w.time, time),
        (w.duration, f"{wording.duration(content.minutes, language)} ({until})"),
    ]
    if content.room.clinic_name:
        rows.append((w.clinic, content.room.clinic_name))
    rows.append((w.room, content.room.name))
    return Facts(tuple(rows))


def test_text(content: InvitationContent, language: Language) -> str:
    w = wording.WORDING[language]
    opens = content.opens
    if opens is None:
        return w.test_text
    same_day = opens.date() == content.start.date()
    moment = wording.clock(opens, language) if same_day else wording.when(opens, language)
    if same_day:
        moment = f"kl. {moment}" if language is Language.NB else moment
    return f"{w.test_opens.format(opens=moment)} {w.test_text}"


def help_items(content: InvitationContent, language: Language) -> tuple[str, ...]:
    w = wording.WORDING[language]
    connect = w.help_connect_support if content.room.support_phone else w.help_connect_clinic
    return (connect, *w.help)


def contacts(content: InvitationContent, language: Language) -> tuple[Block, ...]:
    """The phone numbers to call; if the room has none, where to look instead."""
    w = wording.WORDING[language]
    room = content.room
    lines: list[tuple[Inline, ...]] = []
    if room.clinic_phone:
        name = room.clinic_name or w.the_clinic
        lines.append((w.contact_clinic.format(clinic=name) + " ", Phone(room.clinic_phone)))
    if room.support_phone:
        lines.append((w.contact_support + " ", Phone(room.support_phone)))
    if not lines:
        return (Paragraph((w.contact_none,)),)
    return (Items(tuple(lines)),)
