"""Typed application keys: the composition root's parts, reachable from handlers."""

from __future__ import annotations

import socketio
from aiohttp import web

from lobby.adapters.directory import Directory
from lobby.adapters.presence.store import PresenceStore
from lobby.interfaces.realtime import LocalConnections
from lobby.interfaces.realtime.fanout import SocketFanout
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.services.appointments import Appointments
from lobby.services.calls import CallService
from lobby.services.lobby import LobbyService
from lobby.services.mailer import Mailer
from lobby.services.metrics import Exposition
from lobby.settings import Settings
from signaling.echo import EchoService

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", PresenceStore)
DIRECTORY = web.AppKey("directory", Directory)
SERVICE = web.AppKey("service", LobbyService)
CALLS = web.AppKey("calls", CallService)
FEED = web.AppKey("feed", RoomFeed)
FANOUT = web.AppKey("fanout", SocketFanout)
ECHO = web.AppKey("echo", EchoService)
CONNECTIONS = web.AppKey("connections", LocalConnections)
SIO = web.AppKey("sio", socketio.AsyncServer)
APPOINTMENTS = web.AppKey("appointments", Appointments)
MAILER = web.AppKey("mailer", Mailer)
METRICS = web.AppKey("metrics", Exposition)
