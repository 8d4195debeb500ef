"""Socket.io namespaces: guests on `/guest`, clinicians on `/clinician`.

Handlers are thin: authenticate by session cookie, validate the payload, call the
service, and answer every event with an acknowledgement `{"ok": true, ...}` or
`{"ok": false, "error": <code>, "message": <text>}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

import socketio

from lobby.errors import LobbyError
from lobby.feed import LobbyFeed
from lobby.model import Action, Visit, VisitState
from lobby.presence.store import Notice
from lobby.service import LobbyService
from lobby.wire import (
    guest_view,
    lobby_entry,
    parse_deny,
    parse_join,
    parse_notice,
    parse_room_ref,
    parse_visit_ref,
)

log = logging.getLogger("venterom.realtime")

GUEST_NS = "/guest"
CLINICIAN_NS = "/clinician"
GUEST_COOKIE = "venterom_guest"
CLINICIAN_COOKIE = "venterom_session"

Ack = dict[str, Any]


def visit_room(visit_id: str) -> str:
    return f"visit:{visit_id}"


def lobby_room(room_id: str) -> str:
    return f"lobby:{room_id}"


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


def acked(handler: Callable[..., Awaitable[Ack]]) -> Callable[..., Awaitable[Ack]]:
    """Turn refusals into error acknowledgements; nothing unexpected leaks to the client."""

    @functools.wraps(handler)
    async def wrapper(self: Any, sid: str, data: object = None) -> Ack:
        try:
            return {"ok": True, **await handler(self, sid, data)}
        except LobbyError as exc:
            return {"ok": False, "error": exc.code, "message": str(exc)}
        except Exception:
            log.exception("handler %s failed", handler.__name__)
            return {"ok": False, "error": "internal", "message": "internal error"}

    return wrapper


class LocalConnections:
    """Which guests are connected to this instance (for heartbeats and disconnects)."""

    def __init__(self) -> None:
        self._guests: dict[str, set[str]] = defaultdict(set)
        self.clinicians: set[str] = set()
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
        return True

    def visit_ids(self) -> list[str]:
        return list(self._guests)

    def __contains__(self, visit_id: object) -> bool:
        return visit_id in self._guests


class AckingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """A namespace that answers unknown events with an error instead of silence, and counts
    handlers in flight so that shutdown can wait for them before closing the store."""

    refused_events: frozenset[str] = frozenset()
    """Events that exist for the other kind of user: answered `not_permitted`."""

    def __init__(self, namespace: str, connections: LocalConnections) -> None:
        super().__init__(namespace)
        self.connections = connections

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event not in {"connect", "disconnect"} and not hasattr(self, f"on_{event}"):
            code = "not_permitted" if event in self.refused_events else "unknown_event"
            return {"ok": False, "error": code, "message": f"{event} is not available here"}
        self.connections.in_flight += 1
        try:
            return await super().trigger_event(event, *args)
        finally:
            self.connections.in_flight -= 1
            if not self.connections.in_flight:
                self.connections.idle.set()


class SocketPublisher:
    """Implements `service.Publisher` over socket.io (reaching every instance via the manager)."""

    def __init__(self, sio: socketio.AsyncServer, feed: LobbyFeed) -> None:
        self._sio = sio
        self._feed = feed

    async def visit_changed(self, before: Visit | None, after: Visit) -> None:
        await self._sio.emit(
            "visit", guest_view(after), room=visit_room(after.visit_id), namespace=GUEST_NS
        )
        self._feed.touch(after.room_id)

    async def notice_sent(self, room_id: str, notice: Notice, visit_ids: list[str]) -> None:
        payload = notice_view(notice)
        for visit_id in visit_ids:
            await self._sio.emit("notice", payload, room=visit_room(visit_id), namespace=GUEST_NS)
        self._feed.touch(room_id)


class GuestNamespace(AckingNamespace):
    def __init__(self, service: LobbyService, connections: LocalConnections) -> None:
        super().__init__(GUEST_NS, connections)
        self.service = service

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        try:
            record = await self.service.session(cookie(environ, GUEST_COOKIE), "guest")
        except LobbyError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        visit_id = record.subject
        await self.save_session(sid, {"visit_id": visit_id, "room_id": record.room_id})
        await self.enter_room(sid, visit_room(visit_id))
        self.connections.add_guest(visit_id, sid)
        try:
            visit = await self.service.guest_connected(visit_id)
        except LobbyError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        await self.emit("visit", guest_view(visit), to=sid)
        notice = await self.service.current_notice(record.room_id)
        if notice is not None and visit.state is VisitState.WAITING:
            await self.emit("notice", notice_view(notice), to=sid)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        session = await self.get_session(sid)
        visit_id = session.get("visit_id") if session else None
        if visit_id and self.connections.remove_guest(visit_id, sid):
            await self.service.guest_disconnected(visit_id)

    @acked
    async def on_join(self, sid: str, data: object) -> Ack:
        joining = parse_join(data)
        return {"visit": guest_view(await self._act(sid, Action.JOIN, joining))}

    @acked
    async def on_leave(self, sid: str, data: object) -> Ack:
        return {"visit": guest_view(await self._act(sid, Action.LEAVE))}

    @acked
    async def on_withdraw(self, sid: str, data: object) -> Ack:
        return {"visit": guest_view(await self._act(sid, Action.WITHDRAW))}

    @acked
    async def on_request_pause(self, sid: str, data: object) -> Ack:
        return {"visit": guest_view(await self._act(sid, Action.REQUEST_PAUSE))}

    async def _act(self, sid: str, action: Action, joining: Any = None) -> Visit:
        session = await self.get_session(sid)
        return await self.service.guest_act(session["visit_id"], action, joining)


CLINICIAN_VISIT_ACTIONS = {
    "admit": Action.ADMIT,
    "send_back": Action.SEND_BACK,
    "pause": Action.PAUSE,
    "resume": Action.RESUME,
    "end": Action.END,
    "move_to_phone": Action.MOVE_TO_PHONE,
    "remove": Action.REMOVE,
    "check_identity": Action.CHECK_IDENTITY,
}


GuestNamespace.refused_events = frozenset(
    {*CLINICIAN_VISIT_ACTIONS, "admit_all", "deny", "notice", "lobby"}
)


class ClinicianNamespace(AckingNamespace):
    refused_events = frozenset({"join", "leave", "withdraw", "request_pause"})

    def __init__(
        self, service: LobbyService, feed: LobbyFeed, connections: LocalConnections
    ) -> None:
        super().__init__(CLINICIAN_NS, connections)
        self.service = service
        self.feed = feed
        for event, action in CLINICIAN_VISIT_ACTIONS.items():
            setattr(self, f"on_{event}", self._visit_action(action))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        try:
            record = await self.service.session(cookie(environ, CLINICIAN_COOKIE), "clinician")
        except LobbyError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        await self.save_session(sid, {"clinician_id": record.subject})
        self.connections.clinicians.add(sid)
        rooms = self.service.rooms(record.subject)
        for room in rooms:
            await self.enter_room(sid, lobby_room(room.room_id))
        await self.emit("rooms", [{"room_id": r.room_id, "name": r.name} for r in rooms], to=sid)
        for room in rooms:
            await self.emit("lobby", await self.feed.snapshot(room.room_id), to=sid)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        self.connections.clinicians.discard(sid)

    @acked
    async def on_admit_all(self, sid: str, data: object) -> Ack:
        ref = parse_room_ref(data)
        admitted = await self.service.admit_all(await self._clinician(sid), ref.room_id)
        return {"admitted": [v.visit_id for v in admitted]}

    @acked
    async def on_deny(self, sid: str, data: object) -> Ack:
        deny = parse_deny(data)
        visit = await self.service.clinician_act(
            await self._clinician(sid), deny.visit_id, Action.DENY, deny_reason=deny.reason
        )
        return {"visit": lobby_entry(visit)}

    @acked
    async def on_notice(self, sid: str, data: object) -> Ack:
        notice = await self.service.send_notice(await self._clinician(sid), parse_notice(data))
        return {"notice": notice_view(notice)}

    @acked
    async def on_lobby(self, sid: str, data: object) -> Ack:
        ref = parse_room_ref(data)
        self.service.require_room(await self._clinician(sid), ref.room_id)
        return {"lobby": await self.feed.snapshot(ref.room_id)}

    def _visit_action(self, action: Action) -> Callable[..., Awaitable[Ack]]:
        @acked
        async def handler(self: ClinicianNamespace, sid: str, data: object) -> Ack:
            ref = parse_visit_ref(data)
            visit = await self.service.clinician_act(
                await self._clinician(sid), ref.visit_id, action
            )
            return {"visit": lobby_entry(visit)}

        return functools.partial(handler, self)

    async def _clinician(self, sid: str) -> str:
        session = await self.get_session(sid)
        return str(session["clinician_id"])
