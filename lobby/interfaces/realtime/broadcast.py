"""Outgoing messages: visit changes, notices, lobby snapshots, rosters and relayed signals.

Every emit goes through socket.io's client manager, so it reaches sockets on any instance.
Recipients are computed from the store at send time, never from socket.io's room lists
(which only know this instance's sockets).
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from lobby.adapters import pubsub
from lobby.adapters.presence.store import Announcement, Notice, RoomSnapshot
from lobby.domain.model import CALL_STATES, Visit
from lobby.interfaces.realtime.common import (
    CLINICIAN_NS,
    GUEST_NS,
    LocalConnections,
    call_room,
    lobby_room,
    notice_view,
    peer_room,
    visit_room,
)
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.interfaces.wire import expected_entry, guest_view, lobby_entry
from lobby.services.calls import CallService
from lobby.services.lobby import LobbyService
from signaling.policy import Participant, Roster


class SocketPublisher:
    """Implements `service.Publisher`: the guest hears at once; rooms are flushed in batches.

    With a pub/sub manager (several instances), the guest's update is handed to the store,
    which publishes it in the same step as the save; here it is then delivered to this
    instance's sockets only."""

    def __init__(
        self, sio: socketio.AsyncServer, feed: RoomFeed, connections: LocalConnections
    ) -> None:
        self._sio = sio
        self._feed = feed
        self._connections = connections

    def announcements(self, after: Visit) -> list[Announcement]:
        manager = self._sio.manager
        if not isinstance(manager, AsyncPubSubManager):
            return []
        return [
            (
                manager.channel,
                pubsub_emit(
                    manager, "visit", guest_view(after), GUEST_NS, visit_room(after.visit_id)
                ),
            )
        ]

    async def visit_changed(
        self,
        before: Visit | None,
        after: Visit,
        room: RoomSnapshot | None = None,
        announced: bool = False,
    ) -> None:
        held = self._connections.snapshots
        if after.visit_id in held:
            # What this instance would write back if Redis lost it: the visit as saved now
            # (an admission by a clinician here), not as the guest last acted.
            held[after.visit_id] = after
        await self._sio.emit(
            "visit",
            guest_view(after),
            room=visit_room(after.visit_id),
            namespace=GUEST_NS,
            ignore_queue=announced,
        )
        self._feed.touch(after.room_id, call=_touches_call(before, after), snapshot=room)

    async def notice_sent(self, room_id: str, notice: Notice, visit_ids: list[str]) -> None:
        if visit_ids:
            rooms = [visit_room(visit_id) for visit_id in visit_ids]
            await self._sio.emit("notice", notice_view(notice), room=rooms, namespace=GUEST_NS)
        self._feed.touch(room_id)

    async def call_changed(self, room_id: str) -> None:
        self._feed.touch(room_id, call=True)

    def schedule_changed(self, room_id: str) -> None:
        self._feed.touch(room_id)

    async def device_replaced(self, visit_id: str) -> None:
        await self._sio.emit("replaced", {}, room=visit_room(visit_id), namespace=GUEST_NS)


def pubsub_emit(
    manager: AsyncPubSubManager,
    event: str,
    data: dict[str, Any],
    namespace: str,
    room: str,
) -> str:
    """The message python-socketio's pub/sub manager publishes for `emit` (see
    `AsyncPubSubManager.emit`), so that another process can publish it for us."""
    message = pubsub.emit_message(manager.host_id, event, data, namespace, room)
    return str(manager.json.dumps(message))


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
        self.calls = calls

    async def lobby(self, room_id: str) -> dict[str, Any]:
        """The lobby a clinician asked for (on connecting, or by request): read afresh."""
        return await self.lobby_of(await self.service.room_snapshot(room_id, fresh=True))

    async def lobby_of(self, snapshot: RoomSnapshot) -> dict[str, Any]:
        return {
            "room_id": snapshot.room_id,
            "visits": [lobby_entry(v) for v in snapshot.visits],
            "expected": [expected_entry(v) for v in await self.service.expected(snapshot)],
        }

    async def flush(
        self, room_id: str, call_changed: bool = True, snapshot: RoomSnapshot | None = None
    ) -> None:
        """The lobby always; the roster only when the call changed (most lobby traffic is
        arrivals, which nobody in a call needs to hear about)."""
        if snapshot is None or await self.service.store.room_changed_since(
            room_id, snapshot.sequence
        ):  # another instance changed the room since: what this one saw is out of date
            snapshot = await self.service.room_snapshot(room_id)
        with pubsub.batch(self.sio.manager):
            await self.sio.emit(
                "lobby",
                await self.lobby_of(snapshot),
                room=lobby_room(room_id),
                namespace=CLINICIAN_NS,
            )
            if call_changed:
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
