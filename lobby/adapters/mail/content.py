"""The invitation e-mail: its subject, text and HTML, its calendar file, the whole message.

Pure: no sending and no directory here; the mailer hands in what it read.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from lobby.adapters.directory import Language
from lobby.adapters.mail import writers
from lobby.adapters.mail.document import sections
from lobby.adapters.mail.ics import calendar
from lobby.adapters.mail.invitation import EmailText, InvitationContent
from lobby.adapters.mail.wording import WORDING, day

__all__ = ["EmailText", "InvitationContent", "calendar", "message", "render"]

ATTACHMENT = {Language.NB: "innkalling.ics", Language.EN: "invitation.ics"}


def subject(content: InvitationContent) -> str:
    """`Innkalling til videokonsultasjon 8. desember kl. 10.30`, in the chosen language."""
    return WORDING[content.language].subject.format(day=day(content.start, content.language))


def render(content: InvitationContent) -> EmailText:
    """Subject, text and HTML: both languages in each, the chosen one first."""
    written = sections(content)
    title = subject(content)
    return EmailText(title, writers.plain(written), writers.html(written, title))


def message(
    content: InvitationContent, sender: str, recipient: str, uid_domain: str
) -> EmailMessage:
    """Text and HTML as alternatives, with the calendar file attached."""
    text = render(content)
    mail = EmailMessage()
    mail["Subject"] = text.subject
    mail["From"] = sender
    mail["To"] = recipient
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=uid_domain)
    # RFC 3834: out-of-office robots must not answer an automatic message.
    mail["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the parts 7-bit (any server) and still readable as source.
    mail.set_content(text.text, cte="quoted-printable")
    mail.add_alternative(text.html, subtype="html", cte="quoted-printable")
    mail.add_attachment(
        calendar(content, uid_domain),
        maintype="text",
        subtype="calendar",
        filename=ATTACHMENT[content.language],
        params={"method": "PUBLISH", "charset": "utf-8"},
    )
    return mail
