"""Every screen of every role passes axe-core, in both languages, on a phone and a desktop.

One test per (language, width) walks a guest, a clinician and the operations page through
all their screens; the other side of each step is driven over socket.io from Python.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from lobby.domain.model import Role
from tests.browser.conftest import DESKTOP, PHONE, Site
from tests.browser.flows import assert_accessible, screenshot
from tests.fixtures.servers import JOIN_DETAILS, PASSWORD, Client, visit_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LOCALES = {"en": "en-GB", "nb": "nb-NO"}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


async def screen(page: Page, name: str) -> None:
    await expect(page.locator(f"section[data-screen='{name}']")).to_be_visible()


async def check_guest(site: Site, page: Page, clinician: Client, where: str) -> None:
    await page.goto(f"/join#{await site.invite(start_in=-6 * 3600)}")
    await screen(page, "link-error")
    await assert_accessible(page, f"{where} guest link error")

    await page.goto(f"/join#{await site.invite()}")
    await screen(page, "check")
    await assert_accessible(page, f"{where} guest device check")
    await page.locator("#start-check").click()
    await expect(page.locator("#camera-result.status-ok")).to_be_visible()
    await page.locator("#play-sound").click()
    await expect(page.locator("#speaker-question")).to_be_visible()
    await assert_accessible(page, f"{where} guest device check results")
    await page.locator("#heard-no").click()
    await page.locator("#check-continue").click()

    await screen(page, "details")
    await page.locator("#add-person").click()
    await page.locator("#join-button").click()
    await expect(page.locator("#display-name-error")).to_be_visible()
    await assert_accessible(page, f"{where} guest details with errors")
    await page.locator("#display-name").fill("Kari Nordmann")
    await page.locator("#present-1").fill("Ola")
    await page.locator("#consent").check()
    await page.locator("#join-button").click()

    await screen(page, "waiting")
    lobby = await clinician.wait_for("lobby", lambda p: len(p["visits"]) == 1)
    visit_id = lobby["visits"][0]["visit_id"]
    assert (await clinician.call("notice", {"room_id": site.room_id, "code": "ready_soon"}))["ok"]
    await expect(page.locator("#notice-text")).to_be_visible()
    await page.locator("#help summary").click()
    await assert_accessible(page, f"{where} guest waiting")
    if where.startswith("[nb, 375"):
        await screenshot(page, "guest-nb-waiting")
    await page.locator("#leave-waiting").click()
    await expect(page.locator("#leave-dialog")).to_be_visible()
    await assert_accessible(page, f"{where} guest leave dialog")
    await page.locator("#leave-cancel").click()

    assert (await clinician.call("admit", {"visit_id": visit_id}))["ok"]
    await screen(page, "call")
    await assert_accessible(page, f"{where} guest call")
    assert (await clinician.call("pause", {"visit_id": visit_id}))["ok"]
    await screen(page, "paused")
    await assert_accessible(page, f"{where} guest paused")
    assert (await clinician.call("end", {"visit_id": visit_id}))["ok"]
    await screen(page, "ended")
    await assert_accessible(page, f"{where} guest ended")


async def check_clinician(site: Site, page: Page, where: str) -> None:
    # Expected today: one late who has not opened the link, one testing devices, one later.
    await site.invite(start_in=-600)
    await site.harness.guest(site.server, await site.invite(role=Role.COMPANION, start_in=-300))
    await site.invite(role=Role.INTERPRETER, start_in=2 * 3600)
    await page.goto("/clinician")
    await screen(page, "login")
    await page.locator("#login-button").click()
    await expect(page.locator("#login-error")).to_be_visible()
    await assert_accessible(page, f"{where} clinician login with error")
    await page.locator("#username").fill(site.username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login-button").click()
    await screen(page, "dashboard")
    await expect(page.locator(".expected > li")).to_have_count(3)
    await expect(page.locator(".expected > li.is-late")).to_have_count(2)
    await assert_accessible(page, f"{where} clinician empty lobby, guests expected")

    guest = await site.harness.guest(site.server, await site.invite())
    assert (await guest.call("join", JOIN_DETAILS))["ok"]
    second = await site.harness.guest(site.server, await site.invite())
    assert (await second.call("join", {**JOIN_DETAILS, "display_name": "Per"}))["ok"]
    await expect(page.locator(".lobby > li")).to_have_count(2)
    await assert_accessible(page, f"{where} clinician lobby")
    await page.locator(".lobby > li").last.locator("button.danger").click()
    await expect(page.locator("#confirm-dialog")).to_be_visible()
    await assert_accessible(page, f"{where} clinician confirm dialog")
    await page.locator("#confirm-no").click()

    await page.locator(".lobby > li").first.locator("button.primary").click()
    await guest.wait_for("visit", visit_in("in_call"))
    await expect(page.locator(".call-area")).to_be_visible()
    await expect(page.locator(".participants > li")).to_have_count(1)
    await assert_accessible(page, f"{where} clinician call")

    # Scheduling, opened below the lobby: the form and the room's invitations.
    await page.locator("details.schedule > summary").click()
    await expect(page.locator(".invitations > li").first).to_be_visible()
    await assert_accessible(page, f"{where} clinician scheduling")


async def check_ops(page: Page, where: str) -> None:
    await page.goto("/ops")
    await screen(page, "summary")
    await expect(page.locator("#room-rows tr")).to_have_count(1)
    await assert_accessible(page, f"{where} operations")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", list(LOCALES))
async def test_every_screen_passes_axe(
    site: Site, guest_browser: Browser, clinician_browser: Browser, language: str, width: str
) -> None:
    where = f"[{language}, {WIDTHS[width]['width']} px]"
    clinician_socket = await site.harness.clinician_client(site.server, site.username)
    guest = await site.page(guest_browser, locale=LOCALES[language], viewport=WIDTHS[width])
    await check_guest(site, guest, clinician_socket, where)
    assert await guest.evaluate("document.documentElement.lang") == language

    clinician = await site.page(clinician_browser, locale=LOCALES[language], viewport=WIDTHS[width])
    await check_clinician(site, clinician, where)
    await check_ops(clinician, where)
