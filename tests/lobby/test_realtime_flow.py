"""Socket-level lobby flows with real servers and real socket.io clients, on both stores."""

from __future__ import annotations

from lobby.keys import SERVICE
from tests.fixtures.servers import JOIN_DETAILS as JOIN
from tests.fixtures.servers import Harness, lobby_with, visit_in


async def test_guest_joins_clinician_sees_admits_guest_notified(harness: Harness) -> None:
    server = await harness.server()
    doctor = await harness.clinician("doctor")
    room = await harness.room(doctor)
    clinician = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, await harness.invite(room))
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


async def test_deny_ends_the_visit_with_the_reason(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(server, "doctor")
    guest, visit_id = await harness.waiting_guest(server, room)

    ack = await clinician.call("deny", {"visit_id": visit_id, "reason": "reschedule"})
    assert ack["ok"], ack
    ended = await guest.wait_for("visit", visit_in("ended"))
    assert (ended["end_reason"], ended["detail"]) == ("denied", "reschedule")
    assert ended["display_name"] == ""
    await clinician.wait_for("lobby", lobby_with(room, 0))
    refused = await clinician.call("deny", {"visit_id": visit_id, "reason": "made_up"})
    assert refused == {"ok": False, "error": "invalid_payload", "message": refused["message"]}


async def test_admit_all_admits_every_waiting_guest_of_the_room_only(harness: Harness) -> None:
    server = await harness.server()
    doctor = await harness.clinician("doctor")
    room, other_room = await harness.room(doctor), await harness.room(doctor, name="Other")
    clinician = await harness.clinician_client(server, "doctor")
    first, _ = await harness.waiting_guest(server, room, "Patient One")
    second, _ = await harness.waiting_guest(server, room, "Companion Two")
    elsewhere, _ = await harness.waiting_guest(server, other_room, "Someone Else")
    await clinician.wait_for("lobby", lobby_with(room, 2))

    ack = await clinician.call("admit_all", {"room_id": room})
    assert ack["ok"] and len(ack["admitted"]) == 2
    await first.wait_for("visit", visit_in("in_call"))
    await second.wait_for("visit", visit_in("in_call"))
    lobby = await clinician.wait_for(
        "lobby", lambda p: p["room_id"] == room and {v["state"] for v in p["visits"]} == {"in_call"}
    )
    assert len(lobby["visits"]) == 2
    assert [v["state"] for v in elsewhere.received("visit")][-1] == "waiting"


async def test_notice_reaches_waiting_guests_and_greets_late_arrivals(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(server, "doctor")
    guest, _ = await harness.waiting_guest(server, room)

    ack = await clinician.call("notice", {"room_id": room, "code": "running_late", "minutes": 10})
    assert ack["ok"], ack
    notice = await guest.wait_for("notice")
    assert (notice["code"], notice["minutes"]) == ("running_late", 10)

    late, _ = await harness.waiting_guest(server, room, "Late Arrival")
    await late.close()
    again = await harness.guest(server, await harness.invite(room))
    assert again.received("notice") == []  # not waiting yet: no notice
    # A reloaded page learns the notice too, if (and only if) its guest is waiting.
    url = f"{server.base_url}/api/guest/session"
    async with guest.http.get(url) as response:
        state = await response.json()
    assert (state["visit"]["state"], state["notice"]["code"]) == ("waiting", "running_late")
    async with again.http.get(url) as response:
        assert (await response.json())["notice"] is None
    http, opened = await harness.open_link(server, await harness.invite(room))
    await http.close()
    assert (opened["visit"]["state"], opened["notice"]) == ("checking", None)
    bad = await clinician.call("notice", {"room_id": room, "code": "running_late", "minutes": 500})
    assert bad["error"] == "invalid_payload"
    free_text = await clinician.call("notice", {"room_id": room, "code": "Come in now!"})
    assert free_text["error"] == "invalid_payload"


async def test_leave_and_withdraw_end_the_visit_and_empty_the_lobby(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(server, "doctor")
    leaver, _ = await harness.waiting_guest(server, room, "Leaver")
    withdrawer, _ = await harness.waiting_guest(server, room, "Withdrawer")
    await clinician.wait_for("lobby", lobby_with(room, 2))

    assert (await leaver.call("leave"))["visit"]["end_reason"] == "left"
    assert (await withdrawer.call("withdraw"))["visit"]["end_reason"] == "withdrawn"
    await clinician.wait_for("lobby", lobby_with(room, 0))
    again = await leaver.call("leave")
    assert (again["ok"], again["error"]) == (False, "invalid_transition")


async def test_lobby_lists_expected_guests_until_they_join(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    late_token = await harness.invite(room, start_in=-600)  # due ten minutes ago, not here
    await harness.invite(room, start_in=2 * 86400)  # another day: not on today's list
    clinician = await harness.clinician_client(server, "doctor")
    first = await clinician.wait_for("lobby", lambda p: p["room_id"] == room)
    assert [e["state"] for e in first["expected"]] == ["invited"]
    assert first["expected"][0]["appointment_start"] < server.app[SERVICE].clock()
    assert "display_name" not in first["expected"][0]

    guest = await harness.guest(server, late_token)
    opened = await clinician.wait_for(
        "lobby", lambda p: [e["state"] for e in p["expected"]] == ["checking"]
    )
    assert opened["visits"] == []
    await guest.call("join", JOIN)
    joined = await clinician.wait_for("lobby", lobby_with(room, 1))
    assert joined["expected"] == []


async def test_opening_the_link_again_keeps_the_place_or_starts_over_after_leaving(
    harness: Harness,
) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(server, "doctor")
    token = await harness.invite(room)
    guest = await harness.guest(server, token)
    visit_id = (await guest.call("join", JOIN))["visit"]["visit_id"]

    http, again = await harness.open_link(server, token)
    await http.close()
    assert (again["visit"]["visit_id"], again["visit"]["state"]) == (visit_id, "waiting")

    assert (await guest.call("leave"))["ok"]
    http, after_leaving = await harness.open_link(server, token)
    await http.close()
    assert after_leaving["visit"]["state"] == "checking", "a guest who left may start over"

    denied = await harness.guest(server, (other := await harness.invite(room)))
    denied_id = (await denied.call("join", JOIN))["visit"]["visit_id"]
    deny = {"visit_id": denied_id, "reason": "not_expected"}
    assert (await clinician.call("deny", deny))["ok"]
    http, after_denial = await harness.open_link(server, other)
    await http.close()
    assert after_denial["visit"]["state"] == "ended"
    assert after_denial["visit"]["end_reason"] == "denied"
