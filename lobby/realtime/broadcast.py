"""Outgoing messages: visit changes, notices, lobby snapshots, rosters and relayed signals.

Every emit goes through socket.io's client manager, so it reaches sockets on any instance.
Recipients are computed from the store at send time, never from socket.io's room lists
(which only know this instance's sockets).
"""

from __future__ import annotations

from typing import Any

import socketio

from lobby.calls import CallService
from lobby.feed import RoomFeed
from lobby.model import CALL_STATES, Visit
from lobby.presence.store import Notice
from lobby.realtime.common import (
    CLINICIAN_NS,
    GUEST_NS,
    call_room,
    lobby_room,
    notice_view,
    peer_room,
    visit_room,
)
from lobby.service import LobbyService
from lobby.wire import expected_entry, guest_view, lobby_entry
from signaling.policy import Participant, Roster


class SocketPublisher:
    """Implements `service.Publisher`: the guest hears at once; rooms are flushed in batches."""

    def __init__(self, sio: socketio.AsyncServer, feed: RoomFeed) -> None:
        self._sio = sio
        self._feed = feed

    async def visit_changed(self, before: Visit | None, after: Visit) -> None:
        await self._sio.emit(
            "visit", guest_view(after), room=visit_room(after.visit_id), namespace=GUEST_NS
        )
        self._feed.touch(after.room_id, call=_touches_call(before, after))

    async def notice_sent(self, room_id: str, notice: Notice, visit_ids: list[str]) -> None:
        payload = notice_view(notice)
        for visit_id in visit_ids:
            await self._sio.emit("notice", payload, room=visit_room(visit_id), namespace=GUEST_NS)
        self._feed.touch(room_id)

    async def call_changed(self, room_id: str) -> None:
        self._feed.touch(room_id, call=True)


def _touches_call(before: Visit | None, after: Visit) -> bool:
    """Whether the roster may differ: the visit is, or was, in the call."""
    return after.state in CALL_STATES or (before is not None and before.state in CALL_STATES)


class RoomBroadcaster:
    """Flushes one room: the lobby to its clinicians, the roster to everyone in its call."""

    def __init__(
        self, sio: socketio.AsyncServer, service: LobbyService, calls: CallService
    ) -> None:
        self.sio = sio
        self.service = service
        self.store = service.store
        self.calls = calls

    async def lobby(self, room_id: str, visits: list[Visit] | None = None) -> dict[str, Any]:
        if visits is None:
            visits = await self.store.room_visits(room_id)
        expected = await self.service.expected(room_id, visits)
        return {
            "room_id": room_id,
            "visits": [lobby_entry(v) for v in visits],
            "expected": [expected_entry(v) for v in expected],
        }

    async def flush(self, room_id: str, call_changed: bool = True) -> None:
        """The lobby always; the roster only when the call changed (most lobby traffic is
        arrivals, which nobody in a call needs to hear about)."""
        visits = await self.store.room_visits(room_id)
        await self.sio.emit(
            "lobby",
            await self.lobby(room_id, visits),
            room=lobby_room(room_id),
            namespace=CLINICIAN_NS,
        )
        if call_changed:
            roster = await self.calls.roster(room_id, visits)
            await self.to_call(roster, "roster", roster.to_wire())

    async def to_call(
        self, roster: Roster, event: str, payload: dict[str, Any], skip: str | None = None
    ) -> None:
        """Send to every participant of the call (clinicians through their call room)."""
        await self.sio.emit(event, payload, room=call_room(roster.room_id), namespace=CLINICIAN_NS)
        for peer_id in roster.guests():
            if peer_id != skip:
                await self.sio.emit(event, payload, room=visit_room(peer_id), namespace=GUEST_NS)

    async def to_peer(
        self, room_id: str, target: Participant, event: str, payload: dict[str, Any]
    ) -> None:
        if target.kind == "guest":
            await self.sio.emit(event, payload, room=visit_room(target.peer_id), namespace=GUEST_NS)
        else:
            await self.sio.emit(
                event, payload, room=peer_room(room_id, target.peer_id), namespace=CLINICIAN_NS
            )
