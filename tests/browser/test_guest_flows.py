"""The guest's pages in Chromium: links that do not work, joining, notices, denial, reloads."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Browser, expect

from lobby.domain.model import Role
from tests.browser.conftest import DESKTOP, Site
from tests.browser.flows import (
    guest_to_waiting_room,
    heading,
    join_waiting_room,
    lobby_entry,
    log_in,
    open_invitation,
    run_device_test,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_device_check_results_reach_the_clinician(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    guest = await site.page(guest_browser)
    await open_invitation(site, guest, await site.invite())
    await expect(guest.get_by_role("list", name="Steps")).to_be_visible()
    await screenshot(guest, "guest-1-check-start")
    await run_device_test(guest)
    await expect(guest.locator("#mic-result")).to_have_text("works")
    await guest.get_by_role("button", name="Play test sound").click()
    await guest.get_by_role("button", name="Yes, I heard it").click()
    await expect(guest.locator("#speaker-result")).to_have_text("works")
    await screenshot(guest, "guest-2-check-done")
    await guest.get_by_role("button", name="Continue", exact=True).click()
    await expect(heading(guest, "Your details")).to_be_visible()
    await guest.get_by_label("Your name").fill("Kari Nordmann")
    await guest.get_by_role("button", name="Add a person").click()
    await guest.get_by_label("Person 1: name and relation to you").fill("Ola, husband")
    await guest.get_by_role("button", name="Add a person").click()
    await guest.get_by_label("Person 2: name and relation to you").fill("Temp")
    await guest.get_by_role("button", name="Remove person 2").click()
    await expect(guest.get_by_label("Person 2: name and relation to you")).to_have_count(0)
    await screenshot(guest, "guest-3-details")

    await guest.get_by_role("button", name="Join the waiting room").click()
    await expect(guest.locator("#consent-error")).to_be_visible()
    await expect(guest.get_by_role("checkbox")).to_be_focused()
    await guest.get_by_role("checkbox", name="I agree to have this consultation by video.").check()
    await guest.get_by_role("button", name="Join the waiting room").click()
    await expect(heading(guest, "You are in the waiting room")).to_be_focused()
    await expect(guest.get_by_text("Your clinician will let you in.")).to_be_visible()
    await expect(guest.get_by_role("link", name="+47 51 00 00 00").first).to_be_visible()

    entry = lobby_entry(clinician, "Kari Nordmann")
    await expect(entry).to_be_visible()
    await expect(entry.get_by_text("unverified")).to_be_visible()
    await expect(entry.get_by_text("Ola, husband")).to_be_visible()
    await expect(entry.get_by_text("passed", exact=True)).to_be_visible()
    await entry.get_by_role("button", name="Identity checked").click()
    await expect(entry.get_by_text("identity checked", exact=True)).to_be_visible()
    waited = entry.locator("[data-since]")
    first = await waited.text_content()
    await expect(waited).not_to_have_text(first or "", timeout=3000)


async def test_notice_reaches_the_waiting_guest(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    # Later today's guests, for the screenshot: one late, one soon, one this afternoon.
    await site.invite(start_in=-12 * 60)
    await site.invite(role=Role.COMPANION, start_in=40 * 60)
    await site.invite(role=Role.INTERPRETER, start_in=2 * 3600)
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    guest = await site.page(guest_browser)
    await guest_to_waiting_room(site, guest, "Kari Nordmann")
    await expect(lobby_entry(clinician, "Kari Nordmann")).to_be_visible()

    await clinician.get_by_label("Notice to everyone waiting").select_option("running_late")
    await clinician.get_by_label("Minutes late").fill("15")
    await clinician.get_by_role("button", name="Send notice").click()
    notice = guest.locator("#notice-text")
    await expect(notice).to_contain_text("your clinician is running about 15 minutes late")
    await screenshot(guest, "guest-4-waiting-notice")
    await expect(clinician.locator(".expected > li")).to_have_count(3)
    await screenshot(clinician, "clinician-1-lobby")

    await guest.get_by_role("button", name="På norsk").click()
    await expect(
        guest.get_by_text("behandleren din er omtrent 15 minutter forsinket")
    ).to_be_visible()
    assert await guest.evaluate("document.documentElement.lang") == "nb"
    await guest.reload()
    await expect(heading(guest, "Du er i venterommet")).to_be_visible()
    await expect(notice).to_contain_text("omtrent 15 minutter forsinket")


async def test_deny_shows_the_reason_and_the_clinic(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    guest = await site.page(guest_browser)
    await guest_to_waiting_room(site, guest, "Per Hansen")
    entry = lobby_entry(clinician, "Per Hansen")
    await entry.get_by_label("Reason for denying").select_option("reschedule")
    await entry.get_by_role("button", name="Deny").click()
    dialog = clinician.get_by_role("dialog", name="Deny Per Hansen entry?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Deny").click()
    await expect(heading(guest, "You were not let in")).to_be_visible()
    await expect(guest.get_by_text("The clinic will give you a new appointment.")).to_be_visible()
    await expect(guest.get_by_role("link", name="+47 55 97 65 51").first).to_be_visible()
    await expect(entry).to_have_count(0)
    await screenshot(guest, "guest-9-ended-denied")


async def test_expired_and_broken_links_say_so_plainly(site: Site, guest_browser: Browser) -> None:
    page = await site.page(guest_browser)
    expired = await site.invite(start_in=-6 * 3600)
    await page.goto(f"/join#{expired}")
    await expect(heading(page, "This link has expired")).to_be_focused()
    await expect(
        page.get_by_text("contact the clinic that sent you the invitation")
    ).to_be_visible()
    assert "#" not in page.url
    await screenshot(page, "guest-0-link-expired")
    await page.goto(f"/join#{expired[:-4]}abcd")
    await expect(heading(page, "This link does not work")).to_be_visible()
    await page.goto("/join")
    await expect(heading(page, "Open the link from your invitation")).to_be_visible()


async def test_reload_within_grace_keeps_the_place(site: Site, guest_browser: Browser) -> None:
    page = await site.page(guest_browser)
    await guest_to_waiting_room(site, page, "Kari Nordmann")
    waited_before = time.monotonic()
    await page.reload()
    await expect(heading(page, "You are in the waiting room")).to_be_visible()
    text = await page.locator("#waited").text_content()
    assert text and text.endswith("s"), text
    assert time.monotonic() - waited_before < 20

    await page.get_by_text("I no longer want a video consultation").click()
    await page.get_by_role("button", name="Withdraw my consent").click()
    dialog = page.get_by_role("dialog", name="Withdraw your consent?")
    await dialog.get_by_role("button", name="Yes, withdraw").click()
    await expect(heading(page, "You have withdrawn your consent")).to_be_visible()
    await page.reload()
    await expect(heading(page, "You have withdrawn your consent")).to_be_visible()


async def test_the_link_opened_on_another_device_moves_the_visit_there(
    site: Site, guest_browser: Browser
) -> None:
    laptop = await site.page(guest_browser, viewport=DESKTOP)
    token = await site.invite()
    await open_invitation(site, laptop, token)
    await laptop.get_by_role("button", name="Continue without testing").click()
    await join_waiting_room(laptop, "Kari Nordmann")

    phone = await site.page(guest_browser, locale="nb-NO")
    await phone.goto(f"/join#{token}")
    await expect(heading(phone, "Du er i venterommet")).to_be_visible()
    await expect(heading(laptop, "This visit is open on another device")).to_be_visible()
    await expect(laptop.get_by_text("open the link again on this device")).to_be_visible()
    await screenshot(laptop, "guest-0-link-replaced")
    await laptop.wait_for_timeout(1500)  # a sweep: the laptop stays told, not reconnected
    await expect(heading(laptop, "This visit is open on another device")).to_be_visible()
    await expect(heading(phone, "Du er i venterommet")).to_be_visible()


async def test_display_name_is_shown_as_text_never_run(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    name = "<img src=x onerror=alert(1)>"
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    guest = await site.page(guest_browser)
    await guest_to_waiting_room(site, guest, name, present=("<script>alert(2)</script>",))
    entry = lobby_entry(clinician, name)
    await expect(entry.locator(".entry-name")).to_have_text(name)
    await expect(entry.get_by_text("<script>alert(2)</script>")).to_be_visible()
    assert await clinician.locator("img").count() == 0
    await clinician.wait_for_timeout(300)
    # The site fixture fails the test if any dialog opened on any page.
