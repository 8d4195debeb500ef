"""engine.io sockets that keep fewer objects alive per idle connection
(lobby/interfaces/realtime/engine.py), on real servers with real clients. Tests marked
`override("engine")` check what it adds; the others hold with upstream's sockets too."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
import socketio
from engineio import packet
from engineio.async_socket import AsyncSocket

from lobby.interfaces.realtime.engine import LeanSocket
from lobby.keys import SIO
from tests.fixtures.servers import Client, Harness, visit_in
from tests.fixtures.upstream import UPSTREAM

SOCKET = LeanSocket if UPSTREAM.overrides("engine") else AsyncSocket
"""The class of the server's engine.io sockets in this run."""


def _socket_tasks() -> list[asyncio.Task[object]]:
    """Tasks running engine.io server socket code (upstream's or ours), not the clients'."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code else ""
        if filename.endswith(("engineio/async_socket.py", "lobby/interfaces/realtime/engine.py")):
            found.append(task)
    return found


async def test_idle_sockets_stay_connected_through_many_ping_cycles(harness: Harness) -> None:
    server = await harness.server(ping_interval=0.2, ping_timeout=0.3)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guest, visit_id = await harness.waiting_guest(server, room)
    sockets = server.app[SIO].eio.sockets
    assert len(sockets) == 2 and all(type(s) is SOCKET for s in sockets.values())

    pongs: Counter[str] = Counter()
    for sock in sockets.values():
        upstream_receive = sock.receive

        async def receive(pkt: Any, sid: str = sock.sid, upstream: Any = upstream_receive) -> None:
            pongs[sid] += pkt.packet_type == packet.PONG
            await upstream(pkt)

        sock.receive = receive
    await asyncio.sleep(1.5)  # seven ping cycles
    assert len(pongs) == 2 and min(pongs.values()) >= 4, pongs
    assert guest.sio.connected and doctor.sio.connected
    mark = guest.mark()
    assert (await doctor.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"), after=mark)


@pytest.mark.override("engine")
async def test_an_idle_socket_keeps_one_task_alive_not_three(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    before = len(_socket_tasks())
    guests = [await harness.waiting_guest(server, room, f"G{n}") for n in range(10)]
    await asyncio.sleep(0.1)
    assert len(server.app[SIO].eio.sockets) == 10
    assert len(_socket_tasks()) - before == 10  # each socket's writer; upstream had 30
    for guest, _ in guests:
        await guest.drop()
    for _ in range(100):
        if len(_socket_tasks()) == before:
            break
        await asyncio.sleep(0.02)
    assert len(_socket_tasks()) == before


async def test_a_polling_client_upgrades_to_websocket_and_is_served(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    http, body = await harness.open_link(server, await harness.invite(room))
    sio = socketio.AsyncClient(reconnection=False)
    guest = Client(sio, "/guest", http)
    sio.on("*", guest.on_any, namespace="/guest")
    cookies = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
    await sio.connect(
        server.base_url,
        namespaces=["/guest"],
        transports=["polling", "websocket"],
        headers={"Cookie": cookies, "Origin": server.base_url},
        wait_timeout=10,
    )
    harness.clients.append(guest)
    for _ in range(100):
        if sio.transport() == "websocket":
            break
        await asyncio.sleep(0.02)
    assert sio.transport() == "websocket"
    upgraded = [s for s in server.app[SIO].eio.sockets.values() if s.upgraded]
    assert len(upgraded) == 2 and all(type(s) is SOCKET for s in upgraded)
    ack = await guest.call("join", {"display_name": "Kari", "consent": True, "present": []})
    assert ack["ok"], ack
    visit_id = ack["visit"]["visit_id"]
    assert (await doctor.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))


@pytest.mark.override("engine")
async def test_a_silent_client_is_closed_and_leaves_nothing_running(harness: Harness) -> None:
    server = await harness.server(ping_interval=0.3, ping_timeout=0.3)
    room = await harness.room(await harness.clinician("doctor"))
    before = len(_socket_tasks())
    guest, _ = await harness.waiting_guest(server, room)
    sockets = server.app[SIO].eio.sockets
    assert len(sockets) == 1 and len(_socket_tasks()) == before + 1
    assert not [t for t in asyncio.all_tasks() if "_service_task" in repr(t.get_coro())]

    async def lost(pkt: object) -> None:
        return None  # the network swallows everything the guest sends, pongs included

    guest.sio.eio._send_packet = lost
    for _ in range(100):  # the pong is due 0.6 s after the last one
        if all(s.closed for s in sockets.values()):
            break
        await asyncio.sleep(0.02)
    assert all(s.closed for s in sockets.values())
    # The websocket closes as soon as the peer answers the close frame, or after aiohttp's
    # close timeout (10 s) if it never does (upstream waited out its 30 s read timeout).
    for _ in range(600):
        if not sockets and len(_socket_tasks()) == before and not guest.sio.connected:
            break
        await asyncio.sleep(0.02)
    assert not sockets
    assert len(_socket_tasks()) == before
    assert not guest.sio.connected
    # The client gave up on its side without closing its websocket (its sends are lost).
    await guest.sio.eio.ws.close()


@pytest.mark.override("engine")
async def test_a_client_the_server_closes_is_left_with_nothing_running(harness: Harness) -> None:
    # As at shutdown (lobby/app.py): the server closes the socket. python-engineio's client
    # used to be left with a write loop idling for 25 s (the websocket closed too soon).
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    guest, _ = await harness.waiting_guest(server, room)
    eio = guest.sio.eio
    assert eio.write_loop_task is not None
    before = len(_socket_tasks())
    for sock in list(server.app[SIO].eio.sockets.values()):
        await sock.close(wait=False)
    for _ in range(100):
        if eio.state == "disconnected" and eio.write_loop_task is None:
            break
        await asyncio.sleep(0.02)
    assert eio.state == "disconnected"
    assert eio.write_loop_task is None
    for _ in range(100):
        if len(_socket_tasks()) < before:
            break
        await asyncio.sleep(0.02)
    assert len(_socket_tasks()) == before - 1  # the server's writer for it ended too


@pytest.mark.override("engine")
async def test_a_socket_closed_without_goodbye_closes_its_websocket_at_once(
    harness: Harness,
) -> None:
    # No CLOSE packet (abort): the client has nothing to answer, so the server must not wait
    # `ping_timeout` for it to close first.
    server = await harness.server(ping_interval=20, ping_timeout=10)
    room = await harness.room(await harness.clinician("doctor"))
    guest, _ = await harness.waiting_guest(server, room)
    for sock in list(server.app[SIO].eio.sockets.values()):
        await sock.close(wait=False, abort=True)
    for _ in range(100):  # 2 s, well under ping_timeout
        if not guest.sio.connected:
            break
        await asyncio.sleep(0.02)
    assert not guest.sio.connected
