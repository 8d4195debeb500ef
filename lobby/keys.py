"""Typed application keys: the composition root's parts, reachable from handlers."""

from __future__ import annotations

import socketio
from aiohttp import web

from lobby.appointments import Appointments
from lobby.calls import CallService
from lobby.directory import Directory
from lobby.feed import RoomFeed
from lobby.mail.mailer import Mailer
from lobby.metrics import Exposition
from lobby.presence.store import PresenceStore
from lobby.realtime import LocalConnections
from lobby.service import LobbyService
from lobby.settings import Settings
from signaling.echo import EchoService

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", PresenceStore)
DIRECTORY = web.AppKey("directory", Directory)
SERVICE = web.AppKey("service", LobbyService)
CALLS = web.AppKey("calls", CallService)
FEED = web.AppKey("feed", RoomFeed)
ECHO = web.AppKey("echo", EchoService)
CONNECTIONS = web.AppKey("connections", LocalConnections)
SIO = web.AppKey("sio", socketio.AsyncServer)
APPOINTMENTS = web.AppKey("appointments", Appointments)
MAILER = web.AppKey("mailer", Mailer)
METRICS = web.AppKey("metrics", Exposition)
