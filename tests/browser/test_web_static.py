"""Static checks of web/: catalogs in step, no unsafe DOM APIs, nothing inline, pinned packages.

These need no browser; they keep the rules the browser tests cannot see from regressing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
PAGES = sorted(WEB.glob("*/index.html"))
SCRIPTS = sorted(p for p in WEB.rglob("*.js") if "node_modules" not in p.parts)
KEY_IN_HTML = re.compile(r'data-i18n(?:-label|-title)?="([^"]+)"')
KEY_IN_JS = re.compile(
    r'"((?:call|check|clin|common|contacts|deny|details|device|duration|ended|error|guest|help'
    r'|lang|leave|link|notice|ops|paused|role|steps|tech|waiting|withdraw)\.[a-z0-9_.]+)"'
)


def catalog(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "i18n" / f"{language}.json").read_text("utf-8"))
    return data


def test_catalogs_have_the_same_keys_and_no_empty_text() -> None:
    nb, en = catalog("nb"), catalog("en")
    assert set(nb) == set(en), {
        "only in nb": sorted(set(nb) - set(en)),
        "only in en": sorted(set(en) - set(nb)),
    }
    assert all(isinstance(v, str) and v.strip() for v in [*nb.values(), *en.values()])
    placeholders = re.compile(r"\{(\w+)\}")
    for key in en:
        assert set(placeholders.findall(en[key])) == set(placeholders.findall(nb[key])), key


def test_every_key_the_pages_use_is_translated() -> None:
    keys = set(catalog("en"))
    used = {k for page in PAGES for k in KEY_IN_HTML.findall(page.read_text("utf-8"))}
    used |= {k for script in SCRIPTS for k in KEY_IN_JS.findall(script.read_text("utf-8"))}
    assert used, "no keys found: the patterns are wrong"
    assert not used - keys, sorted(used - keys)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(WEB)))
def test_scripts_never_build_markup_or_record(script: Path) -> None:
    source = script.read_text("utf-8")
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "MediaRecorder",
    ):
        assert banned not in source, f"{banned} in {script.name}"


def test_nothing_in_web_records_media() -> None:
    ours = [p for p in WEB.rglob("*") if p.is_file() and "node_modules" not in p.parts]
    assert not [p for p in ours if "MediaRecorder" in p.read_text("utf-8", errors="ignore")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(WEB)))
def test_pages_have_no_inline_script_or_style(page: Path) -> None:
    html = page.read_text("utf-8")
    assert not re.search(r"\sstyle\s*=", html, re.I), "style attribute"
    assert "<style" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I):
        assert not tag.strip(), "inline script body"
    assert re.findall(r'<script type="module" src="/[a-z]+/[a-z]+\.js"></script>', html)
    assert '<html lang="en">' in html and 'name="viewport"' in html


def test_browser_packages_are_pinned_and_locked() -> None:
    package = json.loads((WEB / "package.json").read_text("utf-8"))
    versions = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert re.fullmatch(r"4\.\d+\.\d+", versions["socket.io-client"]), versions
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions["axe-core"]), versions
    lock = json.loads((WEB / "package-lock.json").read_text("utf-8"))
    locked = lock["packages"]["node_modules/socket.io-client"]["version"]
    assert locked == versions["socket.io-client"]
