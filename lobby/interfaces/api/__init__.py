"""The integration API under `/api/v1`: rooms, visits and invitations, with API keys."""

from __future__ import annotations

from aiohttp import web

from lobby.interfaces.api import rooms, spec, visits
from lobby.interfaces.api.auth import authenticate

PREFIX = "/api/v1"
_DOCUMENT = spec.render().encode()


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=_DOCUMENT, content_type="application/json")


def create_api() -> web.Application:
    """The sub-application mounted at `PREFIX` (it reads the main app's keys)."""
    api = web.Application(middlewares=[authenticate])
    api.router.add_get("/openapi.json", openapi)
    api.add_routes(rooms.routes)
    api.add_routes(visits.routes)
    return api
