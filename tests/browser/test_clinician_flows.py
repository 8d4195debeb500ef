"""The clinician's dashboard and the operations page in Chromium: a three-way call, send back,
move to phone, end, and live counts without names."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

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
    screenshot,
)
from tests.fixtures.servers import JOIN_DETAILS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_login_refuses_a_wrong_password(site: Site, clinician_browser: Browser) -> None:
    page = await site.page(clinician_browser, viewport=DESKTOP)
    await page.goto("/clinician")
    await expect(heading(page, "Log in")).to_be_focused()
    await page.get_by_label("Username").fill(site.username)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    await expect(page.get_by_label("Password")).to_be_focused()
    await screenshot(page, "clinician-0-login")
    await page.goto("/ops")
    await expect(heading(page, "Log in first")).to_be_visible()


async def test_a_disabled_account_is_logged_out_within_seconds(
    site: Site, clinician_browser: Browser
) -> None:
    page = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, page)
    await expect(
        page.get_by_role("heading", level=2, name="Poliklinikk for voksne")
    ).to_be_visible()
    account = await site.harness.directory.accounts.by_username(site.username)
    assert account is not None
    await site.harness.directory.accounts.set_disabled(account.account_id, True)
    started = time.monotonic()
    await expect(heading(page, "Log in")).to_be_visible(timeout=5_000)
    assert time.monotonic() - started < 5.0
    await expect(page.locator("#connection-banner")).to_be_hidden()


async def test_three_way_call_send_back_phone_and_end(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    await expect(clinician.get_by_text("Nobody else is expected today.")).to_be_visible()
    patient = await site.page(guest_browser)
    await guest_to_waiting_room(site, patient, "Kari Nordmann")
    companion = await site.page(guest_browser)
    await guest_to_waiting_room(site, companion, "Ola Nordmann")
    await expect(lobby_entry(clinician, "Ola Nordmann")).to_be_visible()

    await clinician.get_by_role("button", name="Admit all").click()
    call_area = clinician.get_by_role("region", name="Consultation")
    for page in (patient, companion):
        await expect(heading(page, "Consultation")).to_be_visible()
        await expect(page.locator(".remote-tile")).to_have_count(2)
        await expect(page.locator(".remote-tile .tile-state:visible")).to_have_count(0)
    await expect(call_area.locator(".remote-tile")).to_have_count(2)
    await expect(call_area.locator(".remote-tile .tile-state:visible")).to_have_count(0)

    participants = call_area.locator(".participants > li")
    ola = participants.filter(has_text="Ola Nordmann")
    await ola.get_by_role("button", name="Send back to waiting room").click()
    await expect(heading(companion, "You are in the waiting room")).to_be_visible()
    await expect(patient.locator(".remote-tile")).to_have_count(1)

    kari = participants.filter(has_text="Kari Nordmann")
    await kari.get_by_role("button", name="Move to phone").click()
    confirm = clinician.get_by_role("dialog", name="Move Kari Nordmann to phone?")
    await confirm.get_by_role("button", name="Move to phone").click()
    await expect(heading(patient, "Your clinician will call you by phone")).to_be_visible()
    await screenshot(patient, "guest-7-ended-phone")
    await expect(call_area).to_be_hidden()

    await (
        lobby_entry(clinician, "Ola Nordmann")
        .get_by_role("button", name="Admit", exact=True)
        .click()
    )
    await expect(companion.locator("#call-status")).to_have_text("You are connected.")
    await call_area.get_by_role("button", name="End consultation").click()
    confirm = clinician.get_by_role("dialog", name="End the consultation for everyone?")
    await confirm.get_by_role("button", name="End consultation").click()
    await expect(heading(companion, "The consultation has ended")).to_be_visible()
    await expect(clinician.locator("#rooms").get_by_text("You ended it.")).to_be_visible()


async def clock_pattern(
    start_in: float, invite: Callable[[], Awaitable[str]]
) -> tuple[str, re.Pattern[str]]:
    """Schedule a visit; the token and its appointment time as the page shows it (HH:MM)."""
    before = time.time() + start_in
    token = await invite()
    after = time.time() + start_in
    times = {time.strftime("%H:%M", time.localtime(t)) for t in (before, after)}
    return token, re.compile("|".join(times))


async def test_expected_guests_are_listed_until_they_join(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    _, soon_time = await clock_pattern(
        2 * 3600, lambda: site.invite(role=Role.INTERPRETER, start_in=2 * 3600)
    )
    late, late_time = await clock_pattern(-600, lambda: site.invite(start_in=-600))
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    room = clinician.get_by_role("region", name="Poliklinikk for voksne")
    await expect(room.get_by_role("heading", name="Expected today (2)")).to_be_visible()
    expected = room.get_by_role("list", name=re.compile("^Expected today"))
    items = expected.get_by_role("listitem")
    await expect(items).to_have_count(2)
    first, second = items.nth(0), items.nth(1)
    await expect(first.locator(".expected-time")).to_have_text(late_time)
    await expect(first).to_contain_text("Patient has not opened the link yet")
    await expect(first).to_contain_text("Late — consider phoning")
    await expect(second.locator(".expected-time")).to_have_text(soon_time)
    await expect(second).to_contain_text("Interpreter has not opened the link yet")
    await expect(second).not_to_contain_text("Late")

    guest = await site.page(guest_browser)
    await open_invitation(site, guest, late)
    await expect(first).to_contain_text("Patient is testing camera and microphone now")
    # Still late, but on the way in: no advice to phone while they test their devices.
    await expect(first.locator(".badge")).to_have_text("Late")
    await expect(second).to_contain_text("Interpreter has not opened the link yet")

    await guest.get_by_role("button", name="Continue without testing").click()
    await join_waiting_room(guest, "Kari Nordmann")
    await expect(lobby_entry(clinician, "Kari Nordmann")).to_be_visible()
    await expect(room.get_by_role("heading", name="Expected today (1)")).to_be_visible()
    await expect(items).to_have_count(1)
    await expect(items.first.locator(".expected-time")).to_have_text(soon_time)
    await expect(items.first).to_contain_text("Interpreter has not opened the link yet")


async def test_operations_page_counts_without_names(site: Site, clinician_browser: Browser) -> None:
    guest = await site.harness.guest(site.server, await site.invite())
    assert (await guest.call("join", JOIN_DETAILS))["ok"]
    page = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, page)
    await page.get_by_role("link", name="Operations").click()
    await expect(heading(page, "Operations")).to_be_visible()
    waiting = page.locator(".total").filter(has_text="Guests waiting").locator("dd")
    await expect(waiting).to_have_text("1")
    row = page.get_by_role("row").filter(has_text="Poliklinikk for voksne")
    await expect(row.get_by_role("cell").first).to_have_text("1")
    assert JOIN_DETAILS["display_name"] not in await page.locator("body").inner_text()
    await screenshot(page, "ops-1-summary")
    assert (await guest.call("leave"))["ok"]
    await expect(waiting).to_have_text("0", timeout=8000)
