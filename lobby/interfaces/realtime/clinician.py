"""The `/clinician` namespace: live lobbies of one's own rooms, admission, and the call."""

from __future__ import annotations

import functools
from typing import Any

import socketio

from lobby.adapters.directory import AccountRole
from lobby.adapters.presence.failures import UNREACHABLE
from lobby.domain.errors import LobbyError, NotPermitted, Unavailable
from lobby.domain.model import Action
from lobby.interfaces.realtime.broadcast import RoomBroadcaster
from lobby.interfaces.realtime.common import (
    CLINICIAN_COOKIE,
    CLINICIAN_NS,
    Ack,
    AckingNamespace,
    LocalConnections,
    acked,
    call_room,
    cookie,
    lobby_room,
    notice_view,
    peer_room,
)
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.interfaces.wire import (
    lobby_entry,
    parse_deny,
    parse_notice,
    parse_room_ref,
    parse_visit_ref,
    room_id_in,
)
from lobby.services.calls import CallService
from lobby.services.lobby import LobbyService
from signaling.relay import parse_signal, parse_tech_message

VISIT_ACTIONS = {
    "admit": Action.ADMIT,
    "send_back": Action.SEND_BACK,
    "pause": Action.PAUSE,
    "resume": Action.RESUME,
    "end": Action.END,
    "move_to_phone": Action.MOVE_TO_PHONE,
    "remove": Action.REMOVE,
    "check_identity": Action.CHECK_IDENTITY,
}


class ClinicianNamespace(AckingNamespace):
    refused_events = frozenset({"join", "leave", "withdraw", "request_pause", "echo_start"})

    def __init__(
        self,
        service: LobbyService,
        calls: CallService,
        broadcaster: RoomBroadcaster,
        feed: RoomFeed,
        connections: LocalConnections,
    ) -> None:
        super().__init__(CLINICIAN_NS, connections)
        self.service = service
        self.calls = calls
        self.broadcaster = broadcaster
        self.feed = feed
        for event, action in VISIT_ACTIONS.items():
            setattr(self, f"on_{event}", functools.partial(self._visit_action, action))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        try:
            session_id = cookie(environ, CLINICIAN_COOKIE)
            record, account = await self.service.sessions.staff(session_id)
        except LobbyError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        except UNREACHABLE:
            raise socketio.exceptions.ConnectionRefusedError(Unavailable.code) from None
        if account.role is not AccountRole.CLINICIAN:
            # Operations staff see figures on /ops, never a lobby: no names reach them.
            raise socketio.exceptions.ConnectionRefusedError(NotPermitted.code)
        self.connections.sessions[sid] = (str(session_id), record)
        await self.save_session(sid, {"clinician_id": record.subject})
        self.connections.clinicians.add(sid)
        rooms = await self.service.rooms.of(record.subject)
        for room in rooms:
            await self.enter_room(sid, lobby_room(room.room_id))
        await self.emit("rooms", [{"room_id": r.room_id, "name": r.name} for r in rooms], to=sid)
        for room in rooms:
            await self.emit("lobby", await self.broadcaster.lobby(room.room_id), to=sid)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        self.connections.clinicians.discard(sid)
        self.connections.sessions.pop(sid, None)
        for room_id, member in self.connections.calls.pop(sid, {}).items():
            await self.calls.clinician_seen(room_id, member, reconnecting=True)
            # Once the grace period is over, the roster drops a clinician who did not return.
            grace = self.service.policy.grace_period + self.calls.heartbeat_timeout
            self.feed.touch_later(room_id, grace + 1.0)

    @acked
    async def on_admit_all(self, sid: str, data: object = None) -> Ack:
        ref = parse_room_ref(data)
        admitted = await self.service.visits.admit_all(await self._clinician(sid), ref.room_id)
        return {"admitted": [v.visit_id for v in admitted]}

    @acked
    async def on_deny(self, sid: str, data: object = None) -> Ack:
        deny = parse_deny(data)
        visit = await self.service.visits.clinician_act(
            await self._clinician(sid), deny.visit_id, Action.DENY, deny_reason=deny.reason
        )
        return {"visit": lobby_entry(visit)}

    @acked
    async def on_notice(self, sid: str, data: object = None) -> Ack:
        notice = await self.service.notices.send(await self._clinician(sid), parse_notice(data))
        return {"notice": notice_view(notice)}

    @acked
    async def on_lobby(self, sid: str, data: object = None) -> Ack:
        ref = parse_room_ref(data)
        await self.service.rooms.require(await self._clinician(sid), ref.room_id)
        return {"lobby": await self.broadcaster.lobby(ref.room_id)}

    @acked
    async def on_call_join(self, sid: str, data: object = None) -> Ack:
        room_id = parse_room_ref(data).room_id
        clinician_id = await self._clinician(sid)
        joined = await self.calls.clinician_join(clinician_id, room_id)
        await self.enter_room(sid, call_room(room_id))
        await self.enter_room(sid, peer_room(room_id, clinician_id))
        member = next(
            m for m in await self.service.store.call_members(room_id) if m.peer_id == clinician_id
        )
        self.connections.calls[sid][room_id] = member
        return joined.to_wire()

    @acked
    async def on_call_leave(self, sid: str, data: object = None) -> Ack:
        room_id = parse_room_ref(data).room_id
        clinician_id = await self._clinician(sid)
        await self.calls.clinician_leave(clinician_id, room_id)
        await self.leave_room(sid, call_room(room_id))
        await self.leave_room(sid, peer_room(room_id, clinician_id))
        self.connections.calls[sid].pop(room_id, None)
        return {}

    @acked
    async def on_signal(self, sid: str, data: object = None) -> Ack:
        signal = parse_signal(data)
        room_id = room_id_in(data)
        clinician_id = await self._clinician(sid)
        await self.service.rooms.require(clinician_id, room_id)
        target = await self.calls.route(room_id, clinician_id, signal.to)
        await self.broadcaster.to_peer(room_id, target, "signal", signal.relayed(clinician_id))
        return {}

    @acked
    async def on_tech_message(self, sid: str, data: object = None) -> Ack:
        code = parse_tech_message(data)
        room_id = room_id_in(data)
        clinician_id = await self._clinician(sid)
        await self.service.rooms.require(clinician_id, room_id)
        roster = await self.calls.member_roster(room_id, clinician_id)
        await self.broadcaster.to_call(
            roster, "tech_message", {"from": clinician_id, "code": code.value}
        )
        return {}

    @acked
    async def _visit_action(self, action: Action, sid: str, data: object = None) -> Ack:
        ref = parse_visit_ref(data)
        visit = await self.service.visits.clinician_act(
            await self._clinician(sid), ref.visit_id, action
        )
        return {"visit": lobby_entry(visit)}

    async def _clinician(self, sid: str) -> str:
        session = await self.get_session(sid)
        return str(session["clinician_id"])
