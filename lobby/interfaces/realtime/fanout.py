"""Implements the services' `Fanout`: the guest hears at once; rooms go out in batches.

A save on this instance is told to this instance's sockets only: every other instance hears
the store's change record (`PresenceStore.changes`) and tells its own (`saved_elsewhere`).
A room's lobby and roster are sent by the instance that changed it, to every instance's
clinicians, through socket.io's manager (lobby/interfaces/realtime/broadcast.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import socketio

from lobby.adapters.presence.store import Notice, VisitSaved
from lobby.domain.model import CALL_STATES, Visit
from lobby.interfaces.realtime.common import GUEST_NS, LocalConnections, notice_view, visit_room
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.interfaces.wire import guest_view
from lobby.services.fanout import VisitChange
from lobby.services.rooms import RoomView

log = logging.getLogger("venterom.realtime")


class SocketFanout:
    def __init__(
        self, sio: socketio.AsyncServer, feed: RoomFeed, connections: LocalConnections
    ) -> None:
        self._sio = sio
        self._feed = feed
        self._connections = connections

    async def visit_saved(self, change: VisitChange) -> None:
        after = change.after
        await self._to_guest(after)
        self._feed.touch(after.room_id, call=_touches_call(change.before, after), view=change.room)

    async def saved_elsewhere(self, saved: VisitSaved) -> None:
        """Another instance saved a visit: its guest may be connected here, and a room
        update this instance holds back may now be out of date."""
        await self._to_guest(saved.visit)
        self._feed.saw(saved.visit.room_id, saved.sequence)

    async def follow(self, changes: AsyncIterator[VisitSaved]) -> None:
        """Hand on other instances' change records until `changes` ends (the store closed).
        One record that cannot be handed on costs only itself, not the ones after it."""
        async for saved in changes:
            try:
                await self.saved_elsewhere(saved)
            except Exception:
                log.exception("change record not handed on", extra={"room": saved.visit.room_id})

    async def notice_sent(self, room: RoomView, notice: Notice, visit_ids: list[str]) -> None:
        if visit_ids:
            rooms = [visit_room(visit_id) for visit_id in visit_ids]
            await self._sio.emit("notice", notice_view(notice), room=rooms, namespace=GUEST_NS)
        self._feed.touch(room.room_id, view=room)

    def room_changed(self, room_id: str, call: bool = False) -> None:
        self._feed.touch(room_id, call=call)

    async def device_replaced(self, visit_id: str) -> None:
        await self._sio.emit("replaced", {}, room=visit_room(visit_id), namespace=GUEST_NS)

    async def _to_guest(self, visit: Visit) -> None:
        """Tell the visit's guest, if connected to this instance (otherwise the instance it
        is connected to does, from the change record)."""
        if visit.visit_id not in self._connections:
            return
        held = self._connections.snapshots
        if visit.visit_id in held:
            # What this instance would write back if Redis lost it: the visit as saved now
            # (an admission by a clinician), not as the guest last acted.
            held[visit.visit_id] = visit
        await self._sio.emit(
            "visit",
            guest_view(visit),
            room=visit_room(visit.visit_id),
            namespace=GUEST_NS,
            ignore_queue=True,  # the other instances hear the store's change record
        )


def _touches_call(before: Visit | None, after: Visit) -> bool:
    """Whether the roster may differ: the visit is, or was, in the call."""
    return after.state in CALL_STATES or (before is not None and before.state in CALL_STATES)
