"""The room feed: bursts coalesce into one flush, closing leaves nothing running, and a view
another instance's save made out of date is never sent."""

from __future__ import annotations

import asyncio

from lobby.adapters.presence.store import RoomSnapshot
from lobby.interfaces.realtime.feed import RoomFeed
from lobby.services.rooms import RoomView


async def test_a_burst_of_changes_is_one_flush() -> None:
    flushed: list[tuple[str, bool]] = []

    async def flush(room_id: str, call: bool, view: RoomView | None) -> None:
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

    async def flush(room_id: str, call: bool, view: RoomView | None) -> None:
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

    async def flush(room_id: str, call: bool, view: RoomView | None) -> None:
        flushed.append((room_id, call))

    feed = RoomFeed(flush, 60.0)
    feed.touch("r1", call=True)
    feed.touch("r2")
    await asyncio.wait_for(feed.close(), 1)
    assert sorted(flushed) == [("r1", True), ("r2", False)]
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]


def view(room_id: str, sequence: int) -> RoomView:
    return RoomView(RoomSnapshot(room_id, [], [], {}, sequence))


async def test_the_newest_view_is_sent_without_a_read() -> None:
    sent: list[RoomView | None] = []

    async def send(room_id: str, call: bool, held: RoomView | None) -> None:
        sent.append(held)

    feed = RoomFeed(send, 0.01)
    newest = view("r1", 7)
    feed.touch("r1", view=view("r1", 5))
    feed.touch("r1", view=newest)
    feed.touch("r1", view=view("r1", 6))  # a slower save's reply, older
    await asyncio.sleep(0.1)
    assert sent == [newest]
    await feed.close()


async def test_a_view_older_than_another_instances_save_is_read_again() -> None:
    """Another instance saved in the room after this one read it (its change record said
    so): this instance's view misses that save, and sending it after the other's newer
    lobby would show clinicians the past. The send reads the room instead (None)."""
    sent: list[tuple[str, RoomView | None]] = []

    async def send(room_id: str, call: bool, held: RoomView | None) -> None:
        sent.append((room_id, held))

    feed = RoomFeed(send, 0.05)
    feed.touch("r1", view=view("r1", 5))
    feed.touch("r2", view=view("r2", 9))
    feed.saw("r1", 6)  # newer than r1's view
    feed.saw("r2", 8)  # older than r2's: r2's view has that save in it
    feed.saw("r3", 4)  # no update waiting there
    await asyncio.sleep(0.2)
    assert sorted(sent, key=lambda s: s[0]) == [("r1", None), ("r2", view("r2", 9))]

    sent.clear()
    feed.touch("r3", view=view("r3", 3))  # read before r3's save at 4 was heard of
    feed.touch("r3", call=True, view=view("r3", 4))  # this one has it
    await asyncio.sleep(0.2)
    assert sent == [("r3", None)], "a view once known stale is not trusted again"
    await feed.close()
