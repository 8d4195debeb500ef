"""engine.io sockets that keep fewer objects and timers alive per idle connection.

For every idle websocket, python-engineio 4.x keeps three waits alive between pings: the
ping (a task sleeping `ping_interval`), the writer's wait for something to send and the
reader's wait for the next message, the last two each an `asyncio.wait_for` around a new
task with its own timeout timer. Every ping cycle renews all three and cancels two timers.
Holding 2,000 guests, that is some 30 objects per guest every 20 s that outlive young
collections (the garbage collector walked tens of thousands of them in every collection);
holding 10,000, the cancelled timers pile up in the event loop's timer heap until asyncio
rebuilds it, a 10-20 ms stall. On top, a service task wakes once per socket per
`ping_timeout` (every millisecond at 10,000 sockets) to check for a missed pong.

`LeanSocket` keeps no task of its own besides the writer, and cancels no timers: a timer
sends the ping `ping_interval` after the last pong, and another, `ping_timeout` after the
ping, closes the socket if no pong came (the service task's job, so `LeanEngineServer`
does not start it). The reader and the writer wait without a timeout; closing a socket,
for any reason, wakes its writer, which sends what is queued and closes the websocket,
which ends the reader; after a CLOSE packet it first gives the client `ping_timeout` to
close it. A silent network death is noticed `ping_interval + ping_timeout` after the last
pong, as before. The polling transport and the upgrade to websocket are upstream's code
(python-engineio 4.15). What this relies on, and `VENTEROM_UPSTREAM=engine` for upstream's
sockets: docs/upstream.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import engineio
import socketio
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket


class LeanSocket(AsyncSocket):  # type: ignore[misc]
    last_ping: float | None
    connected: bool
    closed: bool
    closing: bool
    upgraded: bool
    _closer: asyncio.Task[None] | None = None
    """A ping-timeout close in progress (held so the task is not collected mid-run)."""
    _said_goodbye = False
    """This side closed the socket with a CLOSE packet (so the client will close too)."""

    def schedule_ping(self) -> None:
        """After a pong (and on connecting): ping again in `ping_interval`."""
        if self.last_ping:  # only once the previous cycle completed, as upstream
            self.last_ping = None
            loop = asyncio.get_running_loop()
            loop.call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        if self.closing or self.closed:
            return
        self.last_ping = sent_at = time.time()
        self.queue.put_nowait(packet.Packet(packet.PING))
        loop = asyncio.get_running_loop()
        loop.call_later(self.server.ping_timeout, self._pong_due, sent_at)

    def _pong_due(self, sent_at: float) -> None:
        # Timers are never cancelled: a cancelled one stays in the loop's heap until asyncio
        # rebuilds it. So this runs after every ping, and does nothing if the pong came.
        if self.last_ping != sent_at or self.closing or self.closed:
            return
        self.server.logger.info("%s: Client is gone, closing socket", self.sid)
        self._closer = asyncio.ensure_future(
            self.close(wait=False, abort=False, reason=self.server.reason.PING_TIMEOUT)
        )

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if not (abort or self.closed or self.closing):
            self._said_goodbye = True  # upstream's close sends CLOSE in exactly this case
        await super().close(wait=False, abort=abort, reason=reason)
        if wait:
            # Upstream waits for the queue to be sent without a limit; a long-polling client
            # that never polls again (a refused oversized POST) held its request forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.server.ping_timeout):
                    await self.queue.join()
        # Wake the writer: it sends what is queued (the CLOSE packet) and closes the
        # websocket, which ends the reader. Upstream left that to their timeouts.
        self.queue.put_nowait(None)
        # Upstream's service task removed closed sockets. The connect request removes its own
        # when its handler ends, but not if another close was still running then (a ping
        # timeout racing the client's own goodbye), and a polling socket is only removed
        # when next asked for.
        if self.closed:
            self.server.sockets.pop(self.sid, None)

    async def _next_packets(self) -> list[packet.Packet]:
        """What the websocket writer sends next ([] once closed): no timeout, see above."""
        first = await self.queue.get()
        self.queue.task_done()
        packets = []
        pkt = first
        while pkt is not None:
            packets.append(pkt)
            try:
                pkt = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
        return packets

    async def _client_closes_first(self) -> None:
        """After our CLOSE packet went out, give the client `ping_timeout` to close the
        websocket itself (the reader then ends and wakes us) before we close it.

        python-engineio's own client, which the tests and benchmarks use, loses its write loop
        when our close frame arrives together with the CLOSE packet: its disconnect empties
        the send queue before the loop has run, and the loop then idles for
        `ping_interval + 5` s and logs 'packet queue is empty'. Browsers close at once.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.server.ping_timeout):
                ended = False
                while not ended:  # the reader puts None when it ends
                    ended = await self.queue.get() is None
                    self.queue.task_done()

    async def _websocket_handler(self, ws: Any) -> None:
        """Engine.IO handler for websocket transport."""
        limit = self.server.max_http_buffer_size
        if self.connected:
            # the socket was already connected, so this is an upgrade
            if not await self._websocket_upgrade(ws, limit):
                return
        else:
            self.connected = True
            self.upgraded = True
        writer_task = asyncio.ensure_future(self._websocket_writer(ws))
        self.server.logger.info("%s: Upgrade to websocket successful", self.sid)
        await self._websocket_reader(ws, limit)
        await self.queue.put(None)  # unlock the writer task so it can exit
        await writer_task
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _websocket_upgrade(self, ws: Any, limit: int) -> bool:
        """A polling socket's probe and UPGRADE over the websocket; False if they failed."""
        self.upgrading = True  # hold packet sends during the upgrade
        try:
            pkt = await _websocket_wait(ws, limit)
        except OSError:
            return False
        decoded_pkt = packet.Packet(encoded_packet=pkt)
        if decoded_pkt.packet_type != packet.PING or decoded_pkt.data != "probe":
            self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
            self.upgrading = False
            return False
        await ws.send(packet.Packet(packet.PONG, data="probe").encode())
        await self.queue.put(packet.Packet(packet.NOOP))  # end poll
        try:
            pkt = await _websocket_wait(ws, limit)
        except OSError:
            self.upgrading = False
            return False
        decoded_pkt = packet.Packet(encoded_packet=pkt)
        if decoded_pkt.packet_type != packet.UPGRADE:
            self.upgraded = False
            self.server.logger.info(
                "%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                self.sid,
                pkt,
            )
            self.upgrading = False
            return False
        self.upgraded = True
        self.upgrading = False
        return True

    async def _websocket_writer(self, ws: Any) -> None:
        """Sends what is queued until the socket closes, then closes the websocket."""
        while packets := await self._next_packets():
            try:
                for pkt in packets:
                    await ws.send(pkt.encode())
            except Exception:
                break
        else:
            # At shutdown aiohttp has stopped reading: the client's close is never seen.
            if self._said_goodbye and not self.server.shutting_down:
                await self._client_closes_first()
        await ws.close()

    async def _websocket_reader(self, ws: Any, limit: int) -> None:
        """Receives packets until the websocket closes (or a packet is too large)."""
        while True:
            try:
                received = await _websocket_wait(ws, limit)
            except BaseException:  # closed, cancelled or too large: as upstream
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


async def _websocket_wait(ws: Any, limit: int) -> Any:
    """The next message from the websocket (None once closed), refused if over `limit`."""
    data = await ws.wait()
    if data and len(data) > limit:
        raise ValueError("packet is too large")
    return data


class _LeanSockets(dict[str, Any]):
    """The server's sid -> socket table; a socket stored in it becomes a `LeanSocket`.
    (engine.io creates its sockets inside `_handle_connect`, with no hook for the class.)"""

    def __setitem__(self, sid: str, sock: Any) -> None:
        if type(sock) is AsyncSocket:
            sock.__class__ = LeanSocket
        super().__setitem__(sid, sock)


class LeanEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """An engine.io server whose sockets are `LeanSocket`s, which time their own pongs."""

    shutting_down = False
    """Set when the app stops: sockets then close at once, without waiting for the client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "monitor_clients": False})
        self.sockets = _LeanSockets()


class LeanAsyncServer(socketio.AsyncServer):  # type: ignore[misc]
    """A socket.io server whose engine.io sockets are `LeanSocket`s."""

    def _engineio_server_class(self) -> type[LeanEngineServer]:
        return LeanEngineServer
