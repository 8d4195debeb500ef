"""Socket.io managers find a leaving socket's rooms from a per-socket index
(lobby/adapters/managers.py).

First the index against python-socketio's own manager, operation by operation; then real
clients against real servers (memory store and Redis): after a churn of connects, joins,
reconnects and disconnects nothing is left of the gone sockets and emits still find theirs.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import pytest
import socketio
from socketio.base_manager import BaseManager

from lobby.adapters.managers import IndexedManager, SidRoomsIndex
from lobby.adapters.pubsub import OwnedRedisManager
from lobby.interfaces.realtime.common import lobby_room, visit_room
from lobby.keys import SIO
from tests.fixtures.servers import Client, Harness

NAMESPACES = ("/guest", "/clinician")
OPERATIONS = (
    *("pre_connect", "connect", "pre_disconnect", "leave", "close", "ack"),
    *("enter", "enter", "enter", "disconnect", "disconnect"),
)


class _Eio:
    def __init__(self) -> None:
        self.ids = (f"s{n}" for n in itertools.count())

    def generate_id(self) -> str:
        return next(self.ids)


class _Server:
    def __init__(self) -> None:
        self.eio = _Eio()


def _state(manager: BaseManager) -> dict[str, Any]:
    return {
        "rooms": {
            ns: {room: dict(m) for room, m in rs.items()} for ns, rs in manager.rooms.items()
        },
        "pending_connect": manager.pending_connect,
        "pending_disconnect": manager.pending_disconnect,
        "callbacks": {sid: sorted(k for k in acks if k) for sid, acks in manager.callbacks.items()},
    }


def _index_matches_rooms(manager: SidRoomsIndex) -> None:
    from_rooms: dict[tuple[str, str], set[Any]] = {}
    for ns, rooms in manager.rooms.items():
        for room, members in rooms.items():
            for sid in members:
                from_rooms.setdefault((ns, sid), set()).add(room)
    assert manager.sid_rooms == from_rooms


def test_the_index_does_what_upstream_does() -> None:
    """Random operations, the same on both managers: the same state, results and errors."""
    rng = random.Random(5)
    upstream, indexed = BaseManager(), SidRoomsIndex()
    for manager in (upstream, indexed):
        manager.server = _Server()
    sids: list[str] = ["nobody"]
    rooms = ["r1", "r2", "r3", None]

    def step() -> tuple[str, tuple[Any, ...]]:
        ns = rng.choice(NAMESPACES)
        sid = rng.choice(sids)
        op = rng.choice(OPERATIONS)
        if op == "pre_connect":
            return op, (f"e{rng.randrange(12)}", ns)
        if op in ("connect", "pre_disconnect", "disconnect"):
            return op, (sid, ns)
        if op == "enter":
            return op, (sid, ns, rng.choice([*rooms, rng.choice(sids)]))
        if op == "leave":
            return op, (sid, ns, rng.choice([*rooms, sid]))
        if op == "close":
            return op, (rng.choice(rooms[:3]), ns)
        return op, (sid,)

    def run(manager: BaseManager, op: str, args: tuple[Any, ...]) -> Any:
        call = {
            "pre_connect": manager.pre_connect,
            "connect": manager.connect,
            "enter": manager.basic_enter_room,
            "leave": manager.basic_leave_room,
            "close": manager.basic_close_room,
            "pre_disconnect": manager.pre_disconnect,
            "disconnect": manager.basic_disconnect,
            "ack": lambda sid: manager._generate_ack_id(sid, print),
        }[op]
        try:
            return call(*args)
        except Exception as exc:
            return type(exc)

    disconnects = 0
    for _ in range(5000):
        op, args = step()
        results = [run(m, op, args) for m in (upstream, indexed)]
        assert results[0] == results[1], (op, args)
        assert _state(upstream) == _state(indexed), (op, args)
        _index_matches_rooms(indexed)
        if op == "pre_connect" and isinstance(results[0], str):
            sids.append(results[0])
        disconnects += op == "disconnect" and args[0] != "nobody"
    assert disconnects > 500 and len(sids) > 100


def test_both_managers_index() -> None:
    assert issubclass(IndexedManager, socketio.AsyncManager)
    assert issubclass(OwnedRedisManager, socketio.AsyncRedisManager)
    for cls in (IndexedManager, OwnedRedisManager):
        assert issubclass(cls, SidRoomsIndex)
        assert cls.basic_disconnect is SidRoomsIndex.basic_disconnect


@pytest.mark.override("managers")
async def test_churn_leaves_nothing_of_gone_sockets_and_emits_still_arrive(
    harness: Harness,
) -> None:
    server = await harness.server()
    manager = server.app[SIO].manager
    assert isinstance(manager, SidRoomsIndex)
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    assert (await doctor.call("call_join", {"room_id": room}))["ok"]
    assert (await doctor.call("call_leave", {"room_id": room}))["ok"]  # leave_room twice

    staying: dict[str, Client] = {}
    for round_ in range(3):
        arrived = [await harness.waiting_guest(server, room, f"G{round_}-{n}") for n in range(8)]
        for n, (guest, visit_id) in enumerate(arrived):
            if n % 3 == 0:
                await guest.drop()  # gone for good
            elif n % 3 == 1:
                await guest.drop()  # a reload: a new socket for the same person
                staying[visit_id] = await harness.reconnect(server, guest)
            else:
                staying[visit_id] = guest
        gone_doctor = await harness.clinician_client(server, "doctor")
        await gone_doctor.drop()
    # A refused connection (no session cookie) is pre-connected, then cleaned up.
    refused = socketio.AsyncClient(reconnection=False)
    try:
        await refused.connect(
            server.base_url,
            namespaces=["/guest"],
            transports=["websocket"],
            headers={"Origin": server.base_url},
            wait_timeout=5,
        )
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        await refused.disconnect()

    live = {("/guest", c.sio.get_sid("/guest")) for c in staying.values() if c.sio.connected} | {
        ("/clinician", doctor.sio.get_sid("/clinician"))
    }
    assert len(live) == len(staying) + 1
    for _ in range(200):  # disconnects are handled asynchronously on the server
        held = {(ns, sid) for ns, rooms in manager.rooms.items() for sid in rooms.get(None, {})}
        if held == live and not manager.pending_connect and not manager.pending_disconnect:
            break
        await asyncio.sleep(0.02)
    assert held == live
    assert set(manager.sid_rooms) == live
    _index_matches_rooms(manager)
    assert not manager.pending_connect and not manager.pending_disconnect
    assert set(manager.callbacks) <= {sid for _, sid in live}
    every_sid_room = {sid for ns, rooms in manager.rooms.items() for sid in rooms} - {None}
    assert {sid for _, sid in live} <= every_sid_room

    # Emits to a visit's room reach exactly that guest's socket.
    marks = {visit_id: client.mark() for visit_id, client in staying.items()}
    for visit_id in staying:
        await server.app[SIO].emit(
            "probe", {"visit_id": visit_id}, room=visit_room(visit_id), namespace="/guest"
        )
    for visit_id, client in staying.items():
        probe = await client.wait_for("probe", after=marks[visit_id])
        assert probe == {"visit_id": visit_id}
    await asyncio.sleep(0.1)
    for visit_id, client in staying.items():
        assert [p for e, p in client.events[marks[visit_id] :] if e == "probe"] == [
            {"visit_id": visit_id}
        ]
    # And the clinician's lobby room still reaches the one clinician left.
    mark = doctor.mark()
    await server.app[SIO].emit(
        "probe", {"room_id": room}, room=lobby_room(room), namespace="/clinician"
    )
    assert await doctor.wait_for("probe", after=mark) == {"room_id": room}
