"""The composition root: `create_app(settings)` wires store, service, sockets and routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable

import socketio
from aiohttp import web

from lobby import gctune, logs
from lobby.adapters.audit import Audit
from lobby.adapters.directory import Directory
from lobby.adapters.mail.mailer import Mailer
from lobby.adapters.managers import IndexedManager
from lobby.adapters.presence.failures import UNREACHABLE
from lobby.adapters.presence.memory import MemoryPresenceStore
from lobby.adapters.presence.store import PresenceStore, RoomSnapshot
from lobby.adapters.pubsub import IndexedRedisManager, OwnedPubSub, OwnedRedisManager, close_manager
from lobby.adapters.ratelimit import RateLimits
from lobby.interfaces.api import PREFIX as API_PREFIX
from lobby.interfaces.api import create_api
from lobby.interfaces.http import ops, ops_api, pages, sessions
from lobby.interfaces.http.errors import lobby_errors
from lobby.interfaces.http.headers import security_headers
from lobby.interfaces.realtime import (
    ClinicianNamespace,
    GuestNamespace,
    LocalConnections,
    RoomBroadcaster,
    SocketPublisher,
)
from lobby.interfaces.realtime.engine import LeanAsyncServer
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.interfaces.realtime.packets import TextPacket
from lobby.interfaces.realtime.polling import oversized_polls
from lobby.interfaces.realtime.staff import close_void_sessions
from lobby.keys import (
    APPOINTMENTS,
    CALLS,
    CONNECTIONS,
    DIRECTORY,
    ECHO,
    FEED,
    MAILER,
    SERVICE,
    SETTINGS,
    SIO,
    STORE,
)
from lobby.secret import server_secret
from lobby.services.appointments import Appointments
from lobby.services.calls import CallService, IcePolicy
from lobby.services.keeper import PresenceKeeper
from lobby.services.lobby import LobbyService, Policy
from lobby.settings import Settings
from signaling.echo import EchoService

log = logging.getLogger("venterom.app")

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest socket.io message, websocket or long-polling, accepted (an SDP may be up to
48 KiB); a larger one closes the connection."""


def create_app(settings: Settings) -> web.Application:
    logs.quiet_media_loggers()
    app = web.Application(
        client_max_size=64 * 1024,
        middlewares=[lobby_errors, security_headers, oversized_polls(MAX_MESSAGE_BYTES)],
    )
    app[SETTINGS] = settings
    app[STORE] = store = _store(settings)
    app[DIRECTORY] = directory = Directory(settings.directory)
    server_class = LeanAsyncServer if settings.overrides("engine") else socketio.AsyncServer
    app[SIO] = sio = server_class(
        async_mode="aiohttp",
        client_manager=_manager(settings),
        serializer=TextPacket,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        cors_allowed_origins=list(settings.origins),
        http_compression=False,
        compression_threshold=1 << 30,
    )

    async def flush(room_id: str, call_changed: bool, snapshot: RoomSnapshot | None) -> None:
        await broadcaster.flush(room_id, call_changed, snapshot)  # bound below

    app[FEED] = feed = RoomFeed(flush, settings.lobby_batch_delay)
    secret = server_secret(settings)
    policy = Policy(
        secret=secret,
        guest_session_ttl=settings.guest_session_ttl,
        clinician_session_ttl=settings.clinician_session_ttl,
        grace_period=settings.grace_period,
        clinician_idle_timeout=settings.clinician_idle_timeout,
    )
    audit = Audit.to(settings.audit_path, secret, ops_api.instance_name(settings))
    app[CONNECTIONS] = connections = LocalConnections()
    publisher = SocketPublisher(sio, feed, connections)
    limits = RateLimits.for_store(settings.redis_url, secret, settings.rate_limits)
    app[SERVICE] = service = LobbyService(store, directory, publisher, policy, audit, limits)
    app[MAILER] = mailer = Mailer(directory, settings, secret)
    app[APPOINTMENTS] = Appointments(directory, service, settings, secret, mailer, audit)
    ice = IcePolicy(settings.stun_urls, settings.turn_urls, settings.turn_secret)
    app[CALLS] = calls = CallService(service, ice, settings.heartbeat_timeout)
    broadcaster = RoomBroadcaster(sio, service, calls)
    app[ECHO] = echo = EchoService(settings.echo_max_sessions, settings.echo_max_seconds)
    guests = GuestNamespace(
        service, calls, broadcaster, echo, connections, settings.trusted_proxies
    )
    clinicians = ClinicianNamespace(service, calls, broadcaster, feed, connections)
    for namespace in (guests, clinicians):
        namespace.allowed_origins = frozenset(settings.origins)
        sio.register_namespace(namespace)
    sio.attach(app)
    app.add_routes(sessions.routes)
    ops.setup(app)
    app.add_routes(ops_api.routes)
    app.add_subapp(API_PREFIX, create_api())
    pages.setup(app)
    app.cleanup_ctx.append(_directory)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_mail)
    app.cleanup_ctx.append(_sweeper)
    app.cleanup_ctx.append(_gc_tuning)
    app.on_shutdown.append(_disconnect_clients)
    return app


def _store(settings: Settings) -> PresenceStore:
    if not settings.redis_url:
        return MemoryPresenceStore()
    from lobby.adapters.presence.redis import RedisPresenceStore

    return RedisPresenceStore.from_url(settings.redis_url, pipelined=settings.overrides("resp"))


def _manager(settings: Settings) -> socketio.AsyncManager:
    """The socket.io client manager, with the overrides in force (docs/upstream.md)."""
    indexed = settings.overrides("managers")
    if not settings.redis_url:
        return IndexedManager() if indexed else socketio.AsyncManager()
    if settings.overrides("pubsub"):
        owned = OwnedRedisManager if indexed else OwnedPubSub
        return owned(settings.redis_url, channel=settings.redis_channel)
    upstream = IndexedRedisManager if indexed else socketio.AsyncRedisManager
    return upstream(settings.redis_url, channel=settings.redis_channel)


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
    keeper = PresenceKeeper(service, connections, marker, ttl)
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
            await service.sweep(local, connections.__contains__)
            if beat:
                stats = await ops_api.instance_stats(app)
                await app[STORE].put_instance(str(stats["instance_id"]), stats, ttl)
                await keeper.beat()
                await app[DIRECTORY].schedule.forget_expired_recipients()
            await service.mark_stale(service.clock() - settings.heartbeat_timeout)
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
