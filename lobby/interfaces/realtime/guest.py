"""The `/guest` namespace: one guest's own visit, the call, and the echo connection test."""

from __future__ import annotations

from typing import Any

import socketio

from lobby.adapters import ratelimit
from lobby.adapters.presence.failures import UNREACHABLE
from lobby.addresses import client_address
from lobby.domain.errors import (
    InvalidPayload,
    InvalidTransition,
    LobbyError,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from lobby.domain.model import Action, Joining, Visit, VisitState
from lobby.interfaces.realtime.broadcast import RoomBroadcaster
from lobby.interfaces.realtime.common import (
    GUEST_COOKIE,
    GUEST_NS,
    Ack,
    AckingNamespace,
    LocalConnections,
    acked,
    cookie,
    notice_view,
    visit_room,
)
from lobby.interfaces.wire import guest_view, parse_join, parse_nothing
from lobby.services.calls import CallService
from lobby.services.lobby import LobbyService
from signaling.echo import EchoService
from signaling.errors import TooManySignals
from signaling.messages import parse_description
from signaling.relay import parse_signal, parse_tech_message

ECHO_STATES = frozenset({VisitState.CHECKING, VisitState.WAITING})
MAX_SIGNALS_PER_JOIN = 500
"""Offers, answers and candidates one socket may send per call_join; real ones need dozens."""


class GuestNamespace(AckingNamespace):
    refused_events = frozenset(
        {
            "admit",
            "admit_all",
            "deny",
            "notice",
            "lobby",
            "send_back",
            "pause",
            "resume",
            "end",
            "move_to_phone",
            "remove",
            "check_identity",
            "call_leave",
        }
    )

    def __init__(
        self,
        service: LobbyService,
        calls: CallService,
        broadcaster: RoomBroadcaster,
        echo: EchoService,
        connections: LocalConnections,
        trusted_proxies: tuple[str, ...] = (),
    ) -> None:
        super().__init__(GUEST_NS, connections)
        self.trusted_proxies = trusted_proxies
        self.service = service
        self.calls = calls
        self.broadcaster = broadcaster
        self.echo = echo
        self._signals: dict[str, int] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        session_id = cookie(environ, GUEST_COOKIE)
        try:
            record, visit = await self.service.sessions.guest(session_id)
        except LobbyError as exc:
            raise _refusal(exc) from None
        except UNREACHABLE:
            raise _refusal(Unavailable()) from None
        visit_id = record.subject
        client = client_address(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), self.trusted_proxies
        )
        await self.save_session(
            sid, {"visit_id": visit_id, "room_id": record.room_id, "client": client}
        )
        await self.enter_room(sid, visit_room(visit_id))
        self.connections.add_guest(visit_id, sid)
        try:
            visit = await self.service.visits.guest_connected(visit_id, visit)
        except LobbyError as exc:
            self.connections.remove_guest(visit_id, sid)
            raise _refusal(exc) from None
        except UNREACHABLE:
            self.connections.remove_guest(visit_id, sid)
            raise _refusal(Unavailable()) from None
        self.connections.sessions[sid] = (str(session_id), record)
        self.connections.snapshots[visit_id] = visit
        await self.emit("visit", guest_view(visit), to=sid)
        if visit.state is VisitState.WAITING:
            notice = await self.service.notices.current(record.room_id)
            if notice is not None:
                await self.emit("notice", notice_view(notice), to=sid)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        self._signals.pop(sid, None)
        self.connections.sessions.pop(sid, None)
        session = await self.get_session(sid)
        visit_id = session.get("visit_id") if session else None
        if visit_id and self.connections.remove_guest(visit_id, sid):
            await self.echo.close(visit_id)
            await self.service.visits.guest_disconnected(visit_id)

    @acked
    async def on_join(self, sid: str, data: object = None) -> Ack:
        session = await self.get_session(sid)  # every attempt counts, well-formed or not
        await self.service.limits.hit(ratelimit.JOIN_PER_CLIENT, str(session["client"]))
        await self.service.limits.hit(ratelimit.JOIN_PER_VISIT, str(session["visit_id"]))
        return {"visit": guest_view(await self._act(sid, Action.JOIN, parse_join(data)))}

    @acked
    async def on_leave(self, sid: str, data: object = None) -> Ack:
        parse_nothing(data)
        return {"visit": guest_view(await self._act(sid, Action.LEAVE))}

    @acked
    async def on_withdraw(self, sid: str, data: object = None) -> Ack:
        parse_nothing(data)
        return {"visit": guest_view(await self._act(sid, Action.WITHDRAW))}

    @acked
    async def on_request_pause(self, sid: str, data: object = None) -> Ack:
        parse_nothing(data)
        return {"visit": guest_view(await self._act(sid, Action.REQUEST_PAUSE))}

    @acked
    async def on_call_join(self, sid: str, data: object = None) -> Ack:
        parse_nothing(data)
        visit_id, _ = await self._me(sid)
        self._signals[sid] = 0
        return (await self.calls.guest_join(visit_id)).to_wire()

    @acked
    async def on_signal(self, sid: str, data: object = None) -> Ack:
        signal = parse_signal(data)
        self._count_signal(sid)
        visit_id, room_id = await self._me(sid)
        target = await self.calls.route(room_id, visit_id, signal.to)
        await self.broadcaster.to_peer(room_id, target, "signal", signal.relayed(visit_id))
        return {}

    @acked
    async def on_tech_message(self, sid: str, data: object = None) -> Ack:
        code = parse_tech_message(data)
        visit_id, room_id = await self._me(sid)
        roster = await self.calls.member_roster(room_id, visit_id)
        payload = {"from": visit_id, "code": code.value}
        await self.broadcaster.to_call(roster, "tech_message", payload, skip=visit_id)
        return {}

    @acked
    async def on_echo_start(self, sid: str, data: object = None) -> Ack:
        if not isinstance(data, dict) or set(data) != {"description"}:
            raise InvalidPayload("echo_start needs {description}")
        offer = parse_description(data["description"])
        visit = await self.service.visits.get((await self._me(sid))[0])
        if visit.state not in ECHO_STATES:
            raise InvalidTransition("the connection test is for before the consultation")
        answer = await self.echo.open(visit.visit_id, offer)
        return {"description": answer.to_json()}

    @acked
    async def on_echo_stats(self, sid: str, data: object = None) -> Ack:
        parse_nothing(data)
        report = await self.echo.stats((await self._me(sid))[0])
        return {
            "state": report.connection_state,
            "rtt_ms": report.round_trip_ms,
            "packet_loss": report.packet_loss,
        }

    @acked
    async def on_echo_stop(self, sid: str, data: object = None) -> Ack:
        parse_nothing(data)
        await self.echo.close((await self._me(sid))[0])
        return {}

    async def _me(self, sid: str) -> tuple[str, str]:
        session = await self.get_session(sid)
        return str(session["visit_id"]), str(session["room_id"])

    async def _act(self, sid: str, action: Action, joining: Joining | None = None) -> Visit:
        visit_id, _ = await self._me(sid)
        visit = await self.service.visits.guest_act(visit_id, action, joining)
        if visit_id in self.connections.snapshots:
            self.connections.snapshots[visit_id] = visit
        return visit

    def _count_signal(self, sid: str) -> None:
        count = self._signals.get(sid, 0) + 1
        if count > MAX_SIGNALS_PER_JOIN:
            raise TooManySignals("too many signaling messages; join the call again")
        self._signals[sid] = count


def _refusal(exc: LobbyError) -> socketio.exceptions.ConnectionRefusedError:
    # A visit whose record is gone (long ended) makes its session worth nothing.
    code = Unauthenticated.code if isinstance(exc, NotFound) else exc.code
    return socketio.exceptions.ConnectionRefusedError(code)
