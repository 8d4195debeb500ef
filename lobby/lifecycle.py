"""The app's life: what starts with it, runs beside it and stops with it, in order.

Each `cleanup_ctx` step owns what it starts: the directory (first open, last closed), the
outbox worker, other instances' change records, the sweep; shutdown is bounded step by step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable

from aiohttp import web

from lobby import gctune
from lobby.adapters.presence.failures import UNREACHABLE
from lobby.adapters.pubsub import close_manager
from lobby.interfaces.http import ops_api
from lobby.interfaces.realtime.staff import close_void_sessions
from lobby.keys import (
    CALLS,
    CONNECTIONS,
    DIRECTORY,
    ECHO,
    FANOUT,
    FEED,
    MAILER,
    SERVICE,
    SETTINGS,
    SIO,
    STORE,
)
from lobby.services.keeper import PresenceKeeper

log = logging.getLogger("venterom.app")


def attach(app: web.Application) -> None:
    """Register the steps, in the order they start (and stop in reverse)."""
    app.cleanup_ctx.append(_directory)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_mail)
    app.cleanup_ctx.append(_changes)
    app.cleanup_ctx.append(_sweeper)
    app.cleanup_ctx.append(_gc_tuning)
    app.on_shutdown.append(_disconnect_clients)


async def _directory(app: web.Application) -> AsyncIterator[None]:
    """First open (connected and migrated), last closed: everything else may use it."""
    await app[DIRECTORY].open()
    yield
    await _bounded("directory", app[DIRECTORY].close())


async def _resources(app: web.Application) -> AsyncIterator[None]:
    yield
    await _bounded("handlers", app[CONNECTIONS].drained(limit=5.0))
    await _bounded("echo", app[ECHO].close_all())
    await _bounded("feed", app[FEED].close())
    await _bounded("socket.io", app[SIO].shutdown())
    await _bounded("pub/sub", close_manager(app[SIO].manager))
    await _bounded("store", app[STORE].close())
    await _bounded("rate limits", app[SERVICE].limits.close())
    app[SERVICE].audit.close()


async def _mail(app: web.Application) -> AsyncIterator[None]:
    """The outbox worker: e-mails invitations and retries them (if SMTP is configured)."""
    mailer = app[MAILER]
    mailer.start()
    yield
    await _bounded("mail", mailer.close())


async def _gc_tuning(app: web.Application) -> AsyncIterator[None]:
    """Last start-up step, so the built app is what gets frozen; first to be undone."""
    if not app[SETTINGS].gc_tune:
        yield
        return
    async with gctune.tuned():
        yield


async def _bounded(step: str, work: Awaitable[None], seconds: float = 5.0) -> None:
    """One shutdown step, bounded: a stuck dependency must not keep the process alive."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(seconds):
            await work
    except TimeoutError:
        log.warning("shutdown step timed out", extra={"step": step, "seconds": seconds})
    elapsed = time.monotonic() - started
    if elapsed > 0.5:
        log.warning("slow shutdown step", extra={"step": step, "seconds": round(elapsed, 2)})


async def _changes(app: web.Application) -> AsyncIterator[None]:
    """Other instances' saves, told to this instance's guests (see `SocketFanout`)."""
    task = asyncio.create_task(app[FANOUT].follow(app[STORE].changes()), name="venterom-changes")
    yield
    task.cancel()
    await _bounded("changes", _finished(task))


async def _sweeper(app: web.Application) -> AsyncIterator[None]:
    """Heartbeat our guests, flag the silent ones reconnecting, expire those out of grace."""
    stop = asyncio.Event()
    task = asyncio.create_task(_sweep_until(app, stop), name="venterom-sweeper")
    yield
    # Some clients swallow a cancellation that lands mid-command: say stop, then cancel.
    stop.set()
    task.cancel()
    await _bounded("sweeper", _finished(task))


async def _finished(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _sweep_until(app: web.Application, stop: asyncio.Event) -> None:
    settings, service, connections = app[SETTINGS], app[SERVICE], app[CONNECTIONS]
    calls = app[CALLS]
    ttl = max(15, round(3 * settings.heartbeat_interval))
    marker = f"{ops_api.instance_name(settings)}-{secrets.token_hex(4)}"  # one per app
    keeper = PresenceKeeper(service.visits, app[FANOUT], connections, marker, ttl)
    # The marker from the start: an instance's first beat then writes back only what the
    # store lost since, not what was ended on purpose meanwhile (a logout, a left visit).
    with contextlib.suppress(Exception):
        await app[STORE].kept(marker, ttl)
    last_beat, reachable = 0.0, True
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.sweep_interval)
            return
        try:
            beat = time.monotonic() - last_beat >= settings.heartbeat_interval
            local = connections.visit_ids() if beat else []
            last_beat = time.monotonic() if beat else last_beat
            await service.maintenance.sweep(local, connections.__contains__)
            if beat:
                stats = await ops_api.instance_stats(app)
                await app[STORE].put_instance(str(stats["instance_id"]), stats, ttl)
                await keeper.beat()
                await app[DIRECTORY].schedule.forget_expired_recipients()
            await service.maintenance.mark_stale(service.clock() - settings.heartbeat_timeout)
            for room_id, member in connections.call_members():
                await calls.clinician_seen(room_id, member, reconnecting=False)
            if not reachable:
                log.warning("store reachable again")
            reachable = True
        except UNREACHABLE:
            if reachable:  # once per outage, not every second
                log.warning("store unreachable: sweeping paused")
            reachable = False
        except Exception:
            log.exception("sweep failed")
        try:
            await close_void_sessions(app[SIO], connections, service)
        except UNREACHABLE:
            pass  # said once per outage above
        except Exception:
            log.exception("closing void sessions failed")


async def _disconnect_clients(app: web.Application) -> None:
    """Say goodbye to every client, so guests are flagged reconnecting at once (and move to
    another instance) instead of after the heartbeat timeout."""
    app[SIO].eio.shutting_down = True
    sockets = app[SIO].eio.sockets
    for sid, sock in list(sockets.items()):
        # Don't wait for the send queue: a half-dead client would hold shutdown forever.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await sock.close(wait=False)
        sockets.pop(sid, None)
    await app[CONNECTIONS].drained(limit=5.0)
