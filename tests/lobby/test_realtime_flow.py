"""Socket-level lobby flows with real servers and real socket.io clients, on both stores."""

from __future__ import annotations

from tests.fixtures.servers import Harness, lobby_with, visit_in

JOIN = {"display_name": "Kari Nordmann", "consent": True, "present": ["Ola (husband)"],
        "device_check": "passed"}


async def test_guest_joins_clinician_sees_admits_guest_notified(harness: Harness) -> None:
    server = await harness.server()
    doctor = harness.clinician("doctor")
    room = harness.room(doctor)
    clinician = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, harness.invite(room))
    await guest.wait_for("visit", visit_in("checking"))

    ack = await guest.call("join", JOIN)
    assert ack["ok"] and ack["visit"]["state"] == "waiting"
    lobby = await clinician.wait_for("lobby", lobby_with(room, 1))
    entry = lobby["visits"][0]
    assert entry["display_name"] == "Kari Nordmann"
    assert entry["present"] == ["Ola (husband)"]
    assert entry["identity_checked"] is False
    assert entry["device_check"] == "passed"
    assert entry["waiting_since"] > 0

    ack = await clinician.call("admit", {"visit_id": entry["visit_id"]})
    assert ack["ok"], ack
    await guest.wait_for("visit", visit_in("in_call"))
