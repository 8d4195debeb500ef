"""In-call controls at the socket level: what every participant receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lobby.domain.model import Role
from tests.fixtures.servers import Client, Harness, Running, visit_in


def roster_where(check: Any) -> Any:
    return lambda roster: check({m["peer_id"]: m for m in roster["members"]})


@dataclass
class Consultation:
    server: Running
    room: str
    doctor: Client
    doctor_id: str
    patient: Client
    patient_id: str


async def consultation(harness: Harness) -> Consultation:
    server = await harness.server()
    doctor_id = await harness.clinician("doctor")
    room = await harness.room(doctor_id)
    doctor = await harness.clinician_client(server, "doctor")
    assert (await doctor.call("call_join", {"room_id": room}))["ok"]
    patient, patient_id = await harness.admitted_guest(
        server, room, doctor, "Kari Nordmann", join_call=True
    )
    return Consultation(server, room, doctor, doctor_id, patient, patient_id)


def state_of(peer_id: str, state: str) -> Any:
    return roster_where(lambda m: m.get(peer_id, {}).get("state") == state)


async def test_roster_is_pushed_to_everyone_on_every_change(harness: Harness) -> None:
    c = await consultation(harness)
    await c.patient.wait_for(
        "roster", roster_where(lambda m: set(m) == {c.doctor_id, c.patient_id})
    )
    interpreter, interpreter_id = await harness.admitted_guest(
        c.server, c.room, c.doctor, "Per Tolk", Role.INTERPRETER, join_call=True
    )
    everyone = {c.doctor_id, c.patient_id, interpreter_id}
    for client in (c.doctor, c.patient, interpreter):
        roster = await client.wait_for("roster", roster_where(lambda m: set(m) == everyone))
        members = {m["peer_id"]: m for m in roster["members"]}
        assert members[interpreter_id]["role"] == "interpreter"
        assert members[interpreter_id]["name"] == "Per Tolk"
        assert members[c.doctor_id] == {
            "peer_id": c.doctor_id,
            "kind": "clinician",
            "role": "clinician",
            "name": "Doctor",
            "state": "in_call",
            "reconnecting": False,
        }
    assert (await interpreter.call("leave"))["ok"]
    for client in (c.doctor, c.patient):
        await client.wait_for(
            "roster", roster_where(lambda m: set(m) == {c.doctor_id, c.patient_id})
        )
    assert (await c.doctor.call("call_leave", {"room_id": c.room}))["ok"]
    await c.patient.wait_for("roster", roster_where(lambda m: set(m) == {c.patient_id}))


async def test_pause_and_resume_reach_both_sides(harness: Harness) -> None:
    c = await consultation(harness)
    assert (await c.doctor.call("pause", {"visit_id": c.patient_id}))["visit"]["state"] == "paused"
    await c.patient.wait_for("visit", visit_in("paused"))
    await c.doctor.wait_for("roster", state_of(c.patient_id, "paused"))
    assert (await c.doctor.call("resume", {"visit_id": c.patient_id}))["ok"]
    await c.patient.wait_for(
        "visit",
        lambda v: (
            v["state"] == "in_call"
            and len([e for e in c.patient.received("visit") if e["state"] == "paused"]) == 1
        ),
    )
    await c.doctor.wait_for("roster", state_of(c.patient_id, "in_call"))
    refused = await c.patient.call("resume")
    assert refused["error"] == "not_permitted"


async def test_someone_came_into_my_room_pauses_and_tells_the_clinician(harness: Harness) -> None:
    c = await consultation(harness)
    ack = await c.patient.call("request_pause")
    assert ack["visit"]["state"] == "paused"
    lobby = await c.doctor.wait_for(
        "lobby", lambda p: any(v["state"] == "paused" for v in p["visits"])
    )
    assert lobby["visits"][0]["detail"] == "guest_request"
    await c.doctor.wait_for("roster", state_of(c.patient_id, "paused"))
    assert (await c.patient.call("request_pause"))["error"] == "invalid_transition"


async def test_send_back_returns_the_guest_to_the_waiting_room(harness: Harness) -> None:
    c = await consultation(harness)
    assert (await c.doctor.call("send_back", {"visit_id": c.patient_id}))["ok"]
    back = await c.patient.wait_for("visit", visit_in("waiting"))
    assert back["waiting_since"] is not None
    await c.doctor.wait_for("roster", roster_where(lambda m: set(m) == {c.doctor_id}))
    refused = await c.patient.call("tech_message", {"code": "cant_hear_you"})
    assert refused["error"] == "not_in_call"
    assert (await c.patient.call("call_join"))["error"] == "not_in_call"


async def test_end_and_move_to_phone_end_the_visit_with_the_reason(harness: Harness) -> None:
    c = await consultation(harness)
    companion, companion_id = await harness.admitted_guest(
        c.server, c.room, c.doctor, "Ola", Role.COMPANION, join_call=True
    )
    assert (await c.doctor.call("move_to_phone", {"visit_id": companion_id}))["ok"]
    assert (await companion.wait_for("visit", visit_in("ended")))["end_reason"] == (
        "moved_to_phone"
    )
    assert (await c.doctor.call("end", {"visit_id": c.patient_id}))["ok"]
    assert (await c.patient.wait_for("visit", visit_in("ended")))["end_reason"] == "completed"
    await c.doctor.wait_for("lobby", lambda p: p["visits"] == [])


async def test_technical_messages_are_fixed_codes_to_the_others(harness: Harness) -> None:
    c = await consultation(harness)
    interpreter, interpreter_id = await harness.admitted_guest(
        c.server, c.room, c.doctor, "Per Tolk", Role.INTERPRETER, join_call=True
    )
    assert (await c.patient.call("tech_message", {"code": "cant_hear_you"}))["ok"]
    for client in (c.doctor, interpreter):
        message = await client.wait_for("tech_message")
        assert message == {"from": c.patient_id, "code": "cant_hear_you"}
    ack = await c.doctor.call("tech_message", {"room_id": c.room, "code": "will_call_by_phone"})
    assert ack["ok"]
    message = await c.patient.wait_for("tech_message", lambda m: m["from"] == c.doctor_id)
    assert message["code"] == "will_call_by_phone"
    assert c.patient.received("tech_message") == [message], "a sender does not hear itself"
    refused = await c.doctor.call("tech_message", {"room_id": c.room, "code": "Please undress"})
    assert refused["error"] == "invalid_payload"


async def test_leave_during_the_call(harness: Harness) -> None:
    c = await consultation(harness)
    assert (await c.patient.call("leave"))["visit"]["end_reason"] == "left"
    await c.doctor.wait_for("roster", roster_where(lambda m: set(m) == {c.doctor_id}))
