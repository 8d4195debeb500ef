"""Racing clinicians and guests leave exactly one outcome, on both stores."""

from __future__ import annotations

import asyncio

from tests.fixtures.servers import JOIN_DETAILS, Harness, visit_in


async def test_100_concurrent_admits_from_two_connections_admit_once(harness: Harness) -> None:
    server = await harness.server()
    first, second = await harness.clinician("first"), await harness.clinician("second")
    room = await harness.room(first, second)
    doctors = [await harness.clinician_client(server, name) for name in ("first", "second")]
    guest = await harness.guest(server, await harness.invite(room))
    visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]

    acks = await asyncio.gather(
        *(doctors[i % 2].call("admit", {"visit_id": visit_id}) for i in range(100))
    )
    assert sum(ack["ok"] for ack in acks) == 1
    assert {ack["error"] for ack in acks if not ack["ok"]} <= {"invalid_transition", "conflict"}
    await guest.wait_for("visit", visit_in("in_call"))
    await asyncio.sleep(0.2)  # anything more would arrive now
    assert [v["state"] for v in guest.received("visit")] == ["checking", "waiting", "in_call"]


async def test_admit_racing_leave_has_one_consistent_outcome(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    for _ in range(10):
        guest = await harness.guest(server, await harness.invite(room))
        visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]
        admit, leave = await asyncio.gather(
            doctor.call("admit", {"visit_id": visit_id}), guest.call("leave")
        )
        assert leave["ok"], "a guest may always leave"
        ended = await guest.wait_for("visit", visit_in("ended"))
        assert ended["end_reason"] == "left"
        states = [v["state"] for v in guest.received("visit")]
        expected = (
            ["checking", "waiting", "in_call", "ended"]
            if admit["ok"]
            else ["checking", "waiting", "ended"]
        )
        assert states == expected
        await guest.close()
    lobby = await doctor.call("lobby", {"room_id": room})
    assert lobby["lobby"]["visits"] == []
