"""Shared pieces of the socket.io layer: socket rooms, cookies, acknowledgements, and
which guests and clinicians are connected to this instance."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

import socketio

from lobby.adapters.presence.failures import UNREACHABLE
from lobby.adapters.presence.store import CallMember, Notice, SessionRecord
from lobby.domain.errors import (
    InvalidPayload,
    LobbyError,
    NotPermitted,
    RateLimited,
    Unavailable,
    UnknownEvent,
)
from lobby.domain.model import Visit
from lobby.interfaces.realtime.budget import EventBudget
from lobby.interfaces.realtime.packets import NOT_AN_EVENT, UNDECODABLE

log = logging.getLogger("venterom.realtime")

GUEST_NS = "/guest"
CLINICIAN_NS = "/clinician"
GUEST_COOKIE = "venterom_guest"
CLINICIAN_COOKIE = "venterom_session"

Ack = dict[str, Any]
FORBIDDEN_ORIGIN = "forbidden_origin"


def visit_room(visit_id: str) -> str:
    return f"visit:{visit_id}"


def lobby_room(room_id: str) -> str:
    """Clinicians who own the room (their lobby view)."""
    return f"lobby:{room_id}"


def call_room(room_id: str) -> str:
    """Clinicians taking part in the room's call."""
    return f"call:{room_id}"


def peer_room(room_id: str, clinician_id: str) -> str:
    """One clinician's sockets in one room's call: where signals to them go."""
    return f"peer:{room_id}:{clinician_id}"


def cookie(environ: dict[str, Any], name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(environ.get("HTTP_COOKIE", ""))
    except Exception:  # a malformed Cookie header is the same as none
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def notice_view(notice: Notice) -> dict[str, Any]:
    return {"code": notice.code, "minutes": notice.minutes, "sent_at": notice.sent_at}


def refusal(exc: LobbyError) -> Ack:
    """The acknowledgement of a refused event (with when to retry, if rate limited)."""
    ack: Ack = {"ok": False, "error": exc.code, "message": str(exc)}
    if isinstance(exc, RateLimited):
        ack["retry_after"] = exc.retry_after
    return ack


def acked(handler: Callable[..., Awaitable[Ack]]) -> Callable[..., Awaitable[Ack]]:
    """Turn refusals into error acknowledgements; nothing unexpected leaks to the client."""

    @functools.wraps(handler)
    async def wrapper(self: Any, *args: Any) -> Ack:
        try:
            return {"ok": True, **await handler(self, *args)}
        except LobbyError as exc:
            return refusal(exc)
        except UNREACHABLE:
            log.warning("store unreachable", extra={"handler": handler.__name__})
            refused = Unavailable("the service is briefly unavailable; try again")
            return {"ok": False, "error": refused.code, "message": str(refused)}
        except Exception:
            log.exception("handler %s failed", handler.__name__)
            return {"ok": False, "error": "internal", "message": "internal error"}

    return wrapper


class LocalConnections:
    """Which guests are connected to this instance (for heartbeats and disconnects)."""

    def __init__(self) -> None:
        self._guests: dict[str, set[str]] = defaultdict(set)
        self.clinicians: set[str] = set()
        self.calls: dict[str, dict[str, CallMember]] = defaultdict(dict)
        """Per socket: the rooms whose call it takes part in, and as whom."""
        self.sessions: dict[str, tuple[str, SessionRecord]] = {}
        """Per socket: its session, to write back if the store loses it."""
        self.snapshots: dict[str, Visit] = {}
        """Last known state of each local guest's visit, likewise."""
        self.in_flight = 0
        self.idle = asyncio.Event()

    async def drained(self, limit: float) -> None:
        """Wait (at most `limit` seconds) until no socket handler is running."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                while self.in_flight:
                    self.idle.clear()
                    await self.idle.wait()

    def add_guest(self, visit_id: str, sid: str) -> None:
        self._guests[visit_id].add(sid)

    def remove_guest(self, visit_id: str, sid: str) -> bool:
        """Forget one socket; True when it was the visit's last one here."""
        sids = self._guests.get(visit_id)
        if sids is None:
            return False
        sids.discard(sid)
        if sids:
            return False
        del self._guests[visit_id]
        self.snapshots.pop(visit_id, None)
        return True

    def held(self) -> tuple[list[Visit], dict[str, SessionRecord]]:
        """What this instance's clients hold: their visits' last state and their sessions."""
        sessions = dict(self.sessions.values())
        return list(self.snapshots.values()), sessions

    def call_members(self) -> list[tuple[str, CallMember]]:
        """(room, member) for every call a local clinician socket takes part in."""
        return [pair for rooms in self.calls.values() for pair in rooms.items()]

    def visit_ids(self) -> list[str]:
        return list(self._guests)

    def __contains__(self, visit_id: object) -> bool:
        return visit_id in self._guests


class AckingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """A namespace that answers unknown events with an error instead of silence, and counts
    handlers in flight so that shutdown can wait for them before closing the store."""

    refused_events: frozenset[str] = frozenset()
    """Events that exist for the other kind of user: answered `not_permitted`."""

    allowed_origins: frozenset[str] = frozenset()
    """Pages that may connect (their `Origin`); a browser always sends it."""

    def __init__(self, namespace: str, connections: LocalConnections) -> None:
        super().__init__(namespace)
        self.connections = connections
        self.budget = EventBudget()

    def _from_our_pages(self, environ: dict[str, Any]) -> bool:
        """A connection opened by one of our own pages: its `Origin` is ours, or, where a
        browser sends none (a same-origin long-polling GET), it says `Sec-Fetch-Site:
        same-origin`. Anything else, including a client that names no origin, is refused."""
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            return origin in self.allowed_origins
        return environ.get("HTTP_SEC_FETCH_SITE") == "same-origin"

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            environ = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            if not self._from_our_pages(environ):
                raise socketio.exceptions.ConnectionRefusedError(FORBIDDEN_ORIGIN)
        elif event == "disconnect" and args:
            self.budget.forget(str(args[0]))
        elif args:
            wait = self.budget.spend(str(args[0]))
            if wait:
                return refusal(RateLimited("too many messages; slow down", math.ceil(wait)))
            if malformed := _malformed(event, args[1:]):
                return refusal(malformed)
        if event not in {"connect", "disconnect"} and not hasattr(self, f"on_{event}"):
            unavailable = NotPermitted if event in self.refused_events else UnknownEvent
            return refusal(unavailable(f"{event} is not available here"))
        self.connections.in_flight += 1
        try:
            return await super().trigger_event(event, *args)
        finally:
            self.connections.in_flight -= 1
            if not self.connections.in_flight:
                self.connections.idle.set()


def _malformed(event: str, payload: tuple[Any, ...]) -> LobbyError | None:
    """Why a client's event cannot be handled as sent, if it cannot (see
    lobby/interfaces/realtime/packets.py)."""
    if event == UNDECODABLE:
        return InvalidPayload("the message is not valid JSON")
    if event == NOT_AN_EVENT:
        return UnknownEvent("the message names no event")
    if len(payload) > 1:
        return InvalidPayload("an event carries at most one payload")
    if _has_bytes(payload):
        return InvalidPayload("binary attachments are not accepted")
    return None


def _has_bytes(value: Any, depth: int = 0) -> bool:
    """Whether a payload carries bytes (a socket.io binary attachment) anywhere."""
    if isinstance(value, bytes | bytearray | memoryview):
        return True
    if depth > 32:
        return False  # deeper than any payload we accept: refused by its validation anyway
    if isinstance(value, dict):
        return any(_has_bytes(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_bytes(v, depth + 1) for v in value)
    return False
