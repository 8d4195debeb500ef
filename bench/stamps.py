"""Where an admission's time goes: the server's own timestamps, joined with the harness's.

`install(app)` (lobby servers only) notes, per visit, when the server starts acting on a
clinician's `admit` (`Visits.clinician_act`) and when it hands the guest's `in_call`
visit frame to the websocket, and serves them at GET /_bench/stamps. Both processes read
`time.perf_counter()`, which on Linux is CLOCK_MONOTONIC, one clock for the whole machine,
so `split` can cut each admission the harness timed into three legs:

- to the server: the harness sending the emit, the server reading and dispatching it;
- in the server: authorising, the transition (and its Redis round trips), the emit;
- to the guest: the harness receiving and decoding the frame, with whatever else its one
  event loop had to process first (every other client's messages).

The first and last legs are where one harness process playing thousands of clients shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from engineio.async_drivers.aiohttp import WebSocket

from bench.stats import summary
from lobby.domain.model import Action
from lobby.services.visits import Visits

_STARTED: dict[str, float] = {}
"""visit id -> when the server started acting on its admission."""
_SENT: dict[str, float] = {}
"""visit id -> when its in_call frame went to the guest's websocket."""
_VISIT_ID = re.compile(r'"visit_id":\s*"([^"]+)"')


def split(
    timed: Iterable[tuple[str, float, float]], stamps: dict[str, dict[str, float]]
) -> dict[str, dict[str, float | int | None]]:
    """Summaries of the three legs for the admissions `timed` as (visit id, emitted,
    arrived), given the server's `stamps` ({"started": {...}, "sent": {...}})."""
    to_server: list[float] = []
    in_server: list[float] = []
    to_guest: list[float] = []
    for visit_id, emitted, arrived in timed:
        started = stamps["started"].get(visit_id)
        sent = stamps["sent"].get(visit_id)
        if started is None or sent is None or not emitted <= started <= sent:
            continue
        # The server notes `sent` once its write returns; the guest, on the other core, can
        # read the frame before that (the server preempted in between). Dropping those
        # would drop slow admissions only: they count as arrived when sent.
        sent = min(sent, arrived)
        to_server.append(started - emitted)
        in_server.append(sent - started)
        to_guest.append(arrived - sent)
    return {
        "to_server": summary(to_server),
        "in_server": summary(in_server),
        "to_guest": summary(to_guest),
    }


def _stamp_admissions(original: Any) -> Any:
    async def clinician_act(
        self: Visits,
        clinician_id: str,
        visit_id: str,
        action: Action,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if action is Action.ADMIT:
            _STARTED[visit_id] = time.perf_counter()
        return await original(self, clinician_id, visit_id, action, *args, **kwargs)

    return clinician_act


def _stamp_in_call_frames(original: Any) -> Any:
    async def send(self: WebSocket, message: Any) -> None:
        await original(self, message)
        if isinstance(message, str) and '["visit",' in message and '"in_call"' in message:
            found = _VISIT_ID.search(message)
            if found:
                _SENT.setdefault(found.group(1), time.perf_counter())

    return send


async def _stamps(request: web.Request) -> web.Response:
    return web.json_response({"started": _STARTED, "sent": _SENT})


def install(app: web.Application) -> None:
    Visits.clinician_act = _stamp_admissions(  # type: ignore[method-assign]
        Visits.clinician_act
    )
    WebSocket.send = _stamp_in_call_frames(WebSocket.send)
    app.router.add_get("/_bench/stamps", _stamps)
