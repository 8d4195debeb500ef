"""Operations routes: liveness, readiness and metrics (counts only, never names)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from lobby.keys import CONNECTIONS, ECHO, MAILER, METRICS, SERVICE, STORE
from lobby.services.metrics import Exposition, Gauge

routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """The operations routes, and this app's own metrics registry."""
    app.add_routes(routes)
    app[METRICS] = _exposition(app)


def _exposition(app: web.Application) -> Exposition:
    connections, echo, mailer = app[CONNECTIONS], app[ECHO], app[MAILER]
    gauges = [
        Gauge(
            "guests_connected",
            "Guests connected to this instance.",
            lambda: len(connections.visit_ids()),
        ),
        Gauge(
            "clinicians_connected",
            "Clinician sockets connected to this instance.",
            lambda: len(connections.clinicians),
        ),
        Gauge(
            "calls_joined_by_clinicians",
            "Calls joined by clinician sockets on this instance.",
            lambda: len(connections.call_members()),
        ),
        Gauge("echo_sessions", "Open echo connection tests.", lambda: echo.active),
    ]

    def emails() -> dict[str, int]:
        mail = mailer.counters
        return {"sent": mail.sent, "failed": mail.failed, "retried": mail.retried}

    return Exposition(app[SERVICE].metrics, gauges, emails)


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
    body = app[METRICS].render(store_up=await app[STORE].ping())
    return web.Response(
        body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )
