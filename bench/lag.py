"""An event-loop lag monitor that runs inside a server, and the route that drives it.

Lag is how much later than asked a timer callback runs: time the loop spent busy elsewhere.
Sampling costs CPU (each wake-up is a loop iteration), so it runs only between
`GET /_bench/lag?reset=1` (clear and start) and `GET /_bench/lag?stop=1` (report and stop);
a plain `GET /_bench/lag` reports without changing anything.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bench.stats import summary

TICK = 0.005
"""How often the monitor asks to run while sampling."""
MAX_SAMPLES = 500_000


class GcPauses:
    """Garbage-collector pauses per generation (the interpreter stops for each)."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[int(info["generation"])].append(time.perf_counter() - self._started)

    def report(self) -> dict[str, Any]:
        every = [p for pauses in self.pauses.values() for p in pauses]
        pauses = {str(g): p for g, p in self.pauses.items()}
        return {
            "collections": {g: len(p) for g, p in pauses.items()},
            "max_ms": {g: round(1000 * max(p, default=0.0), 2) for g, p in pauses.items()},
            # The join storm's lag target is 5 ms: how many pauses alone exceed it.
            "over_5ms": sum(p > 0.005 for p in every),
            "total_ms": round(1000 * sum(every), 1),
        }

    def clear(self) -> None:
        for pauses in self.pauses.values():
            pauses.clear()


class LagMonitor:
    """Samples timer lateness with a chain of `call_at` callbacks while started, and
    records garbage-collector pauses meanwhile."""

    def __init__(self) -> None:
        self.samples: deque[float] = deque(maxlen=MAX_SAMPLES)
        self.gc = GcPauses()
        self._handle: asyncio.TimerHandle | None = None
        self._asked = 0.0

    def start(self) -> None:
        self.samples.clear()
        self.gc.clear()
        if self._handle is None:
            self._schedule(asyncio.get_running_loop())

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def report(self) -> dict[str, Any]:
        return {**summary(list(self.samples)), "gc": self.gc.report()}

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # The clock is perf_counter, not loop.time(): uvloop's loop time is libuv's, cached
        # once per iteration and counted in whole milliseconds.
        self._asked = time.perf_counter() + TICK
        self._handle = loop.call_later(TICK, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self.samples.append(max(0.0, time.perf_counter() - self._asked))
        self._schedule(loop)


LAG = web.AppKey("bench_lag", LagMonitor)


def install(app: web.Application) -> None:
    """Serve a lag monitor at GET /_bench/lag[?reset=1|?stop=1] for the app's lifetime."""
    app[LAG] = LagMonitor()
    app.router.add_get("/_bench/lag", _lag_route)
    app.cleanup_ctx.append(_monitor)


async def _monitor(app: web.Application) -> AsyncIterator[None]:
    yield
    app[LAG].stop()


async def _lag_route(request: web.Request) -> web.Response:
    monitor = request.app[LAG]
    report = monitor.report()
    if request.query.get("reset") == "1":
        monitor.start()
    elif request.query.get("stop") == "1":
        monitor.stop()
    return web.json_response(report)
