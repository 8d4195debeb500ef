"""Steps a guest or a clinician takes, written the way a person does them: by role and name."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.conftest import AXE, SCREENSHOTS, Site
from tests.fixtures.servers import PASSWORD


def heading(page: Page, name: str) -> Any:
    return page.get_by_role("heading", level=1, name=name)


async def open_invitation(site: Site, page: Page, token: str) -> None:
    await page.goto(f"/join#{token}")
    await expect(heading(page, "Test camera and microphone")).to_be_visible()
    assert "#" not in page.url, "the invitation token must leave the address bar"


async def run_device_test(page: Page) -> None:
    await page.get_by_role("button", name="Test camera and microphone").click()
    await expect(page.locator("#camera-result")).to_have_text("works")
    await expect(page.locator("#light-result")).to_have_text("good")
    # The echo peer (aiortc) sends our media back: the round trip is measured, not guessed.
    await expect(page.locator("#connection-result")).to_have_text("good", timeout=20_000)
    await expect(page.locator("#connection-detail")).to_contain_text("Round trip")


async def continue_to_details(page: Page) -> None:
    await page.get_by_role("button", name="Continue", exact=True).click()
    await expect(heading(page, "Your details")).to_be_visible()


async def join_waiting_room(page: Page, name: str, present: tuple[str, ...] = ()) -> None:
    await page.get_by_label("Your name").fill(name)
    for index, person in enumerate(present, start=1):
        await page.get_by_role("button", name="Add a person").click()
        await page.get_by_label(f"Person {index}: name and relation to you").fill(person)
    await page.get_by_role("checkbox", name="I agree to have this consultation by video.").check()
    await page.get_by_role("button", name="Join the waiting room").click()
    await expect(heading(page, "You are in the waiting room")).to_be_visible()


async def guest_to_waiting_room(
    site: Site, page: Page, name: str, *, test: bool = False, present: tuple[str, ...] = ()
) -> None:
    await open_invitation(site, page, await site.invite())
    if test:
        await run_device_test(page)
        await continue_to_details(page)
    else:
        await page.get_by_role("button", name="Continue without testing").click()
        await expect(heading(page, "Your details")).to_be_visible()
    await join_waiting_room(page, name, present)


async def log_in(site: Site, page: Page) -> None:
    await page.goto("/clinician")
    await expect(heading(page, "Log in")).to_be_visible()
    await page.get_by_label("Username").fill(site.username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(heading(page, "Your waiting rooms")).to_be_visible()


def lobby_entry(page: Page, name: str) -> Any:
    return page.locator(".lobby > li").filter(has=page.locator(".entry-name", has_text=name))


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations (all its default rules: WCAG 2.x A/AA and best practices)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        # Same origin (served from web/node_modules), so the page's strict CSP allows it.
        await page.add_script_tag(url="/vendor/axe-core/axe.min.js")
    assert AXE.is_file()
    result: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ['violations'] });
          return r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary),
          }));
        }"""
    )
    return result


async def _assert_axe(page: Page, where: str) -> None:
    violations = await axe_violations(page)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    ]
    assert not violations, f"axe violations on {where}:\n" + "\n".join(lines)


SMALL_TARGETS = """() => {
  const small = [];
  const controls = document.querySelectorAll(
    'button, a[href], select, input:not([type=checkbox]), summary, label.check');
  for (const element of controls) {
    const skip = element.closest('[hidden], dialog:not([open]), .skip-link');
    if (skip) continue;
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (box.width < 44 || box.height < 44) {
      small.push(`${element.tagName.toLowerCase()} "${(element.textContent || '').trim()}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


async def assert_large_targets(page: Page, where: str) -> None:
    """Every visible control is at least 44 x 44 CSS pixels (WCAG 2.5.5, 2.5.8)."""
    small = await page.evaluate(SMALL_TARGETS)
    assert not small, f"touch targets under 44 px on {where}: {small}"


async def assert_accessible(page: Page, where: str) -> None:
    await assert_large_targets(page, where)
    await _assert_axe(page, where)


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path


def colour_script() -> str:
    return """(selector) => {
      const video = document.querySelector(selector);
      if (!video || !video.videoWidth) return null;
      const canvas = document.createElement('canvas');
      canvas.width = 32; canvas.height = 24;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(video, 0, 0, 32, 24);
      const d = ctx.getImageData(0, 0, 32, 24).data;
      let r = 0, g = 0, b = 0;
      for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
      const n = d.length / 4;
      return { r: r / n, g: g / n, b: b / n, width: video.videoWidth, time: video.currentTime };
    }"""


def local_date_time(seconds_from_now: float) -> tuple[str, str]:
    """A moment from now as a date field and a time field take it (the browser's time zone
    is this machine's): ("2026-12-08", "10:35")."""
    moment = time.localtime(time.time() + seconds_from_now)
    return time.strftime("%Y-%m-%d", moment), time.strftime("%H:%M", moment)


def invitation_token(link: str) -> str:
    """The token in an invitation link's fragment (`…/join#<token>`)."""
    assert "/join#" in link, link
    return link.split("#", 1)[1]


REFUSE_CLIPBOARD = """
(() => {
  if (!navigator.clipboard) return;
  const refuse = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
  navigator.clipboard.writeText = refuse;
})();
"""
"""An init script: this page's clipboard refuses to be written, as some browsers' do."""
