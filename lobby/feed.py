"""Coalesced lobby updates: a burst of changes in one room becomes one snapshot per clinician."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from lobby.presence.store import PresenceStore
from lobby.wire import lobby_entry

log = logging.getLogger("venterom.feed")

Emit = Callable[[str, dict[str, object]], Awaitable[None]]


class LobbyFeed:
    """Marks rooms dirty and, after `delay` seconds, emits one fresh snapshot per room."""

    def __init__(self, store: PresenceStore, emit: Emit, delay: float) -> None:
        self._store = store
        self._emit = emit
        self._delay = delay
        self._pending: dict[str, asyncio.Task[None]] = {}

    def touch(self, room_id: str) -> None:
        if room_id not in self._pending:
            self._pending[room_id] = asyncio.create_task(self._flush_later(room_id))

    async def snapshot(self, room_id: str) -> dict[str, object]:
        visits = await self._store.room_visits(room_id)
        return {"room_id": room_id, "visits": [lobby_entry(v) for v in visits]}

    async def close(self) -> None:
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
            await self._emit(room_id, await self.snapshot(room_id))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lobby snapshot failed")
