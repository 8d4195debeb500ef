"""In-call controls at the socket level: what every participant receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lobby.model import Role
from tests.fixtures.servers import JOIN_DETAILS, Client, Harness, Running, visit_in


def roster_where(check: Any) -> Any:
    return lambda roster: check({m["peer_id"]: m for m in roster["members"]})


async def in_call(
    harness: Harness,
    server: Running,
    room: str,
    doctor: Client,
    name: str,
    role: Role = Role.PATIENT,
) -> tuple[Client, str]:
    guest = await harness.guest(server, harness.invite(room, role))
    visit_id = (await guest.call("join", {**JOIN_DETAILS, "display_name": name}))["visit"][
        "visit_id"
    ]
    assert (await doctor.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    assert (await guest.call("call_join"))["ok"]
    return guest, visit_id


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
    doctor_id = harness.clinician("doctor")
    room = harness.room(doctor_id)
    doctor = await harness.clinician_client(server, "doctor")
    assert (await doctor.call("call_join", {"room_id": room}))["ok"]
    patient, patient_id = await in_call(harness, server, room, doctor, "Kari Nordmann")
    return Consultation(server, room, doctor, doctor_id, patient, patient_id)


def state_of(peer_id: str, state: str) -> Any:
    return roster_where(lambda m: m.get(peer_id, {}).get("state") == state)


async def test_roster_is_pushed_to_everyone_on_every_change(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    await patient.wait_for("roster", roster_where(lambda m: set(m) == {doctor_id, patient_id}))
    interpreter, interpreter_id = await in_call(
        harness, server, room, doctor, "Per Tolk", Role.INTERPRETER
    )
    everyone = {doctor_id, patient_id, interpreter_id}
    for client in (doctor, patient, interpreter):
        roster = await client.wait_for("roster", roster_where(lambda m: set(m) == everyone))
        members = {m["peer_id"]: m for m in roster["members"]}
        assert members[interpreter_id]["role"] == "interpreter"
        assert members[interpreter_id]["name"] == "Per Tolk"
        assert members[doctor_id] == {
            "peer_id": doctor_id,
            "kind": "clinician",
            "role": "clinician",
            "name": "Doctor",
            "state": "in_call",
            "reconnecting": False,
        }
    assert (await interpreter.call("leave"))["ok"]
    for client in (doctor, patient):
        await client.wait_for("roster", roster_where(lambda m: set(m) == {doctor_id, patient_id}))
    assert (await doctor.call("call_leave", {"room_id": room}))["ok"]
    await patient.wait_for("roster", roster_where(lambda m: set(m) == {patient_id}))


async def test_pause_and_resume_reach_both_sides(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    assert (await doctor.call("pause", {"visit_id": patient_id}))["visit"]["state"] == "paused"
    await patient.wait_for("visit", visit_in("paused"))
    await doctor.wait_for("roster", state_of(patient_id, "paused"))
    assert (await doctor.call("resume", {"visit_id": patient_id}))["ok"]
    await patient.wait_for(
        "visit",
        lambda v: (
            v["state"] == "in_call"
            and len([e for e in patient.received("visit") if e["state"] == "paused"]) == 1
        ),
    )
    await doctor.wait_for("roster", state_of(patient_id, "in_call"))
    refused = await patient.call("resume")
    assert refused["error"] == "not_permitted"


async def test_someone_came_into_my_room_pauses_and_tells_the_clinician(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    ack = await patient.call("request_pause")
    assert ack["visit"]["state"] == "paused"
    lobby = await doctor.wait_for(
        "lobby", lambda p: any(v["state"] == "paused" for v in p["visits"])
    )
    assert lobby["visits"][0]["detail"] == "guest_request"
    await doctor.wait_for("roster", state_of(patient_id, "paused"))
    assert (await patient.call("request_pause"))["error"] == "invalid_transition"


async def test_send_back_returns_the_guest_to_the_waiting_room(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    assert (await doctor.call("send_back", {"visit_id": patient_id}))["ok"]
    back = await patient.wait_for("visit", visit_in("waiting"))
    assert back["waiting_since"] is not None
    await doctor.wait_for("roster", roster_where(lambda m: set(m) == {doctor_id}))
    refused = await patient.call("tech_message", {"code": "cant_hear_you"})
    assert refused["error"] == "not_in_call"
    assert (await patient.call("call_join"))["error"] == "not_in_call"


async def test_end_and_move_to_phone_end_the_visit_with_the_reason(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    companion, companion_id = await in_call(harness, server, room, doctor, "Ola", Role.COMPANION)
    assert (await doctor.call("move_to_phone", {"visit_id": companion_id}))["ok"]
    assert (await companion.wait_for("visit", visit_in("ended")))["end_reason"] == (
        "moved_to_phone"
    )
    assert (await doctor.call("end", {"visit_id": patient_id}))["ok"]
    assert (await patient.wait_for("visit", visit_in("ended")))["end_reason"] == "completed"
    await doctor.wait_for("lobby", lambda p: p["visits"] == [])


async def test_technical_messages_are_fixed_codes_to_the_others(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    interpreter, interpreter_id = await in_call(
        harness, server, room, doctor, "Per Tolk", Role.INTERPRETER
    )
    assert (await patient.call("tech_message", {"code": "cant_hear_you"}))["ok"]
    for client in (doctor, interpreter):
        message = await client.wait_for("tech_message")
        assert message == {"from": patient_id, "code": "cant_hear_you"}
    ack = await doctor.call("tech_message", {"room_id": room, "code": "will_call_by_phone"})
    assert ack["ok"]
    message = await patient.wait_for("tech_message", lambda m: m["from"] == doctor_id)
    assert message["code"] == "will_call_by_phone"
    assert patient.received("tech_message") == [message], "a sender does not hear itself"
    refused = await doctor.call("tech_message", {"room_id": room, "code": "Please undress"})
    assert refused["error"] == "invalid_payload"


async def test_leave_during_the_call(harness: Harness) -> None:
    c = await consultation(harness)
    server, room, doctor, patient = c.server, c.room, c.doctor, c.patient
    patient_id, doctor_id = c.patient_id, c.doctor_id
    assert (await patient.call("leave"))["visit"]["end_reason"] == "left"
    await doctor.wait_for("roster", roster_where(lambda m: set(m) == {doctor_id}))
