"""The call through real servers: real aiortc peers as guest and clinician, relayed by the
server only between participants admitted to the same call."""

from __future__ import annotations

from signaling.policy import offerer
from tests.fixtures.calls import CallPeer, close_to
from tests.fixtures.servers import JOIN_DETAILS, Harness

GUEST_RED = (220, 40, 40)
CLINICIAN_BLUE = (40, 60, 220)


async def test_admitted_guest_and_clinician_see_and_hear_each_other(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor_client = await harness.clinician_client(server, "doctor")
    guest_client, _ = await harness.admitted_guest(server, room, doctor_client)
    doctor = CallPeer(doctor_client, CLINICIAN_BLUE, room_id=room)
    guest = CallPeer(guest_client, GUEST_RED)
    try:
        joined = await doctor.join()
        assert joined["ok"], joined
        guest_join = await guest.join()
        assert [m["kind"] for m in guest_join["roster"]["members"]] == ["clinician", "guest"]
        first, second = sorted([doctor, guest], key=lambda p: p.peer_id)
        assert offerer(doctor.peer_id, guest.peer_id) == first.peer_id
        assert (await first.offer_to(second.peer_id))["ok"]

        await doctor.connected(guest.peer_id)
        await guest.connected(doctor.peer_id)
        seen_by_guest = await guest.frames_from(doctor.peer_id)
        seen_by_doctor = await doctor.frames_from(guest.peer_id)
        assert close_to(seen_by_guest.centre, CLINICIAN_BLUE), seen_by_guest.centre
        assert close_to(seen_by_doctor.centre, GUEST_RED), seen_by_doctor.centre
        assert seen_by_guest.peak > 1000 and seen_by_doctor.peak > 1000
    finally:
        await doctor.close()
        await guest.close()


async def test_before_admission_a_guest_can_neither_join_nor_signal(harness: Harness) -> None:
    server = await harness.server(turn_urls=("turn:turn.example:3478",), turn_secret="s3cret")
    room = await harness.room(await harness.clinician("doctor"))
    doctor_client = await harness.clinician_client(server, "doctor")
    doctor = CallPeer(doctor_client, CLINICIAN_BLUE, room_id=room)
    waiting_client = await harness.guest(server, await harness.invite(room))
    await waiting_client.call("join", JOIN_DETAILS)
    waiting = CallPeer(waiting_client, GUEST_RED)
    try:
        joined = await doctor.join()
        assert any("turn:turn.example:3478" in s["urls"] for s in joined["ice_servers"])
        refused = await waiting.join()
        assert (refused["ok"], refused["error"]) == (False, "not_in_call")
        assert "ice_servers" not in refused
        sent = await waiting.offer_to(doctor.peer_id)
        assert (sent["ok"], sent["error"]) == (False, "not_in_call")
        assert doctor.signals == []
    finally:
        await doctor.close()
        await waiting.close()


async def test_a_peer_in_another_room_can_never_reach_them(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    other_room = await harness.room(await harness.clinician("other"))
    doctor_client = await harness.clinician_client(server, "doctor")
    other_client = await harness.clinician_client(server, "other")
    guest_client, _ = await harness.admitted_guest(server, room, doctor_client)
    stranger_client, _ = await harness.admitted_guest(server, other_room, other_client, "Stranger")
    doctor = CallPeer(doctor_client, CLINICIAN_BLUE, room_id=room)
    guest = CallPeer(guest_client, GUEST_RED)
    other = CallPeer(other_client, CLINICIAN_BLUE, room_id=other_room)
    stranger = CallPeer(stranger_client, GUEST_RED)
    try:
        for peer in (doctor, guest, other, stranger):
            assert (await peer.join())["ok"]
        for sender, target in [
            (stranger, guest),
            (stranger, doctor),
            (other, guest),
            (other, doctor),
        ]:
            ack = await sender.offer_to(target.peer_id)
            assert (ack["ok"], ack["error"]) == (False, "unknown_peer")
        intruding = await other.client.call("call_join", {"room_id": room})
        assert intruding["error"] == "not_found"
        sneaky = await other.client.call(
            "signal", {"room_id": room, "to": guest.peer_id, "candidate": {"candidate": ""}}
        )
        assert sneaky["error"] == "not_found"
        assert doctor.signals == [] and guest.signals == []
        assert all(p["room_id"] == room for p in guest.client.received("roster"))
    finally:
        for peer in (doctor, guest, other, stranger):
            await peer.close()


async def test_malformed_signals_are_refused_and_not_relayed(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor_client = await harness.clinician_client(server, "doctor")
    guest_client, _ = await harness.admitted_guest(server, room, doctor_client)
    doctor = CallPeer(doctor_client, CLINICIAN_BLUE, room_id=room)
    guest = CallPeer(guest_client, GUEST_RED)
    assert (await doctor.join())["ok"] and (await guest.join())["ok"]
    sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    cases = [
        ({"description": {"type": "offer", "sdp": sdp}}, "sdp_missing_fingerprint"),
        # 50 KiB of SDP in a message under the 64 KiB cap (JSON escapes each CR LF).
        (
            {"description": {"type": "offer", "sdp": sdp + ("a=" + "x" * 60 + "\r\n") * 800}},
            "sdp_too_large",
        ),
        ({"description": {"type": "rollback", "sdp": sdp}}, "unknown_sdp_type"),
        (
            {"description": {"type": "offer", "sdp": sdp}, "candidate": {"candidate": ""}},
            "invalid_payload",
        ),
        ({"candidate": {"candidate": "x" * 2000, "sdpMid": "0"}}, "candidate_too_large"),
        ({"chat": "hello"}, "invalid_payload"),
    ]
    for body, code in cases:
        ack = await guest.send(doctor.peer_id, **body)
        assert (ack["ok"], ack["error"]) == (False, code), code
    for bad in ["Hello doctor, I feel worse", "self_destruct", None]:
        ack = await guest.client.call("tech_message", {"code": bad})
        assert ack["error"] == "invalid_payload"
    assert doctor.signals == []
    assert doctor_client.received("tech_message") == []
    await doctor.close()
    await guest.close()
