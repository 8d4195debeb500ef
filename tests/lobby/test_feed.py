"""The room feed: bursts coalesce into one flush, and closing leaves nothing running."""

from __future__ import annotations

import asyncio

from lobby.adapters.presence.store import RoomSnapshot
from lobby.interfaces.realtime.feed import RoomFeed


async def test_a_burst_of_changes_is_one_flush() -> None:
    flushed: list[tuple[str, bool]] = []

    async def flush(room_id: str, call: bool, snapshot: RoomSnapshot | None) -> None:
        flushed.append((room_id, call))

    feed = RoomFeed(flush, 0.01)
    for _ in range(5):
        feed.touch("r1")
    feed.touch("r1", call=True)
    feed.touch("r2")
    await asyncio.sleep(0.1)
    assert sorted(flushed) == [("r1", True), ("r2", False)]
    await feed.close()


async def test_close_waits_for_a_flush_that_is_already_sending() -> None:
    """A flush under way when the server stops finishes before close returns: after,
    the store and socket.io close (it once opened a Redis connection nobody closed)."""
    sending, started, finished = asyncio.Event(), [], []

    async def flush(room_id: str, call: bool, snapshot: RoomSnapshot | None) -> None:
        started.append(room_id)
        sending.set()
        await asyncio.sleep(0.2)
        finished.append(room_id)

    feed = RoomFeed(flush, 0.0)
    feed.touch("r1")
    await asyncio.wait_for(sending.wait(), 5)
    await asyncio.wait_for(feed.close(), 5)
    assert finished == ["r1"]
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    feed.touch("r1")
    await asyncio.sleep(0.05)
    assert started == ["r1"], "nothing flushes after close"


async def test_close_sends_what_waits_for_its_delay_at_once() -> None:
    """An instance that stops flags its guests reconnecting as it lets them go: those
    changes must still reach the clinicians (on the other instances), not die with it."""
    flushed: list[tuple[str, bool]] = []

    async def flush(room_id: str, call: bool, snapshot: RoomSnapshot | None) -> None:
        flushed.append((room_id, call))

    feed = RoomFeed(flush, 60.0)
    feed.touch("r1", call=True)
    feed.touch("r2")
    await asyncio.wait_for(feed.close(), 1)
    assert sorted(flushed) == [("r1", True), ("r2", False)]
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
