"""The operations summary behind the /ops page: counts and durations, never names.

Per room (every open room for an ops account, their own for a clinician): guests waiting,
in a call, paused and reconnecting, and wait-time percentiles of those waiting now; for
ops accounts also each instance's store health, connected sockets and echo sessions.
"""

from __future__ import annotations

import math
import os
import socket
import time
from typing import Any

from aiohttp import web

from lobby.adapters.directory import AccountRole, Room
from lobby.domain.model import Visit, VisitState
from lobby.interfaces.realtime import CLINICIAN_COOKIE
from lobby.keys import CONNECTIONS, ECHO, SERVICE, SETTINGS, STORE
from lobby.services.lobby import LobbyService
from lobby.settings import Settings

routes = web.RouteTableDef()

_STARTED = time.monotonic()
CALL_STATES = frozenset({VisitState.IN_CALL, VisitState.PAUSED})


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def _waits(visits: list[Visit], now: float) -> list[float]:
    return [
        max(0.0, now - v.waiting_since)
        for v in visits
        if v.state is VisitState.WAITING and v.waiting_since is not None
    ]


def _count(visits: list[Visit], state: VisitState) -> int:
    return sum(1 for v in visits if v.state is state)


async def _room_summary(service: LobbyService, room: Room, now: float) -> dict[str, Any]:
    visits = await service.store.room_visits(room.room_id)
    waits = _waits(visits, now)
    return {
        "room_id": room.room_id,
        "name": room.name,
        "waiting": _count(visits, VisitState.WAITING),
        "in_call": _count(visits, VisitState.IN_CALL),
        "paused": _count(visits, VisitState.PAUSED),
        "reconnecting": sum(1 for v in visits if v.reconnecting),
        "in_progress": any(v.state in CALL_STATES for v in visits),
        "wait_p50": percentile(waits, 0.5),
        "wait_p90": percentile(waits, 0.9),
        "wait_max": max(waits, default=None),
        "_waits": waits,
    }


def instance_name(settings: Settings) -> str:
    return settings.instance_id or f"{socket.gethostname()}-{os.getpid()}"


async def instance_stats(app: web.Application) -> dict[str, object]:
    """This instance's counts, as every instance publishes them to the store."""
    connections = app[CONNECTIONS]
    return {
        "instance_id": instance_name(app[SETTINGS]),
        "store_ok": await app[STORE].ping(),
        "guests_connected": len(connections.visit_ids()),
        "clinicians_connected": len(connections.clinicians),
        "echo_sessions": app[ECHO].active,
        "reconnects": app[SERVICE].metrics.reconnects,
        "uptime_seconds": round(time.monotonic() - _STARTED),
    }


async def _instances(app: web.Application) -> list[dict[str, object]]:
    """Every instance's counts as published (each beat), this one's as they are now."""
    own = await instance_stats(app)
    others = [i for i in await app[STORE].instances() if i.get("instance_id") != own["instance_id"]]
    return sorted([own, *others], key=lambda i: str(i.get("instance_id")))


@routes.get("/api/ops/summary")
async def summary(request: web.Request) -> web.Response:
    app = request.app
    service = app[SERVICE]
    _, account = await service.sessions.staff(request.cookies.get(CLINICIAN_COOKIE))
    everything = account.role is AccountRole.OPS
    now = service.clock()
    visible = (
        await service.directory.rooms.all()
        if everything
        else await service.rooms.of(account.account_id)
    )
    rooms = [await _room_summary(service, room, now) for room in visible if not room.closed]
    waits = [w for room in rooms for w in room.pop("_waits")]
    # Instance figures are every room's: for operations staff only.
    instances = await _instances(app) if everything else None
    echo = sum(int(str(i.get("echo_sessions") or 0)) for i in instances) if instances else None
    totals = {
        "rooms_active": sum(1 for r in rooms if r["waiting"] or r["in_progress"]),
        "waiting": sum(r["waiting"] for r in rooms),
        "in_call": sum(r["in_call"] + r["paused"] for r in rooms),
        "calls": sum(1 for r in rooms if r["in_progress"]),
        "reconnecting": sum(r["reconnecting"] for r in rooms),
        "echo_sessions": echo,
        "wait_p50": percentile(waits, 0.5),
        "wait_p90": percentile(waits, 0.9),
        "wait_max": max(waits, default=None),
    }
    return web.json_response(
        {"generated_at": now, "totals": totals, "instances": instances, "rooms": rooms}
    )
