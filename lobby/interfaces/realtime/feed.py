"""Coalesced room updates: a burst of changes in one room becomes one flush after `delay`.

A change that comes with a snapshot of the room (a transition reads the room as it saves)
lets the flush send the lobby without reading the store again; the newest snapshot wins. A
change without one (a clinician joined the call, a notice) makes the flush read the room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from lobby.adapters.presence.store import RoomSnapshot

log = logging.getLogger("venterom.feed")

Flush = Callable[[str, bool, RoomSnapshot | None], Awaitable[None]]
"""flush(room_id, call_changed, snapshot): whether anything in the room's call changed, and
the room as the last change left it (None: read it)."""


class RoomFeed:
    """Marks rooms dirty; after `delay` seconds, flushes each dirty room once."""

    def __init__(self, flush: Flush, delay: float) -> None:
        self._flush = flush
        self._delay = delay
        self._pending: dict[str, asyncio.Task[None]] = {}
        """The flush waiting for each dirty room."""
        self._running: set[asyncio.Task[None]] = set()
        """Every flush task until it is done, sending ones too: `close` waits for them."""
        self._call_changed: set[str] = set()
        self._snapshots: dict[str, RoomSnapshot | None] = {}
        self._closed = False

    def touch(self, room_id: str, call: bool = False, snapshot: RoomSnapshot | None = None) -> None:
        if self._closed:
            return
        if call:
            self._call_changed.add(room_id)
        if room_id not in self._pending:
            self._snapshots[room_id] = snapshot
            task = asyncio.create_task(self._flush_later(room_id))
            self._pending[room_id] = task
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        else:
            known = self._snapshots.get(room_id)
            if snapshot is None or known is None:
                # Something changed that no snapshot shows: read the room at flush time.
                self._snapshots[room_id] = None
            elif snapshot.sequence >= known.sequence:
                self._snapshots[room_id] = snapshot

    def touch_later(self, room_id: str, seconds: float) -> None:
        """Flush a room again after `seconds` (e.g. when a grace period runs out)."""
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
        self._snapshots.clear()

    async def _flush_later(self, room_id: str) -> None:
        await asyncio.sleep(self._delay)
        # Changes landing while we send are picked up by the next touch, not lost.
        del self._pending[room_id]
        await self._send(room_id)

    async def _send(self, room_id: str) -> None:
        snapshot = self._snapshots.pop(room_id, None)
        call = room_id in self._call_changed
        self._call_changed.discard(room_id)
        try:
            await self._flush(room_id, call, snapshot)
        except Exception:
            log.exception("room flush failed")
