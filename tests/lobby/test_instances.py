"""Two server instances on one Redis: guest on A, clinician on B."""

from __future__ import annotations

import pytest

from tests.fixtures.servers import JOIN_DETAILS, Harness, lobby_with, visit_in


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_guest_on_a_and_clinician_on_b_join_admit_and_notice(harness: Harness) -> None:
    a, b = await harness.server(), await harness.server()
    room = harness.room(harness.clinician("doctor"))
    clinician = await harness.clinician_client(b, "doctor")
    guest = await harness.guest(a, harness.invite(room))
    waiting = await harness.guest(a, harness.invite(room))

    await guest.call("join", JOIN_DETAILS)
    await waiting.call("join", {**JOIN_DETAILS, "display_name": "Second Guest"})
    lobby = await clinician.wait_for("lobby", lobby_with(room, 2))
    first_id = next(v["visit_id"] for v in lobby["visits"] if v["display_name"] == "Kari Nordmann")

    assert (await clinician.call("notice", {"room_id": room, "code": "ready_soon"}))["ok"]
    assert (await guest.wait_for("notice"))["code"] == "ready_soon"
    assert (await clinician.call("admit", {"visit_id": first_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    assert (
        await clinician.call(
            "deny", {"visit_id": lobby["visits"][1]["visit_id"], "reason": "not_expected"}
        )
    )["ok"]
    assert (await waiting.wait_for("visit", visit_in("ended")))["end_reason"] == "denied"


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_an_instance_acts_on_the_current_visit_not_its_own_last_copy(
    harness: Harness,
) -> None:
    a, b = await harness.server(), await harness.server()
    room = harness.room(harness.clinician("doctor"))
    on_a = await harness.clinician_client(a, "doctor")
    on_b = await harness.clinician_client(b, "doctor")
    guest = await harness.guest(a, harness.invite(room))
    visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]

    # A last saw the visit waiting; B admits it; then A is asked for what only the
    # admitted visit allows, and for what only the waiting one allowed.
    assert (await on_b.call("admit", {"visit_id": visit_id}))["ok"]
    await guest.wait_for("visit", visit_in("in_call"))
    pause = await on_a.call("pause", {"visit_id": visit_id})
    assert pause["ok"], pause
    assert (await guest.wait_for("visit", visit_in("paused")))["visit_id"] == visit_id
    again = await on_a.call("admit", {"visit_id": visit_id})
    assert again == {"ok": False, "error": "invalid_transition", "message": again.get("message")}
