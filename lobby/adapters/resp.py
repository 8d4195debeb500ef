"""Pipelined connections to Redis for the hot paths: the presence store's commands, and
socket.io's publishes and subscription.

Every visit change is one script call, and a join storm makes thousands of them. Through
redis-py's command path each call costs 200 to 300 µs of CPU on a small machine (a pooled
connection, a retry wrapper, a read timeout, metrics hooks), four times the work of writing
the command and parsing the reply. Here a connection is an asyncio protocol with a hiredis
parser (`RespProtocol`, lobby/adapters/resp_protocol.py): commands issued in the same turn
of the event loop are written together, replies are matched to callers in order, and
nothing waits for a previous reply before writing (Redis answers in order; that is what
pipelining is). A `Subscriber` is the same protocol with messages pushed to it.

A Redis error reply goes to its own caller only; a lost, refused or silent connection fails
every caller waiting on it with redis-py's `ConnectionError`/`TimeoutError`, and the next
command connects again. Replies are RESP2, decoded as UTF-8. URLs are redis-py's:
``redis://``, ``rediss://`` (certificate checked) and ``unix://``, with a user, password
and database.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import hiredis
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError, NoScriptError

from lobby.adapters.resp_protocol import Queued, RespProtocol

DEFAULT_TIMEOUT = 5.0
"""Seconds a connection may leave a command unanswered before it counts as dead."""

KEEPALIVE = 10.0
"""Seconds a subscriber's connection may be silent before it is pinged."""


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect: what a redis-py pool's URL said."""

    host: str = "localhost"
    port: int = 6379
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None
    connect_timeout: float = DEFAULT_TIMEOUT
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def of(cls, pool: ConnectionPool) -> Endpoint:
        kwargs = pool.connection_kwargs
        tls = None
        if issubclass(pool.connection_class, SSLConnection):
            tls = pool.connection_class(**kwargs).ssl_context.get()
        timeout = kwargs.get("socket_timeout") or DEFAULT_TIMEOUT
        return cls(
            host=str(kwargs.get("host", "localhost")),
            port=int(kwargs.get("port", 6379)),
            path=kwargs.get("path")
            if issubclass(pool.connection_class, UnixDomainSocketConnection)
            else None,
            db=int(kwargs.get("db", 0)),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            tls=tls,
            connect_timeout=float(kwargs.get("socket_connect_timeout") or timeout),
            timeout=float(timeout),
        )

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Endpoint:
        """Where a redis-py URL (and its options) point."""
        return cls.of(ConnectionPool.from_url(url, **options))

    def __str__(self) -> str:
        return self.path or f"{self.host}:{self.port}"


class RespConnection:
    """Commands to one Redis over one pipelined connection, (re)connected when needed."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._protocol: RespProtocol | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._outgoing: list[Queued] = []
        self._flush_pending = False
        self._closed = False

    @classmethod
    def of(cls, pool: ConnectionPool) -> RespConnection:
        return cls(Endpoint.of(pool))

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RespConnection:
        return cls(Endpoint.from_url(url, **options))

    async def execute(self, *command: Any) -> Any:
        """One command's reply, as RESP2 with strings decoded."""
        return await self.send(*command)

    def send(self, *command: Any) -> asyncio.Future[Any]:
        """Queue a command for this turn of the event loop's write; its reply, to come.
        An argument Redis cannot take (not str, bytes, int or float) raises `TypeError`
        here, in its own caller."""
        packed = hiredis.pack_command(command)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._closed:
            future.set_exception(ConnectionError("This Redis connection is closed"))
            return future
        self._outgoing.append((command, future, packed))
        if not self._flush_pending:
            self._flush_pending = True
            loop.call_soon(self._flush)
        return future

    async def run_script(
        self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> Any:
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return await self.execute(*command)
        except NoScriptError:
            # Redis restarted (or its scripts were flushed) since the script was loaded.
            await self.execute("SCRIPT", "LOAD", script.script)
            return await self.execute(*command)

    async def close(self) -> None:
        """Close the connection; callers still waiting get `CancelledError`."""
        self._closed = True
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        outgoing, self._outgoing = self._outgoing, []
        for _, future, _ in outgoing:
            future.cancel()
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None

    def _flush(self) -> None:
        self._flush_pending = False
        batch = [queued for queued in self._outgoing if not queued[1].done()]
        self._outgoing = []
        if not batch:
            return
        if self._protocol is not None and self._protocol.open:
            self._protocol.write(batch)
            return
        self._protocol = None
        self._outgoing = batch
        if self._connecting is None:
            self._connecting = asyncio.create_task(self._connect(), name="venterom-redis-connect")

    async def _connect(self) -> None:
        try:
            protocol = await open_protocol(self.endpoint)
        except Exception as exc:  # whatever it was, no caller may be left waiting
            error = ConnectionError(f"Error connecting to Redis at {self.endpoint}: {exc}")
            error.__cause__ = exc
            outgoing, self._outgoing = self._outgoing, []
            for _, future, _ in outgoing:
                if not future.done():
                    future.set_exception(error)
            return
        finally:
            self._connecting = None
        self._protocol = protocol
        self._flush()


class Subscriber:
    """The messages published on one channel, over a connection of its own."""

    def __init__(self, endpoint: Endpoint, channel: str) -> None:
        self.endpoint = endpoint
        self.channel = channel

    @classmethod
    def from_url(cls, url: str, channel: str, **options: Any) -> Subscriber:
        return cls(Endpoint.from_url(url, **options), channel)

    async def messages(self) -> AsyncIterator[str]:
        """Each message from subscribing on, until the connection is lost (then
        `ConnectionError`: subscribe again; what was published meanwhile is gone, as with
        any Redis pub/sub). An idle connection is pinged every `KEEPALIVE` seconds, so one
        that died silently is noticed."""
        arrived: deque[str] = deque()
        wake = asyncio.Event()

        def arrive(message: str) -> None:
            arrived.append(message)
            wake.set()

        protocol = await open_protocol(self.endpoint, on_message=arrive, on_lost=wake.set)
        try:
            await protocol.request("SUBSCRIBE", self.channel)
            while True:
                while arrived:
                    yield arrived.popleft()
                if not protocol.open:
                    raise ConnectionError("Connection to Redis lost")
                wake.clear()
                try:
                    async with asyncio.timeout(KEEPALIVE):
                        await wake.wait()
                except TimeoutError:
                    # Unanswered, it fails the connection after the endpoint's timeout.
                    protocol.request("PING").add_done_callback(_retrieved)
        finally:
            protocol.close()


async def open_protocol(
    endpoint: Endpoint,
    on_message: Callable[[str], None] | None = None,
    on_lost: Callable[[], None] | None = None,
) -> RespProtocol:
    """A connection, logged in and on the endpoint's database."""
    loop = asyncio.get_running_loop()

    def protocol() -> RespProtocol:
        return RespProtocol(endpoint.timeout, on_message, on_lost)

    async with asyncio.timeout(endpoint.connect_timeout):
        if endpoint.path is not None:
            _, opened = await loop.create_unix_connection(protocol, endpoint.path)
        else:
            _, opened = await loop.create_connection(
                protocol, endpoint.host, endpoint.port, ssl=endpoint.tls
            )
    try:
        handshake = []
        if endpoint.password is not None:
            login = (endpoint.username,) if endpoint.username else ()
            handshake.append(opened.request("AUTH", *login, endpoint.password))
        if endpoint.db:
            handshake.append(opened.request("SELECT", endpoint.db))
        for reply in handshake:
            await reply
    except BaseException:
        opened.close()
        raise
    return opened


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class RedisPyLine:
    """`RespConnection`'s `execute`, `run_script` and `close` over redis-py's own command
    path, for `VENTEROM_UPSTREAM=resp` (docs/upstream.md). Replies take the shape the
    pipelined connection gives them: a map (RESP3) comes back as a flat list."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def execute(self, *command: Any) -> Any:
        return _flat(await self._client.execute_command(*command))  # type: ignore[no-untyped-call]

    async def run_script(
        self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> Any:
        return _flat(await script(keys=list(keys), args=list(args)))

    async def close(self) -> None:
        """Nothing of its own to close: the client is its store's."""


Line = RespConnection | RedisPyLine
"""How the presence store sends its hot commands."""


def _flat(reply: Any) -> Any:
    if isinstance(reply, dict):
        return [item for pair in reply.items() for item in pair]
    return reply
