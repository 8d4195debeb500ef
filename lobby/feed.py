"""Coalesced room updates: a burst of changes in one room becomes one flush after `delay`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("venterom.feed")

Flush = Callable[[str, bool], Awaitable[None]]
"""flush(room_id, call_changed): the flag says whether anything in the room's call changed."""


class RoomFeed:
    """Marks rooms dirty; after `delay` seconds, flushes each dirty room once."""

    def __init__(self, flush: Flush, delay: float) -> None:
        self._flush = flush
        self._delay = delay
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._call_changed: set[str] = set()
        self._closed = False

    def touch(self, room_id: str, call: bool = False) -> None:
        if call:
            self._call_changed.add(room_id)
        if room_id not in self._pending and not self._closed:
            self._pending[room_id] = asyncio.create_task(self._flush_later(room_id))

    def touch_later(self, room_id: str, seconds: float) -> None:
        """Flush a room again after `seconds` (e.g. when a grace period runs out)."""
        if not self._closed:
            asyncio.get_running_loop().call_later(seconds, self.touch, room_id, True)

    async def close(self) -> None:
        self._closed = True
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pending.clear()

    async def _flush_later(self, room_id: str) -> None:
        try:
            await asyncio.sleep(self._delay)
            # Changes landing while we read are picked up by the next touch, not lost.
            del self._pending[room_id]
            call = room_id in self._call_changed
            self._call_changed.discard(room_id)
            await self._flush(room_id, call)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("room flush failed")
