"""engine.io sockets that keep fewer objects alive per idle connection.

For every idle websocket, python-engineio 4.x keeps three waits alive between pings: the
ping (a task sleeping `ping_interval`), the writer's wait for something to send, and the
reader's wait for the next message, the last two each through `asyncio.wait_for` around a
new task. Every ping cycle renews all three, so a server holding 2,000 guests creates some
30 objects per guest every 20 s that live until the next cycle: a task, its context, its
coroutine, a future, a timer, a callback. They outlive young collections, so the garbage
collector walked tens of thousands of them in every young and generation-1 collection
(bench/README.md, item 19).

`LeanSocket` does the same with less: the ping is a timer callback, and both waits use
`asyncio.timeout` on the socket's own task instead of a new task each. Everything else,
the polling-to-websocket upgrade included, is upstream's code (python-engineio 4.15).
`LeanEngineServer` makes every new socket a `LeanSocket`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import engineio
import socketio
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket


class LeanSocket(AsyncSocket):  # type: ignore[misc]
    last_ping: float | None
    connected: bool
    _ping_timer: asyncio.TimerHandle | None = None

    async def poll(self) -> list[packet.Packet]:
        """Wait for packets to send to the client."""
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                first = await self.queue.get()
            self.queue.task_done()
        except (TimeoutError, asyncio.CancelledError):
            raise exceptions.QueueEmpty() from None
        if first is None:
            return []
        packets = [first]
        while True:
            try:
                pkt = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        return packets

    def schedule_ping(self) -> None:
        # Only after the previous cycle completed, as upstream.
        if self.last_ping:
            self.last_ping = None
            loop = asyncio.get_running_loop()
            self._ping_timer = loop.call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        self._ping_timer = None
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(packet.Packet(packet.PING))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        await super().close(wait=wait, abort=abort, reason=reason)

    async def _websocket_handler(self, ws: Any) -> None:
        """Engine.IO handler for websocket transport."""
        limit = self.server.max_http_buffer_size

        async def websocket_wait() -> Any:
            data = await ws.wait()
            if data and len(data) > limit:
                raise ValueError("packet is too large")
            return data

        if self.connected:
            # the socket was already connected, so this is an upgrade
            self.upgrading = True  # hold packet sends during the upgrade
            try:
                pkt = await websocket_wait()
            except OSError:
                return
            decoded_pkt = packet.Packet(encoded_packet=pkt)
            if decoded_pkt.packet_type != packet.PING or decoded_pkt.data != "probe":
                self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                self.upgrading = False
                return
            await ws.send(packet.Packet(packet.PONG, data="probe").encode())
            await self.queue.put(packet.Packet(packet.NOOP))  # end poll
            try:
                pkt = await websocket_wait()
            except OSError:
                self.upgrading = False
                return
            decoded_pkt = packet.Packet(encoded_packet=pkt)
            if decoded_pkt.packet_type != packet.UPGRADE:
                self.upgraded = False
                self.server.logger.info(
                    "%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                    self.sid,
                    pkt,
                )
                self.upgrading = False
                return
            self.upgraded = True
            self.upgrading = False
        else:
            self.connected = True
            self.upgraded = True

        async def writer() -> None:
            while True:
                try:
                    packets = await self.poll()
                except exceptions.QueueEmpty:
                    break
                if not packets:  # connection closed
                    break
                try:
                    for pkt in packets:
                        await ws.send(pkt.encode())
                except Exception:
                    break
            await ws.close()

        writer_task = asyncio.ensure_future(writer())
        self.server.logger.info("%s: Upgrade to websocket successful", self.sid)
        wait_limit = self.server.ping_interval + self.server.ping_timeout
        while True:
            try:
                async with asyncio.timeout(wait_limit):
                    received = await websocket_wait()
            except BaseException:  # timed out, cancelled, closed or too large: as upstream
                break
            if received is None:  # connection closed by client
                break
            try:
                await self.receive(packet.Packet(encoded_packet=received))
            except exceptions.UnknownPacketError:
                pass
            except exceptions.SocketIsClosedError:
                self.server.logger.info("Receive error -- socket is closed")
                break
            except Exception:
                self.server.logger.exception("Unknown receive error")

        await self.queue.put(None)  # unlock the writer task so it can exit
        await writer_task
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)


class _LeanSockets(dict[str, Any]):
    """The server's sid -> socket table; a socket stored in it becomes a `LeanSocket`.
    (engine.io creates its sockets inside `_handle_connect`, with no hook for the class.)"""

    def __setitem__(self, sid: str, sock: Any) -> None:
        if type(sock) is AsyncSocket:
            sock.__class__ = LeanSocket
        super().__setitem__(sid, sock)


class LeanEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sockets = _LeanSockets()


class LeanAsyncServer(socketio.AsyncServer):  # type: ignore[misc]
    """A socket.io server whose engine.io sockets are `LeanSocket`s."""

    def _engineio_server_class(self) -> type[LeanEngineServer]:
        return LeanEngineServer
