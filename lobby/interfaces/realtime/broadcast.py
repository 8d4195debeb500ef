"""Outgoing room messages: lobbies, rosters and relayed signals.

Every emit goes through socket.io's client manager, so it reaches sockets on any instance.
Recipients are computed from the store, never from socket.io's room lists (which only know
this instance's sockets).
"""

from __future__ import annotations

from typing import Any

import socketio

from lobby.adapters import pubsub
from lobby.interfaces.realtime.common import (
    CLINICIAN_NS,
    GUEST_NS,
    call_room,
    lobby_room,
    peer_room,
    visit_room,
)
from lobby.interfaces.wire import expected_entry, lobby_entry
from lobby.services.calls import CallService
from lobby.services.rooms import Rooms, RoomView
from signaling.policy import Participant, Roster


class RoomBroadcaster:
    """Sends one room: the lobby to its clinicians, the roster to everyone in its call."""

    def __init__(self, sio: socketio.AsyncServer, rooms: Rooms, calls: CallService) -> None:
        self.sio = sio
        self.rooms = rooms
        self.calls = calls

    async def lobby(self, room_id: str) -> dict[str, Any]:
        """The lobby a clinician asked for (on connecting, or by request): read afresh."""
        return lobby_of(await self.rooms.view(room_id, fresh=True))

    async def flush(self, room_id: str, call_changed: bool, view: RoomView | None) -> None:
        """The lobby always; the roster only when the call changed (most lobby traffic is
        arrivals, which nobody in a call needs to hear about). Without a view (what changed
        is not in one, or the one held back is out of date), the room is read now."""
        if view is None:
            view = await self.rooms.view(room_id)
        with pubsub.batch(self.sio.manager):
            await self.sio.emit(
                "lobby", lobby_of(view), room=lobby_room(room_id), namespace=CLINICIAN_NS
            )
            if call_changed:
                snapshot = view.snapshot
                roster = self.calls.roster_of(room_id, snapshot.visits, snapshot.members)
                await self.to_call(roster, "roster", roster.to_wire())

    async def to_call(
        self, roster: Roster, event: str, payload: dict[str, Any], skip: str | None = None
    ) -> None:
        """Send to every participant of the call (clinicians through their call room): one
        emit per namespace, however many guests are in the call."""
        if not roster.members:
            return
        await self.sio.emit(event, payload, room=call_room(roster.room_id), namespace=CLINICIAN_NS)
        guests = [visit_room(peer_id) for peer_id in roster.guests() if peer_id != skip]
        if guests:
            await self.sio.emit(event, payload, room=guests, namespace=GUEST_NS)

    async def to_peer(
        self, room_id: str, target: Participant, event: str, payload: dict[str, Any]
    ) -> None:
        if target.kind == "guest":
            await self.sio.emit(event, payload, room=visit_room(target.peer_id), namespace=GUEST_NS)
        else:
            await self.sio.emit(
                event, payload, room=peer_room(room_id, target.peer_id), namespace=CLINICIAN_NS
            )


def lobby_of(view: RoomView) -> dict[str, Any]:
    return {
        "room_id": view.room_id,
        "visits": [lobby_entry(v) for v in view.snapshot.visits],
        "expected": [expected_entry(v) for v in view.expected()],
    }
