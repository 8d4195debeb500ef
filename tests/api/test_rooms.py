"""`/api/v1/rooms`: create, list page by page, read, owners, close, and the state now."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, soon, token_of
from tests.fixtures.servers import JOIN_DETAILS

memory = pytest.mark.parametrize("store_kind", ["memory"])


@memory
async def test_create_read_and_list_a_room(api: Api) -> None:
    await api.harness.clinician("nurse")
    body = {
        "name": "  Poliklinikk   for barn ",
        "clinic_name": "Jæren DPS",
        "clinic_phone": "+47 51 00 00 00",
        "time_zone": "Arctic/Longyearbyen",
        "owners": ["doctor", "NURSE"],
    }
    created = await api.call("POST", "/rooms", body=body)
    assert created.status == 201, created.text
    room = created.json
    assert room["name"] == "Poliklinikk for barn", "spaces tidied"
    assert room["owners"] == ["doctor", "nurse"]
    assert room["time_zone"] == "Arctic/Longyearbyen" and room["closed"] is False
    assert created.headers["Location"] == f"/api/v1/rooms/{room['room_id']}"
    assert (await api.call("GET", f"/rooms/{room['room_id']}")).json == room
    listed = await api.call("GET", "/rooms")
    assert [r["room_id"] for r in listed.json["items"]] == [api.room, room["room_id"]]
    assert listed.json["next_cursor"] is None


@memory
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "invalid_payload"),
        ({"name": "Room", "colour": "red"}, 400, "invalid_payload"),
        ({"name": 7}, 400, "invalid_payload"),
        ({"name": "x" * 101}, 400, "invalid_payload"),
        ({"name": "Room", "owners": "doctor"}, 400, "invalid_payload"),
        ({"name": "Room", "time_zone": "../../etc/passwd"}, 400, "invalid_payload"),
        ({"name": " \t "}, 422, "blank_text"),
        ({"name": "Room", "owners": ["nobody"]}, 422, "unknown_owner"),
        ({"name": "Room", "time_zone": "Europe/Atlantis"}, 422, "unknown_time_zone"),
    ],
)
async def test_a_bad_room_is_refused_and_nothing_is_made(
    api: Api, body: dict[str, object], status: int, code: str
) -> None:
    answer = await api.call("POST", "/rooms", body=body)
    assert (answer.status, answer.error) == (status, code), answer.text
    assert len(await api.harness.directory.rooms.all()) == 1


@memory
async def test_a_body_must_be_json(api: Api) -> None:
    async with api.http.post(
        f"{api.server.base_url}/api/v1/rooms",
        data="name=Room",
        headers={"Authorization": f"Bearer {await api.key()}", "Content-Type": "text/plain"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_payload"


@memory
async def test_an_idempotency_key_makes_one_room(api: Api) -> None:
    key = await api.key()
    first = await api.call("POST", "/rooms", key, {"name": "A"}, {"Idempotency-Key": "abc-1"})
    again = await api.call("POST", "/rooms", key, {"name": "A"}, {"Idempotency-Key": "abc-1"})
    assert first.status == again.status == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    other = await api.call("POST", "/rooms", key, {"name": "B"}, {"Idempotency-Key": "abc-1"})
    assert (other.status, other.error) == (422, "idempotency_mismatch")
    another_key = await api.call("POST", "/rooms", None, {"name": "A"}, {"Idempotency-Key": "x"})
    assert another_key.status == 401
    by_another = await api.call("POST", "/rooms", "", {"name": "A"}, {"Idempotency-Key": "abc-1"})
    assert by_another.json["room_id"] != first.json["room_id"], "keys are per API key"
    assert len(await api.harness.directory.rooms.all()) == 3


@memory
async def test_rooms_come_in_pages(api: Api) -> None:
    for n in range(6):
        assert (await api.call("POST", "/rooms", body={"name": f"Room {n}"})).status == 201
    key, seen, cursor = await api.key("rooms:read"), [], None
    pages = 0
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.call("GET", f"/rooms{query}", key)).json
        seen += [r["name"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Poliklinikk", *[f"Room {n}" for n in range(6)]] and pages == 3
    for bad in ("?limit=0", "?limit=101", "?limit=x", "?cursor=nonsense"):
        answer = await api.call("GET", f"/rooms{bad}", key)
        assert (answer.status, answer.error) == (400, "invalid_payload"), bad


@memory
async def test_owners_decide_whose_dashboard_shows_the_room(api: Api) -> None:
    await api.harness.clinician("nurse")
    await api.harness.ops("watcher")
    answer = await api.call("PUT", f"/rooms/{api.room}/owners", body={"owners": ["nurse"]})
    assert answer.status == 200 and answer.json["owners"] == ["nurse"]
    assert await api.harness.directory.rooms.owns(
        (await api.harness.directory.accounts.by_username("nurse")).account_id, api.room
    )  # type: ignore[union-attr]
    assert not await api.harness.directory.rooms.owns(api.doctor, api.room)
    for owners, code in ((["nobody"], "unknown_owner"), (["watcher"], "unknown_owner")):
        refused = await api.call("PUT", f"/rooms/{api.room}/owners", body={"owners": owners})
        assert (refused.status, refused.error) == (422, code)
    assert (await api.call("GET", f"/rooms/{api.room}")).json["owners"] == ["nurse"]


@memory
async def test_unknown_rooms_are_not_found(api: Api) -> None:
    for path in ("/rooms/r_unknown", "/rooms/not-an-id", "/rooms/r_unknown/state"):
        answer = await api.call("GET", path)
        assert (answer.status, answer.error) == (404, "not_found"), path


async def test_closing_a_room_refuses_its_links(api: Api) -> None:
    waiting, visit_id = await api.harness.waiting_guest(api.server, api.room)
    busy = await api.call("POST", f"/rooms/{api.room}/close")
    assert (busy.status, busy.error) == (409, "room_busy")
    assert not (await api.harness.directory.rooms.get(api.room)).closed  # type: ignore[union-attr]

    unopened = await api.harness.invite(api.room)
    scheduled = (await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon()})).json
    checking = await api.harness.guest(api.server, token_of(scheduled["invitation"]["link"]))
    assert (await waiting.call("leave"))["ok"]
    closed = await api.call("POST", f"/rooms/{api.room}/close")
    assert closed.status == 200 and closed.json["closed"] is True
    assert (await api.call("POST", f"/rooms/{api.room}/close")).json == closed.json, "again: no-op"
    told = await checking.wait_for("visit", lambda v: v["state"] == "ended")
    assert told["end_reason"] == "revoked", "a guest testing devices hears it was cancelled"

    http, body = await api.harness.open_link(api.server, unopened)
    await http.close()
    assert (body["_status"], body["error"]) == (410, "room_closed")
    more = await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon()})
    assert (more.status, more.error) == (409, "room_closed")
    listed = (await api.call("GET", "/rooms")).json["items"]
    assert [r["closed"] for r in listed] == [True], "closed rooms stay listed, marked"


async def test_room_state_counts_and_names_only_with_the_clinical_scope(api: Api) -> None:
    doctor = await api.harness.clinician_client(api.server, "doctor")
    await api.harness.waiting_guest(api.server, api.room, name="Kari Nordmann")
    await api.harness.admitted_guest(api.server, api.room, doctor, name="Ola Nordmann")
    await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon(30)})

    counts = await api.call("GET", f"/rooms/{api.room}/state", await api.key("rooms:read"))
    assert counts.status == 200
    assert counts.json["counts"] == {
        "waiting": 1,
        "in_call": 1,
        "paused": 0,
        "reconnecting": 0,
        "expected": 1,
    }
    assert counts.json["longest_wait_seconds"] is not None
    assert "Nordmann" not in counts.text and "Ola" not in counts.text
    assert {v["state"] for v in counts.json["visits"]} == {"waiting", "in_call"}

    clinical = await api.call(
        "GET", f"/rooms/{api.room}/state", await api.key("rooms:read", "clinical")
    )
    names = {v["display_name"] for v in clinical.json["visits"]}
    assert names == {"Kari Nordmann", "Ola Nordmann"}
    assert clinical.json["visits"][0]["present"] == JOIN_DETAILS["present"]
