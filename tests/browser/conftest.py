"""Real headless Chromium (Debian's) against real servers from the `Harness`.

Two browsers for the whole run, one per role, each with its own solid-colour fake camera
(red for guests, blue for clinicians); every test gets fresh contexts. Pages are watched:
a console error, a CSP violation, an uncaught exception or a JavaScript dialog fails the test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

from tests.browser.media_files import BLUE, RED, write_y4m
from tests.fixtures.servers import Harness, Running

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("VENTEROM_CHROMIUM", "/usr/lib/chromium/chromium"))
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SOCKET_IO = ROOT / "web" / "node_modules" / "socket.io-client" / "dist" / "socket.io.esm.min.js"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
"""Written on every run (ignored by git); the chosen ones are copied to docs/screenshots."""

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

# Runs before any page script: keeps every RTCPeerConnection reachable for getStats() checks.
WATCH_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  const all = [];
  window.__pcs = all;
  function Watched(...args) { const pc = new Native(...args); all.push(pc); return pc; }
  Watched.prototype = Native.prototype;
  Object.setPrototypeOf(Watched, Native);
  window.RTCPeerConnection = Watched;
})();
"""


def require_tools() -> None:
    """Fail (not skip) with the fix when a tool the browser tests drive is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: run `make system-deps` "
            "(apt-get install chromium); never `playwright install`",
            pytrace=False,
        )
    if not AXE.is_file() or not SOCKET_IO.is_file():
        pytest.fail(
            "web/node_modules is missing: run `make web-deps` (npm ci in web/)", pytrace=False
        )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    require_tools()
    async with async_playwright() as p:
        yield p


async def _launch(playwright: Playwright, video: Path) -> Browser:
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={video}"],
    )


@pytest.fixture(scope="session")
def camera_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cameras")
    return {
        "guest": write_y4m(folder / "red.y4m", RED),
        "clinician": write_y4m(folder / "blue.y4m", BLUE),
    }


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def guest_browser(
    playwright: Playwright, camera_files: dict[str, Path]
) -> AsyncIterator[Browser]:
    browser = await _launch(playwright, camera_files["guest"])
    yield browser
    await browser.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def clinician_browser(
    playwright: Playwright, camera_files: dict[str, Path]
) -> AsyncIterator[Browser]:
    browser = await _launch(playwright, camera_files["clinician"])
    yield browser
    await browser.close()


@dataclass
class Watched:
    """A page and everything suspicious it did."""

    page: Page
    context: BrowserContext
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@dataclass
class Site:
    """A running server with one clinician and one room, and the pages opened against it."""

    harness: Harness
    server: Running
    room_id: str
    username: str = "doctor"
    watched: list[Watched] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def invite(self, **kwargs: Any) -> str:
        return await self.harness.invite(self.room_id, **kwargs)

    async def page(
        self, browser: Browser, *, locale: str = "en-GB", viewport: dict[str, int] = PHONE
    ) -> Page:
        context = await browser.new_context(
            locale=locale,
            viewport=viewport,
            permissions=["camera", "microphone"],
            base_url=self.base_url,
        )
        await context.add_init_script(WATCH_PEER_CONNECTIONS)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        watched = Watched(page, context)

        def on_console(message: ConsoleMessage) -> None:
            where = message.location.get("url", "")
            # An API answering 401/404/410 is a state the page shows as a screen, not a bug.
            expected = message.text.startswith("Failed to load resource") and "/api/" in where
            if message.type == "error" and not expected:
                watched.problems.append(f"console error: {message.text} ({where})")

        async def on_dialog(dialog: Dialog) -> None:
            watched.dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
        page.on("dialog", on_dialog)
        self.watched.append(watched)
        return page

    def problems(self) -> list[str]:
        found = [p for w in self.watched for p in w.problems]
        found += [f"dialog opened: {d}" for w in self.watched for d in w.dialogs]
        return found

    async def close(self) -> None:
        for watched in self.watched:
            with contextlib.suppress(PlaywrightError):
                await watched.context.close()


async def start_server(harness: Harness, **overrides: Any) -> Running:
    return await harness.server(**overrides)


async def clinic_site(harness: Harness, server: Running) -> Site:
    """One clinician ("doctor") and the clinic's room, on `server`."""
    doctor = await harness.clinician("doctor")
    room = await harness.directory.rooms.create(
        "Poliklinikk for voksne",
        [doctor],
        clinic_name="Jæren DPS",
        clinic_phone="+47 51 00 00 00",
        support_phone="+47 55 97 65 51",
    )
    return Site(harness, server, room.room_id)


@pytest_asyncio.fixture(loop_scope="session")
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    require_tools()
    harness = Harness(tmp_path)
    server = await start_server(harness, grace_period=20.0)
    site = await clinic_site(harness, server)
    try:
        yield site
    finally:
        await site.close()
        await harness.close()
    assert not site.problems(), "\n".join(site.problems())
