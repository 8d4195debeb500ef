"""The invitation e-mail end to end: the API schedules a visit and sends it through a real
local SMTP server (aiosmtpd); the patient's message carries both languages, the link that
lets them in, and a calendar file at the right time."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator

import aiohttp
import icalendar
import pytest

from tests.api.conftest import Api, soon, token_of
from tests.fixtures.servers import JOIN_DETAILS, Harness
from tests.mail.conftest import Recorder, Servers

pytestmark = pytest.mark.parametrize("store_kind", ["memory"])


@pytest.fixture
async def mailing(harness: Harness) -> AsyncIterator[tuple[Api, Recorder]]:
    recorder, smtp = Recorder(), Servers()
    port = smtp.start(recorder)
    server = await harness.server(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_from="Venterom <no-reply@venterom.example>",
        smtp_retry_base=0.2,
    )
    room = await harness.room(await harness.clinician("doctor"), name="Poliklinikk")
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(harness, server, http, "", room), recorder
    finally:
        smtp.stop_all()


async def test_the_patient_receives_an_invitation_that_lets_them_in(
    mailing: tuple[Api, Recorder],
) -> None:
    api, recorder = mailing
    start = soon(90)
    created = await api.call(
        "POST",
        f"/rooms/{api.room}/visits",
        body={"start": start, "email": "kari@example.no", "language": "nb", "send_email": True},
    )
    assert created.status == 201, created.text
    assert created.json["email"]["delivery"]["status"] == "sent"
    (received,) = recorder.received
    assert received.rcpt_tos == ["kari@example.no"]
    message = received.parsed()
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "videokonsultasjon" in text.lower() and "video consultation" in text.lower()
    links = set(re.findall(r"https?://\S+/join\S*", text))
    assert links == {created.json["invitation"]["link"]}, "one link, the token in the fragment"
    (attachment,) = [
        p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event["DTSTART"].dt == dt.datetime.fromisoformat(start)
    guest = await api.harness.guest(api.server, token_of(links.pop()))
    assert (await guest.call("join", JOIN_DETAILS))["ok"], "the e-mailed link works"


async def test_sending_again_to_a_new_address_and_a_retry_after_a_refusal(
    mailing: tuple[Api, Recorder],
) -> None:
    api, recorder = mailing
    created = await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon()})
    visit_id = created.json["visit_id"]
    recorder.data.append("451 4.3.0 try again later")
    sent = await api.call(
        "POST", f"/visits/{visit_id}/email", body={"email": "ola@example.no", "language": "en"}
    )
    assert sent.status == 202
    delivery = sent.json["email"]["delivery"]
    assert (delivery["status"], delivery["error"]) == ("queued", "data_refused")
    assert delivery["next_attempt"] is not None, "the retry is scheduled and shown"
    async with asyncio.timeout(10):
        while True:
            shown = (await api.call("GET", f"/visits/{visit_id}")).json["email"]["delivery"]
            if shown["status"] == "sent":
                break
            await asyncio.sleep(0.1)
    assert shown["attempts"] == 2
    (received,) = recorder.received
    assert received.rcpt_tos == ["ola@example.no"]
    assert received.parsed()["Subject"].startswith("Your video consultation")
    audit = (api.harness.tmp_path / "audit.log").read_text()
    assert '"event":"invitation_sent"' in audit and "ola@example.no" not in audit
