"""Operations accounts in Chromium: logging in on /clinician lands on /ops, with every room's
figures and the instances' health, and no name anywhere: not in a response, not in a frame,
not on the screen. A clinician on /ops sees their own rooms and no health table."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Request, Route, WebSocket, expect

from lobby.adapters.directory import AccountRole
from tests.browser.conftest import DESKTOP, Site
from tests.browser.flows import heading, log_in
from tests.fixtures.servers import _HASH, JOIN_DETAILS, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SENTINEL = "Sentinella Zyxwvutsrud"
"""A waiting guest's name that must never reach an operations page."""


@dataclass
class Traffic:
    """Everything a page received: each HTTP body (through a route) and each WebSocket frame."""

    bodies: dict[str, list[bytes]] = field(default_factory=dict)
    responses: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    frames: list[str | bytes] = field(default_factory=list)

    def text(self) -> str:
        parts = [b.decode("utf-8", "replace") for bs in self.bodies.values() for b in bs]
        parts += [f if isinstance(f, str) else f.decode("utf-8", "replace") for f in self.frames]
        return "\n".join(parts)


async def record(page: Page) -> Traffic:
    traffic = Traffic()

    async def through(route: Route) -> None:
        response = await route.fetch()
        body = await response.body()
        traffic.bodies.setdefault(route.request.url, []).append(body)
        await route.fulfill(response=response, body=body)

    def on_socket(socket: WebSocket) -> None:
        traffic.sockets.append(socket.url)
        socket.on("framereceived", traffic.frames.append)
        socket.on("framesent", traffic.frames.append)

    def on_request(request: Request) -> None:
        traffic.requests.append(request.url)

    await page.route("**/*", through)
    page.on("websocket", on_socket)
    page.on("request", on_request)
    page.on("response", lambda response: traffic.responses.append(response.url))
    return traffic


async def test_ops_account_lands_on_ops_and_sees_no_names(
    site: Site, clinician_browser: Browser
) -> None:
    await site.harness.directory.accounts.add("ops1", _HASH, "Ops", AccountRole.OPS)
    await site.harness.waiting_guest(site.server, site.room_id, name=SENTINEL)
    page = await site.page(clinician_browser, viewport=DESKTOP)
    traffic = await record(page)

    await page.goto("/clinician")
    await expect(heading(page, "Log in")).to_be_visible()
    await page.get_by_label("Username").fill("ops1")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/ops")
    await expect(heading(page, "Operations")).to_be_visible()
    waiting = page.locator(".total").filter(has_text="Guests waiting").locator("dd")
    await expect(waiting).to_have_text("1")
    row = page.get_by_role("row").filter(has_text="Poliklinikk for voksne")
    await expect(row.get_by_role("cell").first).to_have_text("1")
    await expect(page.get_by_role("heading", name="Health")).to_be_visible()
    await expect(page.locator("#instances tr")).to_have_count(1)  # one row per instance
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Logged in already, /clinician sends an operations account straight back.
    await page.goto("/clinician")
    await page.wait_for_url("**/ops")
    await expect(waiting).to_have_text("1")
    async with page.expect_response(lambda r: r.url.endswith("/api/ops/summary")):
        pass  # one more poll, read while the guest still waits

    assert not traffic.sockets, f"a socket was opened: {traffic.sockets}"
    assert not [u for u in traffic.requests if urlsplit(u).path.startswith("/socket.io/")]
    assert traffic.bodies, "nothing was recorded"
    unrecorded = {u for u in traffic.responses if u not in traffic.bodies}
    assert not unrecorded, f"responses that went around the recorder: {unrecorded}"
    summaries = traffic.bodies[f"{site.base_url}/api/ops/summary"]
    assert len(summaries) >= 3
    received = traffic.text()
    assert SENTINEL not in received
    assert all(person not in received for person in JOIN_DETAILS["present"])
    assert SENTINEL not in await page.locator("body").inner_text()
    assert SENTINEL not in await page.content()

    await page.get_by_role("button", name="Log out").click()
    await expect(heading(page, "Log in")).to_be_visible()


async def test_a_clinician_on_ops_sees_own_rooms_without_health(
    site: Site, clinician_browser: Browser
) -> None:
    other = await site.harness.clinician("other")
    other_room = await site.harness.room(other, name="Another clinic's room")
    await site.harness.waiting_guest(site.server, other_room, name="Per Hansen")
    await site.harness.waiting_guest(site.server, site.room_id, name="Kari Nordmann")
    page = await site.page(clinician_browser, viewport=DESKTOP)
    await log_in(site, page)
    await page.get_by_role("link", name="Operations").click()
    await expect(heading(page, "Operations")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text="Poliklinikk for voksne")).to_be_visible()
    await expect(page.locator("#room-rows tr")).to_have_count(1)
    waiting = page.locator(".total").filter(has_text="Guests waiting").locator("dd")
    await expect(waiting).to_have_text("1")
    await expect(page.get_by_role("heading", name="Health")).to_be_hidden()
    await expect(page.get_by_role("region", name="Health")).to_be_hidden()
    await expect(page.get_by_role("link", name="Waiting rooms")).to_be_visible()
    text = await page.locator("body").inner_text()
    assert "Another clinic's room" not in text
    assert "Kari Nordmann" not in text and "Per Hansen" not in text
