"""The composition root: `create_app(settings)` wires store, service, sockets and routes."""

from __future__ import annotations

import socketio
from aiohttp import web

from lobby import lifecycle, logs
from lobby.adapters.audit import Audit
from lobby.adapters.directory import Directory
from lobby.adapters.managers import IndexedManager
from lobby.adapters.presence.memory import MemoryPresenceStore
from lobby.adapters.presence.store import PresenceStore
from lobby.adapters.pubsub import IndexedRedisManager, OwnedPubSub, OwnedRedisManager
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
)
from lobby.interfaces.realtime.engine import LeanAsyncServer
from lobby.interfaces.realtime.fanout import SocketFanout
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.interfaces.realtime.packets import TextPacket
from lobby.interfaces.realtime.polling import oversized_polls
from lobby.keys import (
    APPOINTMENTS,
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
from lobby.secret import server_secret
from lobby.services.appointments import Appointments
from lobby.services.calls import CallService, IcePolicy
from lobby.services.lobby import LobbyService
from lobby.services.mailer import Mailer
from lobby.services.policy import Policy
from lobby.services.rooms import RoomView
from lobby.settings import Settings
from signaling.echo import EchoService

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest socket.io message, websocket or long-polling, accepted (an SDP may be up to
48 KiB); a larger one closes the connection."""


def create_app(settings: Settings) -> web.Application:
    logs.quiet_media_loggers()
    logs.tame_malformed_requests()
    app = web.Application(
        client_max_size=64 * 1024,
        middlewares=[lobby_errors, security_headers, oversized_polls(MAX_MESSAGE_BYTES)],
    )
    app[SETTINGS] = settings
    app[STORE] = store = _store(settings)
    app[DIRECTORY] = directory = Directory(settings.directory)
    app[SIO] = sio = _socket_server(settings)

    async def send(room_id: str, call_changed: bool, view: RoomView | None) -> None:
        await broadcaster.flush(room_id, call_changed, view)  # bound below

    app[FEED] = feed = RoomFeed(send, settings.lobby_batch_delay)
    secret = server_secret(settings)
    audit = Audit.to(settings.audit_path, secret, ops_api.instance_name(settings))
    app[CONNECTIONS] = connections = LocalConnections()
    app[FANOUT] = fanout = SocketFanout(sio, feed, connections)
    limits = RateLimits.for_store(settings.redis_url, secret, settings.rate_limits)
    policy = _policy(settings, secret)
    app[SERVICE] = service = LobbyService(store, directory, fanout, policy, audit, limits)
    app[MAILER] = mailer = Mailer(directory, settings, secret)
    app[APPOINTMENTS] = Appointments(directory, service, settings, secret, mailer, audit)
    ice = IcePolicy(settings.stun_urls, settings.turn_urls, settings.turn_secret)
    app[CALLS] = calls = CallService(service, ice, settings.heartbeat_timeout)
    broadcaster = RoomBroadcaster(sio, service.rooms, calls)
    app[ECHO] = echo = EchoService(settings.echo_max_sessions, settings.echo_max_seconds)
    guests = GuestNamespace(
        service, calls, broadcaster, echo, connections, settings.trusted_proxies
    )
    clinicians = ClinicianNamespace(service, calls, broadcaster, feed, connections)
    for namespace in (guests, clinicians):
        namespace.allowed_origins = frozenset(settings.origins)
        sio.register_namespace(namespace)
    sio.attach(app)
    _routes(app)
    lifecycle.attach(app)
    return app


def _socket_server(settings: Settings) -> socketio.AsyncServer:
    server_class = LeanAsyncServer if settings.overrides("engine") else socketio.AsyncServer
    return server_class(
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


def _policy(settings: Settings, secret: str) -> Policy:
    return Policy(
        secret=secret,
        guest_session_ttl=settings.guest_session_ttl,
        clinician_session_ttl=settings.clinician_session_ttl,
        grace_period=settings.grace_period,
        clinician_idle_timeout=settings.clinician_idle_timeout,
    )


def _routes(app: web.Application) -> None:
    app.add_routes(sessions.routes)
    ops.setup(app)
    app.add_routes(ops_api.routes)
    app.add_subapp(API_PREFIX, create_api())
    pages.setup(app)


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
