"""Opt-in, in-process patches of the server that try a proposed product fix
(`python -m bench --experiment NAME`). They never run by default: the benchmarks measure
the product as it is; an experiment only gives the before/after of a proposal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def roster_batch() -> None:
    """RoomBroadcaster.to_call sends nothing for an empty call, and one emit to the list of
    the guests' rooms instead of one emit (one Redis PUBLISH) per guest."""
    from lobby.realtime import broadcast
    from lobby.realtime.common import CLINICIAN_NS, GUEST_NS, call_room, visit_room

    async def to_call(
        self: Any, roster: Any, event: str, payload: dict[str, Any], skip: str | None = None
    ) -> None:
        if not roster.members:
            return
        await self.sio.emit(event, payload, room=call_room(roster.room_id), namespace=CLINICIAN_NS)
        rooms = [visit_room(p) for p in roster.guests() if p != skip]
        if rooms:
            await self.sio.emit(event, payload, room=rooms, namespace=GUEST_NS)

    broadcast.RoomBroadcaster.to_call = to_call  # type: ignore[method-assign]


def sid_index() -> None:
    """python-socketio's manager finds a disconnecting socket's rooms from a per-socket
    index instead of copying and scanning every room of the namespace (one per guest)."""
    from socketio import base_manager

    manager = base_manager.BaseManager
    enter, leave = manager.basic_enter_room, manager.basic_leave_room

    def rooms_of(self: Any) -> dict[tuple[str, str], set[Any]]:
        index: dict[tuple[str, str], set[Any]] = self.__dict__.setdefault("bench_sid_rooms", {})
        return index

    def basic_enter_room(
        self: Any, sid: str, namespace: str, room: Any, eio_sid: Any = None
    ) -> Any:
        result = enter(self, sid, namespace, room, eio_sid=eio_sid)
        rooms_of(self).setdefault((namespace, sid), set()).add(room)
        return result

    def basic_leave_room(self: Any, sid: str, namespace: str, room: Any) -> Any:
        result = leave(self, sid, namespace, room)
        rooms = rooms_of(self).get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del rooms_of(self)[(namespace, sid)]
        return result

    def basic_disconnect(self: Any, sid: str, namespace: str, **kwargs: Any) -> None:
        if namespace not in self.rooms:
            return
        for room in list(rooms_of(self).get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if namespace in pending and sid in pending[namespace]:
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]

    manager.basic_enter_room = basic_enter_room
    manager.basic_leave_room = basic_leave_room
    manager.basic_disconnect = basic_disconnect


EXPERIMENTS: dict[str, Callable[[], None]] = {
    "roster-batch": roster_batch,
    "sid-index": sid_index,
}


def apply(names: Iterable[str]) -> list[str]:
    """Apply the named experiments (unknown names raise KeyError); return them."""
    applied = []
    for name in names:
        EXPERIMENTS[name]()
        applied.append(name)
    return applied
