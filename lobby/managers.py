"""Socket.io client managers that find a socket's rooms without scanning every room.

python-socketio's `BaseManager.basic_disconnect` copies the namespace's room table and tests
every room for the leaving socket: O(all sockets) per disconnect, since every socket has its
own room (Venterom guests have two). A wave of disconnects is then quadratic (bench/README.md,
"Why targets are missed", item 6). `SidRoomsIndex` keeps, per (namespace, sid), the rooms the
socket is in, updated where upstream changes `rooms` (`basic_enter_room`,
`basic_leave_room`, which also serve `close_room`, `disconnect` and the Redis manager's
messages from other instances), and uses it in `basic_disconnect`, which otherwise does
exactly what upstream does (python-socketio 5.x).
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio.base_manager import BaseManager


class SidRoomsIndex(BaseManager):  # type: ignore[misc]
    """Mixin: put it before the socket.io manager class in the bases."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sid_rooms: dict[tuple[str, str], set[Any]] = {}
        """(namespace, sid) -> the rooms (`None` and the sid's own room included) it is in."""

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # may raise: not indexed
        self.sid_rooms.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        key = (namespace, sid)
        rooms = self.sid_rooms.get(key)
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self.sid_rooms[key]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        if namespace not in self.rooms:
            return
        for room in list(self.sid_rooms.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        if sid in self.callbacks:
            del self.callbacks[sid]
        for pending in (self.pending_connect, self.pending_disconnect):
            if namespace in pending and sid in pending[namespace]:
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]


class IndexedManager(SidRoomsIndex, socketio.AsyncManager):  # type: ignore[misc]
    """The in-process manager (memory store: one instance)."""
