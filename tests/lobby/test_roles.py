"""Operations accounts: every room's figures and no names; no lobby, no visit, no admitting.

(That a clinician's summary holds only their own rooms is in tests/lobby/test_ops.py.)
"""

from __future__ import annotations

import datetime as dt
import json

import aiohttp

from lobby.domain.model import VisitState
from lobby.keys import SERVICE
from tests.fixtures.servers import JOIN_DETAILS, Harness, socket_refusal

GUEST_NAMES = ("Sentinella Nordkapp", "Ragnhild Sentinelsdatter")
PRESENT = "Ola Sentinelmann (husband)"


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def test_an_ops_account_gets_no_lobby_socket_and_no_guest_socket(harness: Harness) -> None:
    server = await harness.server()
    await harness.ops("watcher")
    http = await harness.login(server, "watcher")
    try:
        status, body = await get_json(http, f"{server.base_url}/api/me")
        assert status == 200
        me = json.loads(body)
        assert me["account"]["role"] == "ops" and me["rooms"] == []
        assert await socket_refusal(server, http, "/clinician") == [{"message": "not_permitted"}]
        # The staff cookie is no guest session either: the guest namespace knows nobody.
        assert await socket_refusal(server, http, "/guest") == [{"message": "unauthenticated"}]
    finally:
        await http.close()


async def test_ops_sees_every_rooms_figures_and_no_names(harness: Harness) -> None:
    server = await harness.server()
    doctor_id, other_id = await harness.clinician("doctor"), await harness.clinician("other")
    waiting_room = await harness.room(doctor_id, name="Waiting room")
    call_room = await harness.room(other_id, name="Call room")
    closed_room = await harness.room(other_id, name="Closed room")
    await harness.directory.rooms.close(closed_room)
    await harness.ops("watcher")
    tokens = [await harness.invite(waiting_room), await harness.invite(call_room)]
    visit_ids = []
    for token, name in zip(tokens, GUEST_NAMES, strict=True):
        guest = await harness.guest(server, token)
        details = {**JOIN_DETAILS, "display_name": name, "present": [PRESENT]}
        ack = await guest.call("join", details)
        assert ack["ok"], ack
        visit_ids.append(ack["visit"]["visit_id"])
    other = await harness.clinician_client(server, "other")
    assert (await other.call("admit", {"visit_id": visit_ids[1]}))["ok"]

    http = await harness.login(server, "watcher")
    try:
        status, summary_body = await get_json(http, f"{server.base_url}/api/ops/summary")
        state_status, state_body = await get_json(
            http, f"{server.base_url}/api/v1/rooms/{waiting_room}/state"
        )
    finally:
        await http.close()
    assert status == 200 and state_status == 200
    summary = json.loads(summary_body)
    rooms = {r["room_id"]: (r["waiting"], r["in_call"]) for r in summary["rooms"]}
    assert rooms == {waiting_room: (1, 0), call_room: (0, 1)}, "every open room, no closed one"
    assert (summary["totals"]["waiting"], summary["totals"]["in_call"]) == (1, 1)
    assert summary["totals"]["calls"] == 1
    assert [i["guests_connected"] for i in summary["instances"]] == [2]
    state = json.loads(state_body)
    assert state["counts"]["waiting"] == 1
    assert "display_name" not in state["visits"][0], "names need the clinical scope"
    for secret in (*GUEST_NAMES, "Sentinelmann", "Doctor", "Other", *tokens):
        assert secret not in summary_body, secret
        assert secret not in state_body, secret


async def test_ops_cannot_admit_schedule_or_revoke(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    await harness.ops("watcher")
    guest, visit_id = await harness.waiting_guest(server, room)
    mark = guest.mark()
    scheduled = await harness.directory.schedule.get(visit_id)
    assert scheduled is not None
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat(timespec="seconds")
    http = await harness.login(server, "watcher")
    same_site = {"Origin": server.base_url}
    attempts = [
        (f"/api/v1/rooms/{room}/visits", {"start": start}),
        (f"/api/v1/visits/{visit_id}/revoke", {}),
        ("/api/v1/rooms", {"name": "Ops room"}),
    ]
    answers = []
    try:
        for path, body in attempts:
            url = f"{server.base_url}{path}"
            async with http.post(url, json=body, headers=same_site) as response:
                answers.append((response.status, (await response.json())["error"]))
    finally:
        await http.close()
    assert answers == [(403, "insufficient_scope")] * len(attempts)
    assert await harness.directory.schedule.page(room, None, 10, None) == [scheduled], "none added"
    assert [r.name for r in await harness.directory.rooms.all()] == ["Room"]
    assert (await server.app[SERVICE].visits.get(visit_id)).state is VisitState.WAITING
    assert not guest.events[mark:], "nothing happened to the waiting guest"
