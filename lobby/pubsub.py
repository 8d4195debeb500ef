"""Socket.io's Redis manager, made to own its connections.

python-socketio's `AsyncRedisManager` builds a new Redis client each time it (re)connects
(first publish, listener start, every retry) and never closes the one it replaces, nor
anything at shutdown. This subclass keeps one client, tracks every pub/sub object it made,
and closes them all in `close()`. It also finds a socket's rooms from an index
(lobby/managers.py) instead of scanning every room on each disconnect.

Two changes cut Redis work per message:

- Publishes are queued and sent by one writer task, everything queued so far in one
  pipeline: a burst of signals costs one round trip instead of one each. Order is kept (one
  writer, first in first out). Inside `batch(manager)` a task's emits are held back and
  queued together when it ends: a lobby flush's lobby and roster emits are one round trip.
- Every instance receives its own publishes back; upstream decodes each before dropping
  it. Here an emit that ends with this instance's own `host_id` is dropped undecoded.
- An emit to one of this instance's own sockets (its sid) is not published at all: upstream
  publishes every emit, though no other instance can deliver to that socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import socketio

from lobby.managers import DirectDelivery, SidRoomsIndex

log = logging.getLogger("venterom.pubsub")

_held: ContextVar[list[str] | None] = ContextVar("venterom_pubsub_held", default=None)

MAX_QUEUED = 100_000
"""Messages waiting for Redis beyond this are dropped (oldest first), as upstream drops a
message it cannot publish."""


class OwnedRedisManager(
    SidRoomsIndex,
    socketio.AsyncRedisManager,  # type: ignore[misc]
    DirectDelivery,
):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pubsubs: list[Any] = []
        self._queued: list[str] = []
        self._writer: asyncio.Task[None] | None = None

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
        local = isinstance(target, str) and (namespace or "/", target) in self.sid_rooms
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
        # CPU during admissions on Redis): our packets never carry any (lobby/packets.py).
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
        self._queued.extend(messages)
        if len(self._queued) > MAX_QUEUED:
            del self._queued[: len(self._queued) - MAX_QUEUED]
            log.error("pub/sub messages dropped: Redis does not keep up")
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="venterom-pubsub-writer")

    async def _write(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            for attempt in (1, 2):
                try:
                    if not getattr(self, "connected", False):
                        self._redis_connect()
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for message in batch:
                            pipe.publish(self.channel, message)
                        await pipe.execute()
                    break
                except Exception as exc:
                    self.connected = False
                    if attempt == 2:
                        log.error(
                            "cannot publish to Redis; messages dropped",
                            extra={"messages": len(batch), "error": str(exc)},
                        )

    async def _listen(self) -> AsyncIterator[Any]:
        own = f'"host_id": "{self.host_id}"}}'.encode()
        async for message in super()._listen():
            if not _own_emit(message, own):
                yield message

    def _redis_connect(self) -> None:
        if self.redis is None:
            super()._redis_connect()
        else:
            self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            self.connected = True
        self._pubsubs.append(self.pubsub)

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await asyncio.shield(self._writer)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        for pubsub in self._pubsubs:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()


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
    """Publish the current task's emits in one pipeline when the block ends (a no-op for a
    manager without Redis)."""
    if not isinstance(manager, OwnedRedisManager) or _held.get() is not None:
        yield
        return
    held: list[str] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        manager._enqueue(held)


def _own_emit(message: object, own_suffix: bytes) -> bool:
    """An emit this instance published (upstream puts `host_id` last); never a callback,
    which carries the host id of the instance it is addressed to."""
    return (
        isinstance(message, bytes)
        and message.startswith(b'{"method": "emit"')
        and message.endswith(own_suffix)
    )
