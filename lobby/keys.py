"""Typed application keys: the composition root's parts, reachable from handlers."""

from __future__ import annotations

import socketio
from aiohttp import web

from lobby.directory import Directory
from lobby.feed import LobbyFeed
from lobby.presence.store import PresenceStore
from lobby.realtime import LocalConnections
from lobby.service import LobbyService
from lobby.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", PresenceStore)
DIRECTORY = web.AppKey("directory", Directory)
SERVICE = web.AppKey("service", LobbyService)
FEED = web.AppKey("feed", LobbyFeed)
CONNECTIONS = web.AppKey("connections", LocalConnections)
SIO = web.AppKey("sio", socketio.AsyncServer)
