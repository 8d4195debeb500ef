"""Invitations over a real SMTP server: TLS and login, retries with backoff, refusals, a
restart in the middle, and logs that never hold an address or a link."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import socket
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lobby.adapters.directory import Delivery, DeliveryStatus, Directory, Language
from lobby.domain.errors import LobbyError, NotFound
from lobby.logs import JsonFormatter
from lobby.services.mailer import Mailer, MailNotConfigured
from lobby.settings import Settings
from tests.mail.conftest import (
    ADDRESS,
    NOW,
    PASSWORD,
    SECRET,
    START,
    USER,
    Certificate,
    Recorder,
    Servers,
    ShiftedClock,
    authenticate,
    mail_settings,
    make_room,
    make_visit,
)

pytestmark = pytest.mark.timeout(30)


class Mailers:
    """Mailers started for a test, each closed after it (no worker outlives its test)."""

    def __init__(self, clock: ShiftedClock) -> None:
        self.clock = clock
        self.running: list[Mailer] = []

    def start(self, directory: Directory, settings: Settings) -> Mailer:
        mailer = Mailer(directory, settings, SECRET, clock=self.clock)
        mailer.start()
        self.running.append(mailer)
        return mailer

    async def close_all(self) -> None:
        while self.running:
            await self.running.pop().close()


@pytest.fixture
async def mailers(clock: ShiftedClock, directory: Directory) -> AsyncIterator[Mailers]:
    made = Mailers(clock)
    try:
        yield made
    finally:
        await made.close_all()


@pytest.fixture(autouse=True)
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def settled(directory: Directory, delivery_id: str, status: DeliveryStatus) -> Delivery:
    """The delivery once it reaches `status` (within a few seconds)."""
    async with asyncio.timeout(10):
        while True:
            delivery = await directory.outbox.get(delivery_id)
            assert delivery is not None
            if delivery.status is status:
                return delivery
            await asyncio.sleep(0.02)


def assert_private(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    """No log line of ours holds any of `secrets`; aiosmtpd's (`mail.*`) is the test server's."""
    ours = [record for record in caplog.records if not record.name.startswith("mail.")]
    assert any(record.name == "venterom.mail" for record in ours)
    formatter = JsonFormatter()
    for record in ours:
        line = formatter.format(record)
        for secret in (*secrets, ADDRESS, ADDRESS.split("@")[0]):
            assert secret not in line, record.name


async def test_invitation_arrives_over_starttls_with_login(
    servers: Servers,
    certificate: Certificate,
    directory: Directory,
    mailers: Mailers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    port = servers.start(
        recorder,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    settings = mail_settings(
        port,
        smtp_security="starttls",
        smtp_ca_file=str(certificate.cert),
        smtp_username=USER,
        smtp_password=PASSWORD,
    )
    invitation = await make_visit(directory, settings, await make_room(directory))
    mailer = mailers.start(directory, settings)

    delivery = await mailer.deliver(invitation.visit.visit_id, Language.NB, wait=10)

    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1, "")
    assert mailer.counters.sent == 1
    (received,) = recorder.received
    assert received.tls and received.authenticated
    assert received.rcpt_tos == [ADDRESS]
    mail = received.parsed()
    assert mail["To"] == ADDRESS
    assert mail["Subject"] == "Innkalling til videokonsultasjon 8. desember kl. 10.30"
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    text_content, html_content = text.get_content(), html.get_content()
    assert "Du har time til videokonsultasjon hos Jæren DPS." in text_content
    assert "You have a video consultation with Jæren DPS." in text_content
    assert "Lenken er personlig." in html_content and "The link is personal." in html_content
    assert "&lt;b&gt;Rom &amp; co&lt;/b&gt;" in html_content
    assert invitation.link == f"https://venterom.example/join#{invitation.token}"
    urls = re.findall(r"https?://[^\s<>\"]+", text_content + html_content)
    assert urls and set(urls) == {invitation.link}  # the token only ever after the `#`
    attachment = next(part for part in mail.iter_attachments())
    assert attachment.get_filename() == "innkalling.ics"
    cal = Calendar.from_ical(attachment.get_payload(decode=True))
    (event,) = cal.walk("VEVENT")
    assert event.start == START
    assert event.start.astimezone(dt.UTC) == dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)
    assert_private(caplog, invitation.token, invitation.link)


async def test_an_invitation_in_english_for_a_room_in_new_york(
    servers: Servers, directory: Directory, mailers: Mailers
) -> None:
    recorder = Recorder()
    settings = mail_settings(servers.start(recorder))
    room = await make_room(directory, "Telehealth", zone="America/New_York")
    start = dt.datetime(2026, 12, 8, 10, 30, tzinfo=dt.UTC).astimezone(ZoneInfo(room.time_zone))
    invitation = await make_visit(directory, settings, room, start=start, language=Language.EN)
    mailer = mailers.start(directory, settings)

    delivery = await mailer.deliver(invitation.visit.visit_id, Language.EN, wait=10)

    assert delivery.status is DeliveryStatus.SENT
    mail = recorder.received[0].parsed()
    assert mail["Subject"] == "Your video consultation on 8 December at 05:30"
    attachment = next(part for part in mail.iter_attachments())
    assert attachment.get_filename() == "invitation.ics"
    (event,) = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
    assert event.start == start
    assert event["DTSTART"].params["TZID"] == "America/New_York"


async def test_a_temporary_refusal_is_retried_after_the_base_wait(
    servers: Servers, directory: Directory, mailers: Mailers, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(data=["451 4.3.0 Try again later"])
    settings = mail_settings(servers.start(recorder), smtp_retry_base=0.2)
    invitation = await make_visit(directory, settings, await make_room(directory))
    mailer = mailers.start(directory, settings)

    first = await mailer.deliver(invitation.visit.visit_id, Language.NB, wait=10)

    assert (first.status, first.attempts, first.last_error) == (
        DeliveryStatus.QUEUED,
        1,
        "data_refused",
    )
    assert first.next_attempt - first.updated == pytest.approx(0.2, abs=0.05)
    sent = await settled(directory, first.delivery_id, DeliveryStatus.SENT)
    assert sent.attempts == 2
    assert len(recorder.received) == 1
    assert recorder.attempts[1] - recorder.attempts[0] >= 0.2
    assert (mailer.counters.sent, mailer.counters.retried, mailer.counters.failed) == (1, 1, 0)
    assert_private(caplog, invitation.token, invitation.link)


async def test_waits_grow_fourfold_until_the_attempts_run_out(
    servers: Servers, directory: Directory, mailers: Mailers
) -> None:
    busy = "451 4.7.1 Greylisted, try again later"
    recorder = Recorder(rcpt=[busy] * 3)
    settings = mail_settings(servers.start(recorder), smtp_retry_base=0.1, smtp_max_attempts=3)
    invitation = await make_visit(directory, settings, await make_room(directory))
    mailer = mailers.start(directory, settings)

    first = await mailer.deliver(invitation.visit.visit_id, Language.NB, wait=10)
    failed = await settled(directory, first.delivery_id, DeliveryStatus.FAILED)

    assert (failed.attempts, failed.last_error) == (3, "recipient_refused")
    assert len(recorder.attempts) == 3 and recorder.received == []
    one, two = (b - a for a, b in zip(recorder.attempts, recorder.attempts[1:], strict=False))
    assert 0.1 <= one < 0.4 <= two  # 0.1 s, then 4 x 0.1 s
    assert (mailer.counters.retried, mailer.counters.failed) == (2, 1)


async def test_a_permanent_refusal_fails_at_once(
    servers: Servers, directory: Directory, mailers: Mailers, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(rcpt=[f"550 5.1.1 <{ADDRESS}>: no such user here"])
    settings = mail_settings(servers.start(recorder), smtp_retry_base=0.05)
    invitation = await make_visit(directory, settings, await make_room(directory))
    mailer = mailers.start(directory, settings)

    delivery = await mailer.deliver(invitation.visit.visit_id, Language.NB, wait=10)
    await asyncio.sleep(0.3)  # long past any retry

    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.FAILED,
        1,
        "recipient_refused",
    )
    assert len(recorder.attempts) == 1
    assert (mailer.counters.failed, mailer.counters.retried) == (1, 0)
    assert_private(caplog, invitation.token, invitation.link, "no such user")


async def test_a_delivery_survives_a_restart_while_the_server_is_down(
    servers: Servers,
    closed_port: socket.socket,
    directory: Directory,
    db_path: str,
    clock: ShiftedClock,
    mailers: Mailers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port.getsockname()[1]
    settings = mail_settings(port, smtp_retry_base=0.2)
    invitation = await make_visit(directory, settings, await make_room(directory))
    before = mailers.start(directory, settings)

    first = await before.deliver(invitation.visit.visit_id, Language.NB, wait=10)
    await mailers.close_all()  # the instance stops while the server is still down

    assert (first.status, first.attempts, first.last_error) == (
        DeliveryStatus.QUEUED,
        1,
        "connect",
    )
    reopened = await Directory(db_path, clock).open()
    try:
        stored = await reopened.outbox.latest(invitation.visit.visit_id)
        assert stored is not None and stored.status is DeliveryStatus.QUEUED
        closed_port.close()
        recorder = Recorder()
        servers.start(recorder, port=port)
        after = mailers.start(reopened, settings)

        sent = await settled(reopened, first.delivery_id, DeliveryStatus.SENT)
    finally:
        await mailers.close_all()
        await reopened.close()

    assert sent.attempts == 2
    assert (after.counters.sent, before.counters.retried) == (1, 1)
    assert recorder.received[0].rcpt_tos == [ADDRESS]
    assert_private(caplog, invitation.token, invitation.link)


async def test_invitations_that_no_longer_work_are_not_sent(
    servers: Servers, directory: Directory, mailers: Mailers
) -> None:
    recorder = Recorder()
    settings = mail_settings(servers.start(recorder))
    room = await make_room(directory)
    revoked = (await make_visit(directory, settings, room)).visit
    await directory.schedule.revoke(revoked.visit_id)
    nobody = (await make_visit(directory, settings, room, email=None)).visit
    past = NOW - dt.timedelta(hours=10)
    expired = (await make_visit(directory, settings, room, start=past)).visit
    closed_room = await make_room(directory, "Closed")
    closed = (await make_visit(directory, settings, closed_room)).visit
    await directory.rooms.close(closed_room.room_id)
    injected = (await make_visit(directory, settings, room)).visit
    await directory.schedule.set_recipient(
        injected.visit_id, f"{ADDRESS}\r\nBcc: someone@example.org", Language.NB
    )
    mailer = mailers.start(directory, settings)

    outcomes = {}
    for visit in (revoked, nobody, expired, closed, injected):
        delivery = await mailer.deliver(visit.visit_id, Language.NB, wait=10)
        outcomes[visit.visit_id] = (delivery.status, delivery.attempts, delivery.last_error)

    assert outcomes == {
        revoked.visit_id: (DeliveryStatus.FAILED, 0, "revoked"),
        nobody.visit_id: (DeliveryStatus.FAILED, 0, "no_recipient"),
        expired.visit_id: (DeliveryStatus.FAILED, 0, "expired"),
        closed.visit_id: (DeliveryStatus.FAILED, 0, "room_closed"),
        injected.visit_id: (DeliveryStatus.FAILED, 0, "address"),
    }
    assert recorder.attempts == []


async def test_without_smtp_nothing_is_queued(directory: Directory, mailers: Mailers) -> None:
    settings = Settings(public_url="https://venterom.example")
    invitation = await make_visit(directory, settings, await make_room(directory))
    mailer = mailers.start(directory, settings)

    with pytest.raises(MailNotConfigured) as caught:
        await mailer.deliver(invitation.visit.visit_id, Language.NB, wait=1)

    assert isinstance(caught.value, LobbyError)
    assert caught.value.code == "email_not_configured"
    assert await directory.outbox.latest(invitation.visit.visit_id) is None


async def test_an_unknown_visit_is_not_found(
    servers: Servers, directory: Directory, mailers: Mailers
) -> None:
    mailer = mailers.start(directory, mail_settings(servers.start(Recorder())))

    with pytest.raises(NotFound):
        await mailer.deliver("v_unknown", Language.NB, wait=1)


async def test_shutting_down_mid_send_puts_the_delivery_back(
    servers: Servers, directory: Directory, mailers: Mailers, clock: ShiftedClock
) -> None:
    settings = mail_settings(servers.start(Recorder(stall=10)))
    invitation = await make_visit(directory, settings, await make_room(directory))
    mailer = mailers.start(directory, settings)

    sending = await mailer.deliver(invitation.visit.visit_id, Language.NB, wait=0.3)
    await mailer.close()

    assert sending.status is DeliveryStatus.SENDING
    back = await directory.outbox.get(sending.delivery_id)
    assert back is not None
    assert (back.status, back.attempts) == (DeliveryStatus.QUEUED, 0)
    assert back.next_attempt <= clock()  # due now, for the next instance to take
