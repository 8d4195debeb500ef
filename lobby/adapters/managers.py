"""Socket.io client managers that find a socket's rooms without scanning every room.

python-socketio's `BaseManager.basic_disconnect` copies the namespace's room table and tests
every room for the leaving socket: O(all sockets) per disconnect, since every socket has its
own room (Venterom guests have two). A wave of disconnects is then quadratic (bench/README.md,
"Why targets are missed", item 6). `SidRoomsIndex` keeps, per (namespace, sid), the rooms the
socket is in, updated where upstream changes `rooms` (`basic_enter_room`,
`basic_leave_room`, which also serve `close_room`, `disconnect` and the Redis manager's
messages from other instances), and uses it in `basic_disconnect`, which otherwise does
exactly what upstream does (python-socketio 5.x).

`DirectDelivery` hands an emit to its local recipients without a task each. Upstream
creates one task per recipient and waits for them all, but each task only appends the
packet to the socket's unbounded send queue, which never waits: a roster to ten sockets
cost ten tasks, their contexts and coroutines, and ten loop iterations (bench/README.md).
What this relies on, and `VENTEROM_UPSTREAM=managers` for upstream's managers:
docs/upstream.md.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet
from socketio.base_manager import BaseManager

log = logging.getLogger("venterom.realtime")


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


class DirectDelivery(socketio.AsyncManager):  # type: ignore[misc]
    """Local delivery of an emit without a task per recipient. Put it after the pub/sub
    manager in the bases, so that the pub/sub layer's local delivery resolves to it."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:  # each recipient needs its own ack id: upstream's way
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        namespace = namespace or "/"
        if namespace not in self.rooms:
            return
        skipped = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *_arguments(data)]
        ).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for sid, eio_sid in self.get_participants(namespace, to or room):
            if sid in skipped:
                continue
            try:
                for part in packets:
                    await self.server._send_eio_packet(eio_sid, part)
            except Exception:  # one recipient's failure must not cost the others theirs
                log.exception("emit to one socket failed", extra={"event": event})


def _arguments(data: Any) -> list[Any]:
    """An emit's arguments as upstream reads them: a tuple is several, None is none."""
    if isinstance(data, tuple):
        return list(data)
    return [] if data is None else [data]


class IndexedManager(SidRoomsIndex, DirectDelivery):
    """The in-process manager (memory store: one instance)."""
