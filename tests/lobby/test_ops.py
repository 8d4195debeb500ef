"""Operations endpoints: health, readiness and metrics, with counts only and no names."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.fixtures.servers import JOIN_DETAILS, PASSWORD, Harness, visit_in


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_metrics_count_without_naming_anyone(harness: Harness) -> None:
    server = await harness.server()
    room = harness.room(harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    guest = await harness.guest(server, harness.invite(room))
    visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]
    await doctor.call("admit", {"visit_id": visit_id})
    await guest.wait_for("visit", visit_in("in_call"))
    await doctor.call("end", {"visit_id": visit_id})
    await guest.wait_for("visit", visit_in("ended"))

    status, body = await _get(f"{server.base_url}/metrics")
    assert status == 200
    assert 'venterom_visit_transitions_total{from="waiting",to="in_call"} 1' in body
    assert 'venterom_visits_ended_total{reason="completed"} 1' in body
    assert "venterom_wait_seconds_count 1" in body
    assert "venterom_guests_connected 1" in body
    assert "venterom_store_up 1" in body
    assert 'venterom_invitation_emails_total{outcome="sent"} 0' in body
    for secret in ("Kari", visit_id, room, harness.secret):
        assert secret not in body


async def test_health_and_readiness(harness: Harness) -> None:
    server = await harness.server()
    assert (await _get(f"{server.base_url}/healthz"))[0] == 200
    status, body = await _get(f"{server.base_url}/readyz")
    assert status == 200 and '"store": true' in body


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_not_ready_when_redis_is_unreachable(harness: Harness) -> None:
    server = await harness.server(redis_url="redis://127.0.0.1:1/0")
    status, body = await _get(f"{server.base_url}/readyz")
    assert status == 503 and '"store": false' in body
    assert (await _get(f"{server.base_url}/healthz"))[0] == 200


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_without_redis_a_guest_is_told_unavailable_never_a_false_success(
    harness: Harness,
) -> None:
    server = await harness.server(redis_url="redis://127.0.0.1:1/0")
    room = harness.room(harness.clinician("doctor"))
    http, body = await harness.open_link(server, harness.invite(room))
    await http.close()
    assert (body["_status"], body["error"]) == (503, "unavailable")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.base_url}/api/login", json={"username": "doctor", "password": PASSWORD}
        ) as response,
    ):
        assert (response.status, (await response.json())["error"]) == (503, "unavailable")


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_ops_summary_lists_every_room_and_instance_without_names(harness: Harness) -> None:
    fast = {"heartbeat_interval": 0.1, "sweep_interval": 0.05}
    a = await harness.server(instance_id="app-a", **fast)
    b = await harness.server(instance_id="app-b", **fast)
    room = harness.room(harness.clinician("doctor"), name="Doctor's room")
    other = harness.room(harness.clinician("other"), name="Other room")
    harness.ops("watcher")
    guest, _ = await harness.waiting_guest(a, room)
    await harness.waiting_guest(a, other, name="Ola Nordmann")
    http = await harness.login(b, "watcher")
    summary: dict[str, Any] = {}
    async with asyncio.timeout(10):
        while True:
            async with http.get(f"{b.base_url}/api/ops/summary") as response:
                assert response.status == 200
                body = await response.text()
                summary = json.loads(body)
            instances = {i["instance_id"]: i for i in summary["instances"]}
            if set(instances) == {"app-a", "app-b"} and instances["app-a"]["guests_connected"]:
                break
            await asyncio.sleep(0.1)
    assert summary["totals"]["waiting"] == 2
    assert {r["room_id"]: r["waiting"] for r in summary["rooms"]} == {room: 1, other: 1}
    for secret in ("Kari", "Ola", "Nordmann", harness.secret):
        assert secret not in body
    await http.close()


async def test_a_clinicians_ops_view_holds_only_their_rooms(harness: Harness) -> None:
    server = await harness.server()
    room = harness.room(harness.clinician("doctor"))
    other = harness.room(harness.clinician("other"))
    await harness.waiting_guest(server, other, name="Ola Nordmann")
    http = await harness.login(server, "doctor")
    async with http.get(f"{server.base_url}/api/ops/summary") as response:
        assert response.status == 200
        summary = await response.json()
    await http.close()
    assert [r["room_id"] for r in summary["rooms"]] == [room]
    assert summary["totals"]["waiting"] == 0, "the other room's guest is not counted"
    assert summary["instances"] is None, "instance figures span every room"
    assert summary["totals"]["echo_sessions"] is None
