"""The baseline: a do-nothing aiohttp + python-socketio app with Venterom's server options."""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web

from lobby.settings import Settings

NAMESPACE = "/guest"
MAX_MESSAGE_BYTES = 128 * 1024


class NoopNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Accepts every connection; `ping` answers at once and touches nothing; `relay` sends
    what it is given on to the connection `to` names, as `relayed` (an admission's
    do-nothing baseline: one client emits, the server emits to another), then answers."""

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        return None

    async def on_ping(self, sid: str, data: object = None) -> dict[str, bool]:
        return {"ok": True}

    async def on_relay(self, sid: str, data: dict[str, Any]) -> dict[str, bool]:
        await self.emit("relayed", data, to=data["to"])
        return {"ok": True}


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_noop_app(
    ping_interval: float | None = None, ping_timeout: float | None = None
) -> web.Application:
    """An app with one namespace and /healthz, configured like Venterom's socket.io server
    (its default pings unless given)."""
    defaults = Settings()
    app = web.Application()
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        ping_interval=defaults.ping_interval if ping_interval is None else ping_interval,
        ping_timeout=defaults.ping_timeout if ping_timeout is None else ping_timeout,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        http_compression=False,
        compression_threshold=1 << 30,
    )
    sio.register_namespace(NoopNamespace(NAMESPACE))
    sio.attach(app)
    app.router.add_get("/healthz", _healthz)
    return app
