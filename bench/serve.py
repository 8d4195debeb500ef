"""Server entry for the harness: `python -m bench.serve lobby|noop --port N`.

`lobby` runs the real `venterom serve` (lobby.interfaces.cli, configured by VENTEROM_* variables)
with
a per-socket event budget roomy enough for a clinician admitting one guest after another
(`RoomyBudget`), and four additions: an event-loop lag monitor at GET /_bench/lag, the
counts of its Redis round trips at GET /_bench/redis_trips (bench.trips) and of its
directory statements at GET /_bench/directory (bench.dircount), and its admission timestamps
at GET /_bench/stamps (bench.stamps). `noop` runs the baseline app, on the same event loop
(VENTEROM_EVENT_LOOP).
Both raise the open-file limit first. BENCH_EXPERIMENT (comma-separated names from
bench.experiments) patches the lobby server to try a proposed fix; unset by default.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from bench import dircount, experiments, lag, stamps, trips
from bench.noop_app import create_noop_app
from bench.procs import raise_nofile
from lobby import gctune
from lobby.eventloop import new_event_loop
from lobby.interfaces.realtime.budget import EventBudget
from lobby.settings import Settings

EXPERIMENT_ENV = "BENCH_EXPERIMENT"
BENCH_EVENTS_PER_S = 10_000.0


class RoomyBudget(EventBudget):
    """The per-socket event budget with room for a benchmark's clinician.

    A clinician admitting guests one after another as fast as the server answers sends
    40-50 events a second, over the budget that rightly refuses a flood (20 a second, 100
    at once), as every simulated guest coming from 127.0.0.1 is over the per-address limits
    (which `VENTEROM_RATE_LIMITS=0` turns off). The check still runs on every event."""

    def __init__(self) -> None:
        super().__init__(rate=BENCH_EVENTS_PER_S, burst=BENCH_EVENTS_PER_S)


def _serve_lobby() -> int:
    import lobby.app
    from lobby.interfaces import cli
    from lobby.interfaces.realtime import common

    experiments.apply(n for n in os.environ.get(EXPERIMENT_ENV, "").split(",") if n)
    setattr(common, "EventBudget", RoomyBudget)  # noqa: B010 (not exported: a patch)
    original = lobby.app.create_app

    def create_app(settings: Settings) -> web.Application:
        app = original(settings)
        lag.install(app)
        trips.install(app)
        dircount.install(app)
        stamps.install(app)
        return app

    lobby.app.create_app = create_app  # cli._serve imports it at call time
    return cli.main(["serve"])


def _serve_noop(port: int) -> int:
    """The baseline runs on the lobby's event loop and with its garbage-collector tuning, so
    a ratio compares like with like."""
    settings = Settings.from_env()
    app = create_noop_app()
    lag.install(app)
    if settings.gc_tune:
        app.cleanup_ctx.append(_gc_tuned)
    loop = new_event_loop(settings.event_loop)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)
    return 0


async def _gc_tuned(app: web.Application) -> AsyncIterator[None]:
    async with gctune.tuned():
        yield


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("kind", choices=["lobby", "noop"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    raise_nofile()
    if args.kind == "lobby":
        return _serve_lobby()
    return _serve_noop(args.port)


if __name__ == "__main__":
    sys.exit(main())
