"""Coalesced room updates: a burst of changes in one room becomes one send after `delay`.

A change is handed over with the room as it left it (a transition reads the room as it
saves); the newest wins, and the send needs no read. A change without one (a clinician
joined the call, the appointments changed) makes the send read the room. So does learning
that another instance saved in the room after the held view was read: that view is out of
date, and what this instance would send might reach clinicians after the other's newer one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from lobby.services.rooms import RoomView

log = logging.getLogger("venterom.feed")

Send = Callable[[str, bool, RoomView | None], Awaitable[None]]
"""send(room_id, call_changed, view): whether anything in the room's call changed, and
the room as the last change left it (None: read it)."""

MAX_SEEN = 10_000
"""Rooms whose latest sequence from other instances is kept (the oldest are dropped)."""


class RoomFeed:
    """Marks rooms dirty; after `delay` seconds, sends each dirty room once."""

    def __init__(self, send: Send, delay: float) -> None:
        self._send_room = send
        self._delay = delay
        self._pending: dict[str, asyncio.Task[None]] = {}
        """The send waiting for each dirty room."""
        self._running: set[asyncio.Task[None]] = set()
        """Every send task until it is done: `close` waits for them."""
        self._call_changed: set[str] = set()
        self._views: dict[str, RoomView | None] = {}
        self._seen: dict[str, int] = {}
        """Per room, the latest sequence number saved by another instance."""
        self._closed = False

    def touch(self, room_id: str, call: bool = False, view: RoomView | None = None) -> None:
        if self._closed:
            return
        if call:
            self._call_changed.add(room_id)
        if view is not None and view.sequence < self._seen.get(room_id, 0):
            view = None  # another instance's save is not in it
        if room_id not in self._pending:
            self._views[room_id] = view
            task = asyncio.create_task(self._send_later(room_id))
            self._pending[room_id] = task
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            return
        known = self._views.get(room_id)
        if view is None or known is None:
            # Something changed that no view shows: read the room at send time.
            self._views[room_id] = None
        elif view.sequence >= known.sequence:
            self._views[room_id] = view

    def saw(self, room_id: str, sequence: int) -> None:
        """Another instance saved in the room: a view held back from before is out of date."""
        if sequence <= self._seen.get(room_id, 0):
            return
        self._seen.pop(room_id, None)
        if len(self._seen) >= MAX_SEEN:
            del self._seen[next(iter(self._seen))]
        self._seen[room_id] = sequence
        held = self._views.get(room_id)
        if held is not None and held.sequence < sequence:
            self._views[room_id] = None

    def touch_later(self, room_id: str, seconds: float) -> None:
        """Send a room again after `seconds` (e.g. when a grace period runs out)."""
        if not self._closed:
            asyncio.get_running_loop().call_later(seconds, self.touch, room_id, True)

    async def close(self) -> None:
        """Stop taking changes and send what is waiting, at once: the changes an instance
        makes as it stops (its guests flagged reconnecting as they are let go) must reach
        the clinicians on the other instances. Call it before socket.io and the store close."""
        self._closed = True
        waiting = list(self._pending)
        for room_id in waiting:
            self._pending.pop(room_id).cancel()  # asleep until `delay`: sent below instead
        await asyncio.gather(*self._running, return_exceptions=True)
        for room_id in waiting:
            await self._send(room_id)
        self._views.clear()

    async def _send_later(self, room_id: str) -> None:
        await asyncio.sleep(self._delay)
        # Changes landing while we send are picked up by the next touch, not lost.
        del self._pending[room_id]
        await self._send(room_id)

    async def _send(self, room_id: str) -> None:
        view = self._views.pop(room_id, None)
        call = room_id in self._call_changed
        self._call_changed.discard(room_id)
        try:
            await self._send_room(room_id, call, view)
        except Exception:
            log.exception("room flush failed")
