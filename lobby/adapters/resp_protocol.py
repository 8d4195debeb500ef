"""One open connection to Redis speaking RESP2: commands written, replies handed back in order.

The protocol under `lobby.adapters.resp`'s connections and subscribers. A hiredis parser
reads the replies, decoded as UTF-8, with redis-py's exception classes; each reply goes to
the caller next in line (Redis answers in order), a Redis error reply to its own caller
only. A protocol error, a lost connection or one that leaves a command unanswered for its
timeout fails every caller waiting on it with redis-py's `ConnectionError`/`TimeoutError`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, cast

import hiredis
from redis.exceptions import (
    AuthenticationError,
    ConnectionError,
    InvalidResponse,
    NoScriptError,
    RedisError,
    ResponseError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

Command = tuple[Any, ...]
Queued = tuple[Command, "asyncio.Future[Any]", bytes]
"""A command, its caller's future, and the command packed for the wire."""

_ERRORS: dict[str, type[RedisError]] = {
    "NOSCRIPT": NoScriptError,
    "NOAUTH": AuthenticationError,
    "WRONGPASS": AuthenticationError,
}


def _reply_error(message: str) -> RedisError:
    return _ERRORS.get(message.split(" ", 1)[0], ResponseError)(message)


class RespProtocol(asyncio.Protocol):
    """One open connection: writes commands, hands each reply to the caller next in line."""

    def __init__(
        self,
        timeout: float,
        on_message: Callable[[str], None] | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._timeout = timeout
        self._on_message = on_message
        self._on_lost = on_lost
        self._parser = hiredis.Reader(
            protocolError=InvalidResponse, replyError=_reply_error, encoding="utf-8"
        )
        self._waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self._transport: asyncio.Transport | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not isinstance: uvloop's transports have the interface but not the base class.
        self._transport = cast(asyncio.Transport, transport)
        self.open = True

    def write(self, batch: Sequence[Queued]) -> None:
        assert self._transport is not None
        self._transport.write(b"".join(packed for _, _, packed in batch))
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        self._waiting.extend((future, sent_at) for _, future, _ in batch)
        if self._watchdog is None:
            self._watchdog = loop.call_at(sent_at + self._timeout, self._check_answered)

    def request(self, *command: Any) -> asyncio.Future[Any]:
        """Write one command now; its reply, to come."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.write([(command, future, hiredis.pack_command(command))])
        return future

    def data_received(self, data: bytes) -> None:
        self._parser.feed(data)
        try:
            while (reply := self._parser.gets()) is not False:
                if self._on_message is not None and _is_message(reply):
                    self._on_message(reply[2])
                    continue
                if not self._waiting:
                    raise InvalidResponse("Redis sent a reply nobody asked for")
                future, _ = self._waiting.popleft()
                if future.done():  # its caller gave up
                    continue
                if isinstance(reply, RedisError):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        except InvalidResponse as exc:
            self._fail(ConnectionError(f"Redis protocol error: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._fail_waiting(ConnectionError("Connection to Redis lost"))
        if self._on_lost is not None:
            self._on_lost()

    def close(self) -> None:
        """Close at once; callers still waiting are cancelled."""
        self.open = False
        self._fail_waiting(None)
        if self._transport is not None:
            self._transport.close()

    def _check_answered(self) -> None:
        self._watchdog = None
        if not self._waiting:
            return
        loop = asyncio.get_running_loop()
        deadline = self._waiting[0][1] + self._timeout
        if loop.time() < deadline:
            self._watchdog = loop.call_at(deadline, self._check_answered)
            return
        self._fail(RedisTimeoutError(f"Redis did not answer within {self._timeout:g} s"))

    def _fail(self, error: RedisError) -> None:
        self.open = False
        self._fail_waiting(error)
        if self._transport is not None:
            self._transport.abort()

    def _fail_waiting(self, error: RedisError | None) -> None:
        """Every caller still waiting gets `error`, or is cancelled if there is none."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        waiting, self._waiting = self._waiting, deque()
        for future, _ in waiting:
            if future.done():
                continue
            if error is None:
                future.cancel()
            else:
                future.set_exception(error)


def _is_message(reply: Any) -> bool:
    """A message pushed to a subscriber (as opposed to the reply to a command)."""
    return type(reply) is list and len(reply) == 3 and reply[0] == "message"
