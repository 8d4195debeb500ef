"""The web pages (guest, clinician, operations) served from `web/` as static files."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

WEB_ROOT = Path(__file__).resolve().parents[3] / "web"

PAGES = {
    "/join": "guest/index.html",
    "/clinician": "clinician/index.html",
    "/ops": "ops/index.html",
}


def setup(app: web.Application) -> None:
    for path, file in PAGES.items():
        app.router.add_get(path, _page(WEB_ROOT / file))
    app.router.add_get("/", _redirect_to("/clinician"))
    for folder in ("common", "guest", "clinician", "ops", "i18n"):
        if (WEB_ROOT / folder).is_dir():
            app.router.add_static(f"/{folder}/", WEB_ROOT / folder)
    modules = WEB_ROOT / "node_modules"
    if modules.is_dir():
        app.router.add_static("/vendor/", modules)


def _page(file: Path):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(file, headers={"Cache-Control": "no-cache"})

    return handler


def _redirect_to(location: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return handler
