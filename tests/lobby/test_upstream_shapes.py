"""The internals of python-engineio, python-socketio and redis-py that Venterom overrides or
reaches into still have the shape its code was written against (docs/upstream.md).

Each row names the override it serves (`VENTEROM_UPSTREAM` turns it off). A failure says
which override and what changed: read that override's section of docs/upstream.md, run
the suite with the override off, and fix or drop the override before raising the bound in
pyproject.toml. Runs whatever `VENTEROM_UPSTREAM` says: the shapes are the installed
packages', not the server's.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engineio
import hiredis
import pytest
import socketio
from engineio import async_server as eio_async_server
from engineio.async_socket import AsyncSocket
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection
from redis.commands.core import AsyncScript
from socketio.async_pubsub_manager import AsyncPubSubManager
from socketio.base_manager import BaseManager

from lobby.settings import OVERRIDES

ENGINE = "engine (lobby/interfaces/realtime/engine.py)"
PUBSUB = "pubsub (lobby/adapters/pubsub.py)"
RESP = "resp (lobby/adapters/resp.py)"
MANAGERS = "managers (lobby/adapters/managers.py)"
SHARED = "the pub/sub message (lobby/adapters/pubsub.py emit_message, the store's publish)"


def _broken(override: str, what: str, problem: str) -> str:
    return (
        f"Upstream changed what the {override} override relies on: {what} {problem}. "
        "See docs/upstream.md for what it replaces and why; with VENTEROM_UPSTREAM set to "
        "the override's name the server takes upstream's path meanwhile."
    )


@dataclass(frozen=True)
class Method:
    """A method we override, call or copy: it exists, with these parameters."""

    override: str
    owner: type
    name: str
    parameters: tuple[str, ...]
    kind: str = "function"
    """`function`, `coroutine` or `async generator`."""

    @property
    def what(self) -> str:
        return f"{self.owner.__module__}.{self.owner.__qualname__}.{self.name}"


METHODS = [
    # lobby/interfaces/realtime/engine.py: LeanSocket replaces these; LeanAsyncServer the class
    # hook.
    Method(ENGINE, AsyncSocket, "schedule_ping", ("self",)),
    Method(ENGINE, AsyncSocket, "close", ("self", "wait", "abort", "reason"), "coroutine"),
    Method(ENGINE, AsyncSocket, "_websocket_handler", ("self", "ws"), "coroutine"),
    Method(ENGINE, AsyncSocket, "receive", ("self", "pkt"), "coroutine"),
    Method(ENGINE, AsyncSocket, "poll", ("self",), "coroutine"),
    Method(ENGINE, AsyncSocket, "send", ("self", "pkt"), "coroutine"),
    Method(
        ENGINE,
        eio_async_server.AsyncServer,
        "_handle_connect",
        ("self", "environ", "transport", "jsonp_index"),
        "coroutine",
    ),
    Method(ENGINE, socketio.AsyncServer, "_engineio_server_class", ("self",)),
    # lobby/adapters/pubsub.py: OwnedPubSub replaces _publish and _listen, calls _handle_emit.
    Method(PUBSUB, socketio.AsyncRedisManager, "_publish", ("self", "data"), "coroutine"),
    Method(PUBSUB, socketio.AsyncRedisManager, "_listen", ("self",), "async generator"),
    Method(PUBSUB, AsyncPubSubManager, "_handle_emit", ("self", "message"), "coroutine"),
    Method(PUBSUB, AsyncPubSubManager, "_thread", ("self",), "coroutine"),
    Method(PUBSUB, AsyncPubSubManager, "initialize", ("self",)),
    Method(
        PUBSUB,
        socketio.AsyncRedisManager,
        "__init__",
        ("self", "url", "channel", "write_only", "logger", "json", "redis_options"),
    ),
    Method(PUBSUB, BaseManager, "eio_sid_from_sid", ("self", "sid", "namespace")),
    # lobby/adapters/managers.py: SidRoomsIndex and DirectDelivery.
    Method(
        MANAGERS, BaseManager, "basic_enter_room", ("self", "sid", "namespace", "room", "eio_sid")
    ),
    Method(MANAGERS, BaseManager, "basic_leave_room", ("self", "sid", "namespace", "room")),
    Method(MANAGERS, BaseManager, "basic_disconnect", ("self", "sid", "namespace", "kwargs")),
    Method(MANAGERS, BaseManager, "get_participants", ("self", "namespace", "room")),
    Method(
        MANAGERS,
        socketio.AsyncManager,
        "emit",
        ("self", "event", "data", "namespace", "room", "skip_sid", "callback", "to", "kwargs"),
        "coroutine",
    ),
    Method(
        MANAGERS,
        socketio.AsyncServer,
        "_send_eio_packet",
        ("self", "eio_sid", "eio_pkt"),
        "coroutine",
    ),
    # lobby/adapters/resp.py: the endpoint is read off a redis-py pool; scripts by their sha and
    # text.
    Method(RESP, ConnectionPool, "from_url", ("cls", "url", "kwargs")),
    Method(RESP, Redis, "execute_command", ("self", "args", "options"), "coroutine"),
    Method(RESP, AsyncScript, "__call__", ("self", "keys", "args", "client"), "coroutine"),
]


def _kind(function: Any) -> str:
    if inspect.isasyncgenfunction(function):
        return "async generator"
    return "coroutine" if inspect.iscoroutinefunction(function) else "function"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.what)
def test_each_method_we_override_or_call_keeps_its_signature(method: Method) -> None:
    found = inspect.getattr_static(method.owner, method.name, None)
    assert found is not None, _broken(method.override, method.what, "is gone")
    function = found.__func__ if isinstance(found, classmethod | staticmethod) else found
    parameters = tuple(inspect.signature(function).parameters)
    assert parameters == method.parameters, _broken(
        method.override, method.what, f"now takes {parameters}, not {method.parameters}"
    )
    assert _kind(function) == method.kind, _broken(
        method.override, method.what, f"is now a {_kind(function)}, not a {method.kind}"
    )


def _server_socket() -> tuple[engineio.AsyncServer, AsyncSocket]:
    server = engineio.AsyncServer(async_mode="aiohttp", monitor_clients=False)
    return server, AsyncSocket(server, "sid")


ATTRIBUTES: list[tuple[str, str, Any, tuple[str, ...]]] = [
    (
        ENGINE,
        "an engine.io socket",
        lambda: _server_socket()[1],
        (
            "server",
            "sid",
            "queue",
            "last_ping",
            "connected",
            "upgrading",
            "upgraded",
            "closing",
            "closed",
        ),
    ),
    (
        ENGINE,
        "an engine.io server",
        lambda: _server_socket()[0],
        (
            "sockets",
            "ping_interval",
            "ping_timeout",
            "max_http_buffer_size",
            "logger",
            "reason",
            "start_service_task",
        ),
    ),
    (
        PUBSUB,
        "a socket.io Redis manager",
        lambda: socketio.AsyncRedisManager("redis://localhost", write_only=True),
        ("redis_url", "redis_options", "channel", "host_id", "json", "redis", "pubsub"),
    ),
    (
        MANAGERS,
        "a socket.io manager",
        BaseManager,
        ("rooms", "callbacks", "pending_connect", "pending_disconnect", "server"),
    ),
    (
        RESP,
        "a redis-py pool",
        lambda: ConnectionPool.from_url("redis://u:p@localhost:1/2", socket_timeout=3),
        ("connection_kwargs", "connection_class"),
    ),
]


@pytest.mark.parametrize("row", ATTRIBUTES, ids=lambda row: row[1])
def test_each_attribute_we_use_is_still_set(row: tuple[str, str, Any, tuple[str, ...]]) -> None:
    override, what, make, names = row
    made = make()
    missing = [name for name in names if not hasattr(made, name)]
    assert not missing, _broken(override, what, f"no longer has {missing}")


def test_the_engine_io_server_still_makes_its_sockets_where_we_swap_their_class() -> None:
    # LeanEngineServer's socket table turns each AsyncSocket stored in it into a LeanSocket:
    # engine.io has no hook for the class (docs/upstream.md, `engine`).
    source = inspect.getsource(eio_async_server.AsyncServer._handle_connect)
    for needed in ("async_socket.AsyncSocket(self, sid)", "self.sockets[sid] = s"):
        assert needed in source, _broken(ENGINE, "AsyncServer._handle_connect", f"lost {needed!r}")
    assert "monitor_clients" in inspect.signature(engineio.AsyncServer).parameters
    server, sock = _server_socket()
    assert type(server.sockets) is dict, _broken(ENGINE, "AsyncServer.sockets", "is no dict")
    assert server.reason.PING_TIMEOUT and server.reason.TRANSPORT_CLOSE
    assert not sock.closed


def test_redis_endpoints_are_still_read_as_resp_reads_them() -> None:
    kwargs = ConnectionPool.from_url("redis://u:p@h:7/2?socket_timeout=3").connection_kwargs
    expected = {"host": "h", "port": 7, "db": 2, "username": "u", "password": "p"}
    assert {k: kwargs.get(k) for k in expected} == expected, _broken(
        RESP, "ConnectionPool.connection_kwargs", f"reads a URL as {kwargs}"
    )
    unix = ConnectionPool.from_url("unix:///tmp/r.sock?db=1")
    assert issubclass(unix.connection_class, UnixDomainSocketConnection)
    assert unix.connection_kwargs.get("path") == "/tmp/r.sock"
    tls = ConnectionPool.from_url("rediss://h:7/0")
    assert issubclass(tls.connection_class, SSLConnection)
    context = tls.connection_class(**tls.connection_kwargs).ssl_context
    assert callable(getattr(context, "get", None)), _broken(
        RESP, "SSLConnection.ssl_context", "has no get()"
    )
    script = AsyncScript(Redis(), "return 1")
    assert isinstance(script.sha, str) and script.script == "return 1", _broken(
        RESP, "AsyncScript", "keeps no sha or script"
    )
    reader = hiredis.Reader(protocolError=ValueError, replyError=ValueError, encoding="utf-8")
    assert reader.gets() is False and hiredis.pack_command(("PING",)) == b"*1\r\n$4\r\nPING\r\n"


COPIED = [
    # What we copied or mirror: a change upstream means our copy may be stale. Compare
    # upstream's new text with ours, carry the change over, then update the fingerprint.
    (ENGINE, AsyncSocket._websocket_handler, "27f120df4d717a24"),
    (MANAGERS, BaseManager.basic_disconnect, "2933b50bc4b2ea7b"),
    (SHARED, AsyncPubSubManager.emit, "6cc46e0ff9b6d7cf"),
    (MANAGERS, socketio.AsyncManager.emit, "01ccd5b82b4f955e"),
]


@pytest.mark.parametrize("row", COPIED, ids=lambda row: row[1].__qualname__)
def test_what_we_copied_from_upstream_is_unchanged_there(row: tuple[str, Any, str]) -> None:
    override, function, fingerprint = row
    now = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
    assert now == fingerprint, _broken(
        override,
        f"{function.__module__}.{function.__qualname__}",
        f"changed (fingerprint {now}, was {fingerprint}): our copy follows the old text",
    )


def test_every_override_has_rows_here_and_a_section_in_the_docs() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "upstream.md").read_text("utf-8")
    rows = {m.override for m in METHODS} | {row[0] for row in ATTRIBUTES}
    for name in OVERRIDES:
        assert any(row.startswith(name + " ") for row in rows), f"no shapes for {name}"
        assert f"`{name}`" in docs, f"docs/upstream.md has no section for {name}"
