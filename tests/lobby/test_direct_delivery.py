"""Local delivery without a task per recipient (lobby/adapters/managers.py) and packets that are
never
binary (lobby/interfaces/realtime/packets.py), on real servers with real clients, memory store and
Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from socketio import packet

from lobby.interfaces.realtime.common import visit_room
from lobby.interfaces.realtime.packets import TextPacket
from lobby.keys import SIO
from tests.fixtures.servers import Client, Harness

PAYLOAD = {"visits": [{"visit_id": "v1", "tags": ["a", None, 2.5]}], "ok": True, "n": 3}


def _probes(client: Client, after: int) -> list[Any]:
    return [data for event, data in client.events[after:] if event == "probe"]


async def _guests(harness: Harness, count: int) -> tuple[Any, list[tuple[Client, str]]]:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    return server, [await harness.waiting_guest(server, room, f"G{n}") for n in range(count)]


async def test_one_emit_to_many_rooms_reaches_each_socket_once_in_order(
    harness: Harness,
) -> None:
    server, guests = await _guests(harness, 4)
    sio = server.app[SIO]
    marks = [client.mark() for client, _ in guests]
    rooms = [visit_room(visit_id) for _, visit_id in guests]
    skipped = guests[3][0].sio.get_sid("/guest")
    for n in range(3):
        await sio.emit(
            "probe", {**PAYLOAD, "n": n}, room=rooms, namespace="/guest", skip_sid=skipped
        )

    for (client, _), mark in list(zip(guests, marks, strict=True))[:3]:
        await client.wait_for("probe", lambda data: data["n"] == 2, after=mark)
    await asyncio.sleep(0.1)
    for (client, _), mark in list(zip(guests, marks, strict=True))[:3]:
        assert _probes(client, mark) == [{**PAYLOAD, "n": n} for n in range(3)]
    assert _probes(guests[3][0], marks[3]) == []


@pytest.mark.override("managers")
async def test_a_failing_recipient_does_not_cost_the_others_their_message(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    server, guests = await _guests(harness, 3)
    sio = server.app[SIO]
    broken = sio.eio.sockets[
        sio.manager.eio_sid_from_sid(guests[1][0].sio.get_sid("/guest"), "/guest")
    ]

    async def fails(pkt: Any) -> None:
        raise RuntimeError("send queue gone")

    broken.send = fails
    marks = [client.mark() for client, _ in guests]
    rooms = [visit_room(visit_id) for _, visit_id in guests]
    await sio.emit("probe", PAYLOAD, room=rooms, namespace="/guest")

    for index in (0, 2):
        assert await guests[index][0].wait_for("probe", after=marks[index]) == PAYLOAD
    assert "emit to one socket failed" in caplog.text
    assert _probes(guests[1][0], marks[1]) == []


async def test_names_in_any_script_arrive_intact(harness: Harness) -> None:
    server, guests = await _guests(harness, 1)
    client, visit_id = guests[0]
    mark = client.mark()
    name = "Åse Ødegård — 李小龙 🙂"
    await server.app[SIO].emit(
        "probe", {"name": name}, room=visit_room(visit_id), namespace="/guest"
    )
    assert await client.wait_for("probe", after=mark) == {"name": name}


async def test_emits_with_an_ack_still_get_their_answer(harness: Harness) -> None:
    server, guests = await _guests(harness, 1)
    client, _ = guests[0]
    client.sio.on("question", lambda data: {"answer": data["n"] * 2}, namespace="/guest")
    answer = await server.app[SIO].call(
        "question", {"n": 21}, to=client.sio.get_sid("/guest"), namespace="/guest", timeout=5
    )
    assert answer == {"answer": 42}


def test_text_packets_encode_what_upstream_encodes_and_refuse_bytes() -> None:
    data = ["lobby", {**PAYLOAD, "name": "Åse Ødegård", "7": {1: "key made a string"}}]
    ours = TextPacket(packet.EVENT, namespace="/clinician", data=data).encode()
    theirs = packet.Packet(packet.EVENT, namespace="/clinician", data=data).encode()
    prefix = "2/clinician,"
    assert ours.startswith(prefix) and theirs.startswith(prefix)
    assert json.loads(ours[len(prefix) :]) == json.loads(theirs[len(prefix) :])
    decoded = TextPacket(encoded_packet=ours)
    assert decoded.data == json.loads(theirs[len(prefix) :])
    with pytest.raises(TypeError):
        TextPacket(packet.EVENT, namespace="/guest", data=["x", {"raw": b"\x00"}]).encode()
