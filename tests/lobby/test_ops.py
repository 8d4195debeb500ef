"""Operations endpoints: health, readiness and metrics, with counts only and no names."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.fixtures.servers import JOIN_DETAILS, Harness, visit_in


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


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_ops_summary_lists_every_instance_without_names(harness: Harness) -> None:
    fast = {"heartbeat_interval": 0.1, "sweep_interval": 0.05}
    a = await harness.server(instance_id="app-a", **fast)
    b = await harness.server(instance_id="app-b", **fast)
    room = harness.room(harness.clinician("doctor"))
    guest, _ = await harness.waiting_guest(a, room)
    http = await harness.login(b, "doctor")
    summary: dict[str, object] = {}
    async with asyncio.timeout(10):
        while True:
            async with http.get(f"{b.base_url}/api/ops/summary") as response:
                assert response.status == 200
                body = await response.text()
                summary = json.loads(body)
            instances = {i["instance_id"]: i for i in summary["instances"]}  # type: ignore[union-attr]
            if set(instances) == {"app-a", "app-b"} and instances["app-a"]["guests_connected"]:
                break
            await asyncio.sleep(0.1)
    assert summary["totals"]["waiting"] == 1  # type: ignore[index]
    assert "Kari" not in body and harness.secret not in body
    await http.close()
