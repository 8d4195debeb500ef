"""A whole consultation in two browsers: a real WebRTC call through the server's relay.

The guest's fake camera is red and the clinician's blue, so each side proves it sees the
other by the colour of the remote video; getStats() proves media flows over DTLS-SRTP.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, Site
from tests.browser.flows import (
    colour_script,
    continue_to_details,
    heading,
    join_waiting_room,
    lobby_entry,
    log_in,
    open_invitation,
    run_device_test,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

STATS = """async () => {
  const out = [];
  for (const pc of window.__pcs || []) {
    if (pc.connectionState !== 'connected') continue;
    const stats = await pc.getStats();
    let bytes = 0, dtls = null, cipher = null;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp') bytes += s.bytesReceived || 0;
      if (s.type === 'transport') { dtls = s.dtlsState; cipher = s.srtpCipher; }
    });
    out.push({ bytes, dtls, cipher });
  }
  return out;
}"""

SENDING = """() => (window.__pcs || [])
  .filter((pc) => pc.connectionState !== 'closed')
  .flatMap((pc) => pc.getSenders().map((s) => Boolean(s.track && s.track.enabled)))"""


async def wait_for_colour(page: Page, colour: str, timeout: float = 20.0) -> dict[str, Any]:
    """The remote video shows mostly `colour` ("red" or "blue") and keeps playing."""
    deadline = time.monotonic() + timeout
    seen: Any = None
    while time.monotonic() < deadline:
        seen = await page.evaluate(colour_script(), ".remote-tile video")
        if seen:
            red = seen["r"] > seen["b"] + 60 and seen["r"] > seen["g"] + 60
            blue = seen["b"] > seen["r"] + 60
            if (colour == "red" and red) or (colour == "blue" and blue):
                later = await page.evaluate(colour_script(), ".remote-tile video")
                await asyncio.sleep(0.5)
                later = await page.evaluate(colour_script(), ".remote-tile video")
                assert later["time"] > seen["time"], "the remote video must keep playing"
                return dict(seen)
        await asyncio.sleep(0.25)
    raise AssertionError(f"remote video never turned {colour}: last sample {seen}")


async def until(page: Page, script: str, check: Any, timeout: float = 10.0) -> Any:
    """Evaluate `script` on `page` until `check(result)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await page.evaluate(script)
        if check(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{script!r} never matched; last result {result!r}")
        await asyncio.sleep(0.2)


async def assert_media_flows(page: Page) -> None:
    first = await page.evaluate(STATS)
    assert first, "no connected peer connection"
    assert all(s["dtls"] == "connected" for s in first), first
    assert all(s["cipher"] for s in first), first
    await asyncio.sleep(1.0)
    later = await page.evaluate(STATS)
    assert sum(s["bytes"] for s in later) > sum(s["bytes"] for s in first) > 0, (first, later)


async def test_whole_consultation(
    site: Site, guest_browser: Browser, clinician_browser: Browser
) -> None:
    clinician = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, clinician)
    guest = await site.page(guest_browser)
    await open_invitation(site, guest, await site.invite())
    await run_device_test(guest)
    await continue_to_details(guest)
    await join_waiting_room(guest, "Kari Nordmann", present=("Ola, husband",))

    await (
        lobby_entry(clinician, "Kari Nordmann")
        .get_by_role("button", name="Admit", exact=True)
        .click()
    )
    await expect(heading(guest, "Consultation")).to_be_visible()
    await expect(guest.locator("#call-status")).to_have_text("You are connected.", timeout=20_000)
    call_area = clinician.get_by_role("region", name="Consultation")
    await expect(call_area.get_by_role("status").first).to_have_text("You are connected.")
    await wait_for_colour(guest, "blue")
    await wait_for_colour(clinician, "red")
    await assert_media_flows(guest)
    await assert_media_flows(clinician)
    await expect(guest.get_by_role("list").filter(has_text="You (patient)")).to_contain_text(
        "(clinician)"
    )
    await screenshot(guest, "guest-5-call")
    await screenshot(clinician, "clinician-2-call")

    # The clinician pauses: the guest sees the paused screen and sends nothing.
    participant = call_area.locator(".participants > li").filter(has_text="Kari Nordmann")
    await participant.get_by_role("button", name="Pause").click()
    await expect(heading(guest, "The consultation is paused")).to_be_focused()
    await expect(participant.get_by_text("Paused")).to_be_visible()
    await until(guest, SENDING, lambda sending: bool(sending) and not any(sending))
    await screenshot(guest, "guest-6-paused")
    await participant.get_by_role("button", name="Resume").click()
    await expect(heading(guest, "Consultation")).to_be_visible()
    await wait_for_colour(clinician, "red")

    # The guest asks for a pause because someone came in.
    await guest.get_by_role("button", name="Someone came into my room").click()
    await expect(heading(guest, "The consultation is paused")).to_be_visible()
    await participant.get_by_role("button", name="Resume").click()
    await expect(heading(guest, "Consultation")).to_be_visible()

    # Fixed technical messages, sent as codes and shown in each reader's language.
    await guest.get_by_label("Message", exact=True).select_option(label="I can't hear you")
    await guest.get_by_role("button", name="Send message").click()
    await expect(call_area.get_by_role("log")).to_contain_text("Kari Nordmann: I can't hear you")
    await guest.get_by_role("button", name="På norsk").click()
    await call_area.get_by_label("Message", exact=True).select_option("one_moment")
    await call_area.get_by_role("button", name="Send message").click()
    await expect(guest.get_by_role("log")).to_contain_text("Et øyeblikk")
    await guest.get_by_role("button", name="In English").click()

    # A reload within the grace period brings the guest back into the same call.
    await guest.reload()
    await expect(heading(guest, "Consultation")).to_be_visible()
    await expect(guest.locator("#call-status")).to_have_text("You are connected.", timeout=20_000)
    await wait_for_colour(guest, "blue")
    await wait_for_colour(clinician, "red")

    # So does a reload of the clinician's dashboard.
    await clinician.reload()
    await expect(call_area.get_by_role("status").first).to_have_text(
        "You are connected.", timeout=20_000
    )
    await wait_for_colour(clinician, "red")
    await wait_for_colour(guest, "blue")

    # The guest leaves through the confirmation.
    await guest.get_by_role("button", name="Leave", exact=True).click()
    dialog = guest.get_by_role("dialog", name="Leave the consultation?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="No, stay").click()
    await expect(dialog).to_be_hidden()
    await guest.get_by_role("button", name="Leave", exact=True).click()
    await dialog.get_by_role("button", name="Yes, leave").click()
    await expect(heading(guest, "You have left the consultation")).to_be_visible()
    ended = clinician.locator("#rooms").get_by_text("The consultation has ended.")
    await expect(ended).to_contain_text("Kari Nordmann has left the consultation.")
    await expect(call_area).to_be_hidden()
    await screenshot(guest, "guest-8-ended-left")
    await screenshot(clinician, "clinician-3-ended")
