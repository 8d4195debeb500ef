"""Operations routes: liveness and readiness (counts only, never names)."""

from __future__ import annotations

from aiohttp import web

from lobby.keys import STORE

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    ready = await request.app[STORE].ping()
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "store": ready}, status=200 if ready else 503
    )
