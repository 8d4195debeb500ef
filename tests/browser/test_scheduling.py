"""Scheduling on the clinician's dashboard in Chromium: a visit scheduled there brings its
guest in; revoking an invitation tells its waiting guest and kills the link; the scheduling
controls pass axe and are large, on a phone and a desktop, in both languages."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Site
from tests.browser.flows import (
    REFUSE_CLIPBOARD,
    assert_accessible,
    continue_to_details,
    heading,
    invitation_token,
    join_waiting_room,
    lobby_entry,
    local_date_time,
    log_in,
    open_invitation,
    run_device_test,
    screenshot,
)
from tests.fixtures.servers import PASSWORD
from tests.mail.conftest import Recorder, Servers

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ROOM = "Poliklinikk for voksne"
LOCALES = {"en": "en-GB", "nb": "nb-NO"}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def room_of(page: Page) -> Any:
    return page.get_by_role("region", name=ROOM)


async def log_in_norwegian(site: Site, page: Page) -> None:
    await page.goto("/clinician")
    await expect(heading(page, "Logg inn")).to_be_visible()
    await page.get_by_label("Brukernavn").fill(site.username)
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()
    await expect(heading(page, "Venterommene dine")).to_be_visible()


async def test_a_visit_scheduled_on_the_dashboard_brings_its_guest_in(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await clinician.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=site.base_url
    )
    await log_in(site, clinician)
    room = room_of(clinician)
    form = room.get_by_role("form", name="Schedule a visit")
    await expect(form).to_be_hidden()  # the lobby stays the main thing until asked
    await room.get_by_text("Schedule visits and invitations", exact=True).click()
    await expect(room.get_by_text("No visits are scheduled in this room.")).to_be_visible()
    await expect(form.get_by_label("Length in minutes")).to_have_value("30")
    send_now = form.get_by_role("checkbox", name="Send the invitation by e-mail now")
    await expect(send_now).to_be_disabled()

    day, clock = local_date_time(5 * 60)
    await form.get_by_label("Who is invited").select_option("patient")
    await form.get_by_label("Date", exact=True).fill(day)
    await form.get_by_label("Time", exact=True).fill(clock)
    await form.get_by_role("button", name="Schedule visit").click()

    items = room.get_by_role("list", name="Scheduled invitations").get_by_role("listitem")
    await expect(items).to_have_count(1)
    item = items.first
    title = item.get_by_role("heading", level=4)
    await expect(title).to_be_focused()
    await expect(title).to_contain_text("Patient, ")
    await expect(title).to_contain_text(clock)
    await expect(item).to_contain_text("Scheduled")
    await expect(item).to_contain_text("New")
    await expect(item).to_contain_text("not sent")
    await expect(room.get_by_text(re.compile("^Visit scheduled: patient, "))).to_be_visible()
    # The dashboard's list of today's expected guests knows of it at once.
    await expect(room.get_by_role("heading", name="Expected today (1)")).to_be_visible()

    await item.get_by_role("button", name="Copy link").click()
    await expect(item.get_by_text("Link copied.")).to_be_visible()
    await expect(clinician.locator("#announcer")).to_have_text("Link copied.")
    link = await clinician.evaluate("navigator.clipboard.readText()")
    token = invitation_token(link)

    async with clinician.expect_download() as download_info:
        await item.get_by_role("link", name="Download calendar file").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".ics"), download.suggested_filename
    calendar = await asyncio.to_thread(Path(await download.path()).read_text, "utf-8")
    assert "BEGIN:VCALENDAR" in calendar and "BEGIN:VEVENT" in calendar, calendar
    await screenshot(clinician, "clinician-2-scheduled")

    guest = await site.page(guest_browser)
    await open_invitation(site, guest, token)
    await run_device_test(guest)
    await continue_to_details(guest)
    await join_waiting_room(guest, "Kari Nordmann")
    entry = lobby_entry(clinician, "Kari Nordmann")
    await entry.get_by_role("button", name="Admit", exact=True).click()
    await expect(heading(guest, "Consultation")).to_be_visible()
    await expect(guest.locator("#call-status")).to_have_text("You are connected.")


async def test_revoking_an_invitation_tells_its_waiting_guest(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    clinician = await site.page(clinician_browser, locale="nb-NO", viewport=DESKTOP)
    # This browser will not let the page write the clipboard: the link is shown to copy.
    await clinician.add_init_script(REFUSE_CLIPBOARD)
    await log_in_norwegian(site, clinician)
    room = room_of(clinician)
    await room.get_by_text("Planlegg timer og innkallinger", exact=True).click()
    form = room.get_by_role("form", name="Planlegg en time")
    send_now = form.get_by_role("checkbox", name="Send innkallingen på e-post nå")
    await expect(send_now).to_be_disabled()
    day, clock = local_date_time(5 * 60)
    await form.get_by_label("Hvem som kalles inn").select_option("interpreter")
    await form.get_by_label("Dato", exact=True).fill(day)
    await form.get_by_label("Klokkeslett", exact=True).fill(clock)
    await form.get_by_label("Lengde i minutter").fill("45")
    await form.get_by_label("E-postadresse (valgfritt)").fill("tolk@example.no")
    await expect(send_now).to_be_enabled()
    await form.get_by_label("Språk i innkallingen").select_option("en")
    await form.get_by_role("button", name="Planlegg timen").click()

    item = room.get_by_role("list", name="Planlagte innkallinger").get_by_role("listitem").first
    await expect(item.get_by_role("heading", level=4)).to_contain_text("Tolk, ")
    await expect(item).to_contain_text("tolk@example.no")
    await expect(item).to_contain_text("ikke sendt")

    # The test server has no SMTP: said plainly once, and the e-mail controls go grey.
    await item.get_by_role("button", name="Send e-post").click()
    dialog = clinician.get_by_role("dialog", name="Send innkallingen på e-post")
    await expect(dialog.get_by_label("E-postadresse")).to_have_value("tolk@example.no")
    await expect(dialog.get_by_label("Språk i innkallingen")).to_have_value("en")
    await dialog.get_by_role("button", name="Send e-post").click()
    await expect(dialog).to_be_hidden()
    await expect(item.get_by_text("E-post er ikke satt opp på denne serveren.")).to_be_visible()
    await expect(item.get_by_role("button", name="Send e-post")).to_be_disabled()
    await expect(send_now).to_be_disabled()

    await item.get_by_role("button", name="Kopier lenken").click()
    link_field = item.get_by_label("Lenke til innkallingen")
    await expect(link_field).to_be_focused()
    token = invitation_token(await link_field.input_value())

    guest = await site.page(guest_browser)
    await open_invitation(site, guest, token)
    await guest.get_by_role("button", name="Continue without testing").click()
    await expect(heading(guest, "Your details")).to_be_visible()
    await join_waiting_room(guest, "Tove Tolk")
    await expect(lobby_entry(clinician, "Tove Tolk")).to_be_visible()

    await item.get_by_role("button", name="Trekk tilbake innkallingen").click()
    confirm = clinician.get_by_role(
        "dialog", name=re.compile(r"^Trekke tilbake innkallingen \(tolk, .+\)\?$")
    )
    await confirm.get_by_role("button", name="Trekk tilbake innkallingen").click()
    await expect(heading(guest, "The appointment has been cancelled")).to_be_visible()
    await expect(
        guest.get_by_text(
            "The clinic has cancelled this appointment. If you think this is wrong, "
            "call the clinic."
        )
    ).to_be_visible()
    await expect(guest.get_by_role("link", name="+47 51 00 00 00").first).to_be_visible()
    await screenshot(guest, "guest-10-ended-revoked")

    await expect(item).to_contain_text("Trukket tilbake")
    await expect(item.get_by_text("Innkallingen er trukket tilbake.")).to_be_visible()
    await expect(item.get_by_role("button")).to_have_count(0)
    await expect(item.get_by_role("heading", level=4)).to_be_focused()
    await expect(lobby_entry(clinician, "Tove Tolk")).to_have_count(0)

    await guest.goto(f"/join#{token}")
    await expect(heading(guest, "This invitation has been cancelled")).to_be_focused()
    await expect(guest.get_by_text("If you think this is wrong, call the clinic.")).to_be_visible()
    await expect(
        guest.get_by_text("Contact the clinic that sent you the invitation.")
    ).to_be_visible()
    await screenshot(guest, "guest-0-link-revoked")
    await guest.get_by_role("button", name="På norsk").click()
    await expect(heading(guest, "Denne innkallingen er avlyst")).to_be_visible()


async def test_an_invitation_that_cannot_be_emailed_says_so(
    site: Site, clinician_browser: Browser
) -> None:
    page = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, page)
    room = room_of(page)
    await room.get_by_text("Schedule visits and invitations", exact=True).click()
    form = room.get_by_role("form", name="Schedule a visit")
    day, clock = local_date_time(3 * 3600)
    await form.get_by_label("Who is invited").select_option("companion")
    await form.get_by_label("Date", exact=True).fill(day)
    await form.get_by_label("Time", exact=True).fill(clock)
    await form.get_by_label("E-mail address (optional)").fill("ola@example.no")
    await form.get_by_role("checkbox", name="Send the invitation by e-mail now").check()
    await form.get_by_role("button", name="Schedule visit").click()

    # The visit stands; the test server has no SMTP, so nothing was sent, and it says so.
    item = room.get_by_role("list", name="Scheduled invitations").get_by_role("listitem")
    await expect(item).to_have_count(1)
    await expect(item.get_by_role("heading", level=4)).to_contain_text("Companion, ")
    await expect(item).to_contain_text("not sent: e-mail is not set up on this server")
    await expect(
        form.get_by_text(re.compile(r"^Visit scheduled: companion, .* so nothing was sent"))
    ).to_be_visible()
    await expect(item.get_by_role("button", name="Send e-mail")).to_be_disabled()
    await expect(
        form.get_by_role("checkbox", name="Send the invitation by e-mail now")
    ).to_be_disabled()
    await expect(room.get_by_text("E-mail is not set up on this server.").first).to_be_visible()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", list(LOCALES))
async def test_scheduling_passes_axe_with_large_targets(
    site: Site, clinician_browser: Browser, language: str, width: str
) -> None:
    where = f"[{language}, {WIDTHS[width]['width']} px]"
    await site.invite(start_in=3600)  # scheduled elsewhere (CLI, API): listed too
    page = await site.page(clinician_browser, locale=LOCALES[language], viewport=WIDTHS[width])
    await page.add_init_script(REFUSE_CLIPBOARD)
    await page.goto("/clinician")
    await page.locator("#username").fill(site.username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login-button").click()
    await expect(page.locator("section[data-screen='dashboard']")).to_be_visible()
    await page.locator("details.schedule > summary").click()
    items = page.locator(".invitations > li")
    await expect(items).to_have_count(1)
    await assert_accessible(page, f"{where} scheduling, one invitation")

    form = page.locator(".sched-form")
    await form.locator("input[type=date]").fill("")
    await form.locator("input[type=number]").fill("0")
    await form.locator("input[type=email]").fill("not an address")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".error-text:visible")).to_have_count(3)
    await expect(form.locator("input[type=date]")).to_be_focused()
    await assert_accessible(page, f"{where} scheduling form with errors")

    day, clock = local_date_time(2 * 3600)
    await form.locator("input[type=date]").fill(day)
    await form.locator("input[type=time]").fill(clock)
    await form.locator("input[type=number]").fill("45")
    await form.locator("input[type=email]").fill("kari@example.no")
    await form.locator("button[type=submit]").click()
    await expect(items).to_have_count(2)
    fresh = items.filter(has=page.locator(".badge.ok"))
    await expect(fresh).to_have_count(1)
    await expect(fresh.locator("h4")).to_be_focused()
    await assert_accessible(page, f"{where} scheduling, new invitation")
    if width == "desktop":
        await screenshot(page, f"clinician-{language}-scheduling")

    buttons = fresh.locator(".actions button")  # copy, send, revoke (download is a link)
    await buttons.nth(1).click()
    dialog = page.locator("#email-dialog")
    await expect(dialog).to_be_visible()
    await dialog.locator("#email-address").fill("")
    await dialog.locator("#email-send").click()
    await expect(dialog.locator("#email-address-error")).to_be_visible()
    await assert_accessible(page, f"{where} e-mail dialog with an error")
    await dialog.locator("#email-address").fill("kari@example.no")
    await dialog.locator("#email-send").click()
    await expect(dialog).to_be_hidden()
    await expect(buttons.nth(1)).to_be_disabled()  # no SMTP on the test server
    await assert_accessible(page, f"{where} scheduling without e-mail")

    await buttons.nth(0).click()
    await expect(fresh.locator(".link-box input")).to_be_focused()
    await assert_accessible(page, f"{where} link to copy by hand")

    await buttons.nth(2).click()
    await expect(page.locator("#confirm-dialog")).to_be_visible()
    await assert_accessible(page, f"{where} revoke confirmation")
    await page.locator("#confirm-yes").click()
    await expect(fresh.locator(".actions")).to_be_hidden()
    await assert_accessible(page, f"{where} revoked invitation")


async def test_an_invitation_sent_from_the_dashboard_reaches_the_patient(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    recorder, smtp = Recorder(), Servers()
    mailing = site
    try:
        server = await site.harness.server(
            smtp_host="127.0.0.1",
            smtp_port=smtp.start(recorder),
            smtp_security="none",
            smtp_from="Venterom <no-reply@venterom.example>",
        )
        mailing = Site(site.harness, server, site.room_id)
        clinician = await mailing.page(clinician_browser, viewport=DESKTOP)
        await log_in(mailing, clinician)
        room = room_of(clinician)
        await room.get_by_text("Schedule visits and invitations", exact=True).click()
        form = room.get_by_role("form", name="Schedule a visit")
        day, clock = local_date_time(30 * 60)
        await form.get_by_label("Date", exact=True).fill(day)
        await form.get_by_label("Time", exact=True).fill(clock)
        await form.get_by_label("E-mail address (optional)").fill("kari@example.no")
        await form.get_by_role("checkbox", name="Send the invitation by e-mail now").check()
        await form.get_by_role("button", name="Schedule visit").click()
        item = room.get_by_role("list", name="Scheduled invitations").get_by_role("listitem")
        await expect(item.first).to_contain_text(re.compile("sent \\d"))
        (first,) = recorder.received
        assert first.rcpt_tos == ["kari@example.no"]

        await item.first.get_by_role("button", name="Send again").click()
        dialog = clinician.get_by_role("dialog", name="Send the invitation by e-mail")
        await dialog.get_by_label("E-mail address").fill("ola@example.no")
        await dialog.get_by_role("button", name="Send e-mail").click()
        await expect(dialog).to_be_hidden()
        await expect(item.first).to_contain_text("ola@example.no")
        assert [r.rcpt_tos for r in recorder.received] == [["kari@example.no"], ["ola@example.no"]]

        text = recorder.received[1].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
        (link,) = set(re.findall(r"http://\S+/join#\S+", text))
        guest = await mailing.page(guest_browser)
        await open_invitation(mailing, guest, invitation_token(link))
        assert not mailing.problems(), mailing.problems()
    finally:
        await mailing.close()
        smtp.stop_all()
