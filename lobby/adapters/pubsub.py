"""Socket.io's Redis manager, on connections it owns.

python-socketio's `AsyncRedisManager` builds a new Redis client each time it (re)connects
(first publish, listener start, every retry) and never closes the one it replaces, nor
anything at shutdown. This subclass publishes and listens over two connections of its own
(lobby/adapters/resp.py) and closes both in `close()`. It also finds a socket's rooms from an index
(lobby/adapters/managers.py) instead of scanning every room on each disconnect.

Three changes cut Redis work per message:

- Publishes go out over a pipelined connection, without waiting for replies: everything
  published in one turn of the event loop is one write, so a burst of signals costs one
  round trip instead of one each, and order is kept. Inside `batch(manager)` a task's emits
  are held back and published together when it ends: a lobby flush's lobby and roster
  emits are one round trip. redis-py's command path cost four times as much CPU per
  publish, and its pub/sub reader as much again per message received.
- Every instance receives its own publishes back; upstream decodes each before dropping
  it. Here an emit that ends with this instance's own `host_id` is dropped undecoded.
- An emit to one of this instance's own sockets (its sid) is not published at all: upstream
  publishes every emit, though no other instance can deliver to that socket.

What this relies on, and `VENTEROM_UPSTREAM=pubsub` for upstream's manager: docs/upstream.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import socketio

from lobby.adapters.managers import DirectDelivery, SidRoomsIndex
from lobby.adapters.resp import RespConnection, Subscriber
from lobby.adapters.subscription import resubscribing

log = logging.getLogger("venterom.pubsub")

_held: ContextVar[list[str] | None] = ContextVar("venterom_pubsub_held", default=None)

CLOSE_WAIT = 2.0
"""Seconds `close()` waits for publishes still on their way."""


class OwnedPubSub(socketio.AsyncRedisManager):  # type: ignore[misc]
    """The Redis manager's I/O on connections of its own (overrides `_publish` and `_listen`,
    calls `_handle_emit`: docs/upstream.md, `pubsub`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._publisher: RespConnection | None = None
        self._last_publish: asyncio.Future[Any] | None = None
        self._dropped = 0
        self._closed = False

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
        target = to or room
        local = (
            isinstance(target, str) and self.eio_sid_from_sid(target, namespace or "/") is not None
        )
        if local and callback is None:
            # One of this instance's own sockets: no other instance could deliver it.
            kwargs["ignore_queue"] = True
        if callback is not None or kwargs.get("ignore_queue"):
            await super().emit(
                event,
                data,
                namespace=namespace,
                room=target,
                skip_sid=skip_sid,
                callback=callback,
                **kwargs,
            )
            return
        # Upstream's emit, without its scan of every payload for bytes (4 % of the server's
        # CPU during admissions on Redis): our packets never carry any
        # (lobby/interfaces/realtime/packets.py).
        message = emit_message(self.host_id, event, data, namespace or "/", target, skip_sid)
        await self._handle_emit(message)  # this instance's sockets
        await self._publish(message)  # the others'

    async def _publish(self, data: Any) -> None:
        message = self.json.dumps(data)
        held = _held.get()
        if held is not None:
            held.append(message)
        else:
            self._enqueue([message])

    def _enqueue(self, messages: list[str]) -> None:
        if not messages:
            return
        if self._closed:
            # Shutting down: a late emit must not open a connection that nobody closes.
            log.debug("publish after close dropped", extra={"messages": len(messages)})
            return
        if self._publisher is None:
            self._publisher = RespConnection.from_url(self.redis_url, **self.redis_options)
        for message in messages:
            published = self._publisher.send("PUBLISH", self.channel, message)
            published.add_done_callback(self._published)
        self._last_publish = published

    def _published(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is None:
            return
        # Dropped, as upstream drops a message it cannot publish; one line per burst.
        if not self._dropped:
            asyncio.get_running_loop().call_soon(self._report_dropped, future.exception())
        self._dropped += 1

    def _report_dropped(self, error: BaseException | None) -> None:
        log.error(
            "cannot publish to Redis; messages dropped",
            extra={"messages": self._dropped, "error": str(error)},
        )
        self._dropped = 0

    async def _listen(self) -> AsyncIterator[str]:
        """Other instances' messages, subscribed again (after 1, 2, 4 ... 60 s) whenever the
        connection is lost, as upstream does."""
        own = own_emit_markers(self.json, self.host_id)
        subscriber = Subscriber.from_url(self.redis_url, self.channel, **self.redis_options)
        async for message in resubscribing(subscriber.messages, self.channel):
            if not _own_emit(message, own):
                yield message

    async def close(self) -> None:
        self._closed = True
        if self._last_publish is not None:
            # Replies come in order: when the last publish is answered, all of them are.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_WAIT):
                    await asyncio.shield(self._last_publish)
        if self._publisher is not None:
            await self._publisher.close()
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener


class OwnedRedisManager(SidRoomsIndex, OwnedPubSub, DirectDelivery):
    """The Redis manager with every override (lobby/adapters/managers.py and the above)."""


class IndexedRedisManager(
    SidRoomsIndex,
    socketio.AsyncRedisManager,  # type: ignore[misc]
    DirectDelivery,
):
    """Upstream's Redis manager I/O with lobby/adapters/managers.py's bookkeeping (`pubsub` off)."""


async def close_manager(manager: object) -> None:
    """Close a Redis manager, ours or upstream's. Upstream's has no `close()`: its listener
    task is cancelled and the last Redis client it made is closed (those it replaced on a
    reconnection stay open: docs/upstream.md, `pubsub`)."""
    if isinstance(manager, OwnedPubSub):
        await manager.close()
        return
    if not isinstance(manager, socketio.AsyncRedisManager):
        return
    listener = getattr(manager, "thread", None)
    if isinstance(listener, asyncio.Task):
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener
    for client in (manager.pubsub, manager.redis):
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()


def emit_message(
    host_id: str, event: str, data: Any, namespace: str, room: Any, skip_sid: Any = None
) -> dict[str, Any]:
    """The message python-socketio's pub/sub manager publishes for an emit without a
    callback and without bytes (`AsyncPubSubManager.emit`); `host_id` must stay last
    (`_own_emit`)."""
    return {
        "method": "emit",
        "event": event,
        "data": list(data) if isinstance(data, tuple) else [data],
        "binary": False,
        "namespace": namespace,
        "room": room,
        "skip_sid": skip_sid,
        "callback": None,
        "host_id": host_id,
    }


@contextlib.contextmanager
def batch(manager: object) -> Iterator[None]:
    """Publish the current task's emits in one write when the block ends, whatever the
    task awaits meanwhile (a no-op for a manager without Redis)."""
    if not isinstance(manager, OwnedPubSub) or _held.get() is not None:
        yield
        return
    held: list[str] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        manager._enqueue(held)


def own_emit_markers(encoder: Any, host_id: str) -> tuple[str, str]:
    """How this instance's own emits begin and end, as its JSON encoder writes them (the
    server's is compact: `{"method":"emit"`, the standard library's has spaces)."""
    return encoder.dumps({"method": "emit"})[:-1], encoder.dumps({"host_id": host_id})[1:]


def _own_emit(message: str, own: tuple[str, str]) -> bool:
    """An emit this instance published (upstream puts `host_id` last); never a callback,
    which carries the host id of the instance it is addressed to."""
    head, tail = own
    return message.startswith(head) and message.endswith(tail)
