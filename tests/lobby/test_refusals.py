"""Every refused action gets a clear error code and changes nothing."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest
import socketio

from lobby.domain import invites
from lobby.domain.model import Role
from lobby.keys import STORE
from tests.fixtures.servers import JOIN_DETAILS, Harness, Running, lobby_with, visit_in


async def _lobby_states(harness: Harness, server: Running, username: str, room: str) -> list[str]:
    watcher = await harness.clinician_client(server, username)
    lobby = await watcher.wait_for("lobby", lambda p: p["room_id"] == room)
    await watcher.close()
    return [v["state"] for v in lobby["visits"]]


async def test_a_guest_cannot_admit_or_act_as_clinician(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    guest = await harness.guest(server, await harness.invite(room))
    joined = await guest.call("join", JOIN_DETAILS)
    visit_id = joined["visit"]["visit_id"]

    for event in ("admit", "admit_all", "deny", "notice", "pause", "end"):
        ack = await guest.call(event, {"visit_id": visit_id})
        assert (ack["ok"], ack["error"]) == (False, "not_permitted"), event
    assert (await guest.call("self_destruct"))["error"] == "unknown_event"
    assert await _lobby_states(harness, server, "doctor", room) == ["waiting"]
    assert guest.received("visit")[-1]["state"] == "waiting"


async def test_a_guest_cookie_does_not_open_the_clinician_namespace(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    http, _ = await harness.open_link(server, await harness.invite(room))
    cookie = "; ".join(f"venterom_session={c.value}" for c in http.cookie_jar)
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.base_url,
            namespaces=["/clinician"],
            transports=["websocket"],
            headers={"Cookie": cookie, "Origin": server.base_url},
            wait_timeout=5,
        )
    await client.disconnect()
    await http.close()


@pytest.mark.parametrize("namespace", ["/guest", "/clinician"])
@pytest.mark.parametrize("cookie", ["", "venterom_guest=forged; venterom_session=forged"])
async def test_no_session_no_connection(harness: Harness, namespace: str, cookie: str) -> None:
    server = await harness.server()
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[object] = []
    client.on("connect_error", refusals.append, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.base_url,
            namespaces=[namespace],
            transports=["websocket"],
            headers={"Cookie": cookie, "Origin": server.base_url}
            if cookie
            else {"Origin": server.base_url},
            wait_timeout=5,
        )
    await client.disconnect()
    assert refusals == [{"message": "unauthenticated"}]


async def test_a_clinician_cannot_touch_another_clinicians_room(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    await harness.room(await harness.clinician("intruder"), name="Intruder's room")
    intruder = await harness.clinician_client(server, "intruder")
    guest = await harness.guest(server, await harness.invite(room))
    visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]

    for event, payload in [
        ("admit", {"visit_id": visit_id}),
        ("deny", {"visit_id": visit_id, "reason": "wrong_room"}),
        ("check_identity", {"visit_id": visit_id}),
        ("move_to_phone", {"visit_id": visit_id}),
        ("admit_all", {"room_id": room}),
        ("notice", {"room_id": room, "code": "ready_soon"}),
        ("lobby", {"room_id": room}),
    ]:
        ack = await intruder.call(event, payload)
        assert (ack["ok"], ack["error"]) == (False, "not_found"), event
    assert all(p["room_id"] != room for p in intruder.received("lobby"))
    assert guest.received("notice") == []
    assert await _lobby_states(harness, server, "doctor", room) == ["waiting"]


async def test_bad_payloads_are_refused_without_change(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, await harness.invite(room))
    for payload in [
        None,
        "Kari",
        {**JOIN_DETAILS, "display_name": ""},
        {**JOIN_DETAILS, "display_name": "x" * 65},
        {**JOIN_DETAILS, "display_name": "\u0000\u200b"},
        {**JOIN_DETAILS, "consent": "yes"},
        {**JOIN_DETAILS, "consent": False},
        {**JOIN_DETAILS, "present": ["a"] * 7},
        {**JOIN_DETAILS, "device_check": "great"},
        {**JOIN_DETAILS, "admitted": True},
    ]:
        ack = await guest.call("join", payload)
        assert (ack["ok"], ack["error"]) == (False, "invalid_payload"), payload
    assert guest.received("visit")[-1]["state"] == "checking"
    for payload in [None, {}, {"visit_id": 42}, {"visit_id": "v" * 65}, {"visit_id": "nope"}]:
        ack = await clinician.call("admit", payload)
        assert ack["ok"] is False and ack["error"] in {"invalid_payload", "not_found"}, payload


async def test_display_name_is_normalised(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    clinician = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, await harness.invite(room))
    ack = await guest.call("join", {**JOIN_DETAILS, "display_name": "  Kåre\u0007  Cafe\u0301\n"})
    assert ack["visit"]["display_name"] == "Kåre Café"
    lobby = await clinician.wait_for("lobby", lobby_with(room, 1))
    assert lobby["visits"][0]["display_name"] == "Kåre Café"


async def _exchange(server: Running, token: str) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.base_url}/api/guest/session", json={"token": token}) as response,
    ):
        return response.status, await response.json()


async def test_bad_invitation_tokens_are_refused_plainly(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    other_room = await harness.room(await harness.clinician("other"))
    good = await harness.invite(room)
    body, mac = good.split(".")
    scheduled = await harness.directory.schedule.add(
        other_room, Role.PATIENT, time.time(), time.time() + 600
    )
    mismatched = invites.sign(
        invites.Invitation(room, scheduled.visit_id, Role.PATIENT, 0, time.time() + 600, 0, 0),
        harness.secret,
    )
    cases = {
        "expired": (await harness.invite(room, start_in=-10 * 3600), 410, "token_expired"),
        "early": (await harness.invite(room, start_in=24 * 3600), 425, "token_not_yet_valid"),
        "forged": (await harness.invite(room, secret="not-the-secret"), 400, "invalid_token"),
        "tampered": (body[:-2] + "xx." + mac, 400, "invalid_token"),
        "garbage": ("hello", 400, "invalid_token"),
        "other room": (mismatched, 400, "invalid_token"),
    }
    for name, (token, status, code) in cases.items():
        got_status, got = await _exchange(server, token)
        assert (got_status, got["error"]) == (status, code), name
        assert "room" not in got and "visit" not in got, name
    assert await _lobby_states(harness, server, "doctor", room) == []
    assert (await _exchange(server, good))[0] == 200


async def test_guest_of_one_room_never_sees_another_room(harness: Harness) -> None:
    server = await harness.server()
    room, other_room = (
        await harness.room(await harness.clinician("doctor")),
        await harness.room(await harness.clinician("b")),
    )
    other_clinician = await harness.clinician_client(server, "b")
    guest = await harness.guest(server, await harness.invite(room))
    await guest.call("join", JOIN_DETAILS)
    neighbour = await harness.guest(server, await harness.invite(other_room))
    await neighbour.call("join", {**JOIN_DETAILS, "display_name": "Neighbour"})
    await other_clinician.wait_for("lobby", lobby_with(other_room, 1))
    await other_clinician.call("admit_all", {"room_id": other_room})
    await neighbour.wait_for("visit", visit_in("in_call"))

    seen = [name for name, _ in guest.events]
    assert set(seen) <= {"visit", "notice"}
    assert all(
        v["visit_id"] == guest.received("visit")[0]["visit_id"] for v in guest.received("visit")
    )
    assert all(p["room_id"] == other_room for p in other_clinician.received("lobby"))


async def test_repeated_wrong_passwords_lock_only_that_address_out(harness: Harness) -> None:
    """Five misses for one account from one address lock that pair: the clinician at
    their own desk still logs in, and the answer says when to try again."""
    server = await harness.server(trusted_proxies=("127.0.0.1",))
    await harness.clinician("doctor")

    async def log_in(password: str, address: str) -> tuple[int, dict[str, Any], str]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{server.base_url}/api/login",
                json={"username": "doctor", "password": password},
                headers={"X-Forwarded-For": address},
            ) as response,
        ):
            return response.status, await response.json(), response.headers.get("Retry-After", "")

    attacker, desk = "203.0.113.66", "198.51.100.10"
    statuses = [(await log_in("guess", attacker))[:2] for _ in range(6)]
    assert [s for s, _ in statuses[:5]] == [401] * 5
    status, body, retry_after = await log_in("correct horse battery", attacker)
    assert (status, body["error"]) == (429, "rate_limited"), "even the right password waits"
    assert 0 < body["retry_after"] <= 15 * 60 and retry_after == str(body["retry_after"])
    assert (await log_in("correct horse battery", desk))[0] == 200, "not locked out"
    assert (await log_in("guess", "not-an-address, " + desk))[0] == 401


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_a_session_whose_visit_is_long_gone_is_refused(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    guest, visit_id = await harness.waiting_guest(server, room)
    await guest.call("leave")
    server.app[STORE]._visits.pop(visit_id)  # type: ignore[attr-defined]  # the tombstone expired
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[object] = []
    client.on("connect_error", refusals.append, namespace="/guest")
    cookie = "; ".join(f"{c.key}={c.value}" for c in guest.http.cookie_jar)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.base_url,
            namespaces=["/guest"],
            transports=["websocket"],
            headers={"Cookie": cookie, "Origin": server.base_url},
            wait_timeout=5,
        )
    await client.disconnect()
    assert refusals == [{"message": "unauthenticated"}]
