"""Operations routes: liveness and readiness (counts only, never names)."""

from __future__ import annotations

from aiohttp import web

from lobby.keys import CONNECTIONS, ECHO, MAILER, SERVICE, STORE
from lobby.metrics import outcome_lines

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


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    app = request.app
    connections = app[CONNECTIONS]
    gauges = {
        "guests_connected": len(connections.visit_ids()),
        "clinicians_connected": len(connections.clinicians),
        "calls_joined_by_clinicians": len(connections.call_members()),
        "echo_sessions": app[ECHO].active,
        "store_up": 1.0 if await app[STORE].ping() else 0.0,
    }
    mail = app[MAILER].counters
    body = app[SERVICE].metrics.render(gauges) + outcome_lines(
        "invitation_emails_total",
        "Invitation e-mail attempts made by this instance, by outcome.",
        {"sent": mail.sent, "failed": mail.failed, "retried": mail.retried},
    )
    return web.Response(
        text=body, content_type="text/plain", charset="utf-8", headers={"Cache-Control": "no-store"}
    )
