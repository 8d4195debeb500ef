"""Operations endpoints: health, readiness and metrics, with counts only and no names."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.servers import PASSWORD, Harness, Running, visit_in


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def _scrape(server: Running) -> tuple[dict[str, str], dict[str, float], str]:
    """/metrics parsed back by prometheus-client: (family types, samples, raw text).

    A sample's key is its name and sorted labels, e.g. `x_total{from=new,to=waiting}`."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.base_url}/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == CONTENT_TYPE_LATEST
        text = await answer.text()
    types, samples = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return types, samples, text


async def test_metrics_count_without_naming_anyone(harness: Harness) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    before, _, _ = await _scrape(server)
    guest, visit_id = await harness.waiting_guest(server, room)

    types, waiting, _ = await _scrape(server)
    assert types == before, "every family is there from the start, empty or zero"
    assert types["venterom_visit_transitions"] == "counter"
    assert types["venterom_wait_seconds"] == "histogram"
    assert types["venterom_guests_connected"] == "gauge"
    assert waiting["venterom_guests_connected"] == 1
    assert waiting["venterom_clinicians_connected"] == 1
    assert waiting["venterom_visit_transitions_total{from=checking,to=waiting}"] == 1
    assert waiting["venterom_wait_seconds_count"] == 0
    assert waiting["venterom_store_up"] == 1

    await doctor.call("admit", {"visit_id": visit_id})
    await guest.wait_for("visit", visit_in("in_call"))
    await doctor.call("end", {"visit_id": visit_id})
    await guest.wait_for("visit", visit_in("ended"))

    _, ended, text = await _scrape(server)
    assert ended["venterom_visit_transitions_total{from=waiting,to=in_call}"] == 1
    assert ended["venterom_visits_ended_total{reason=completed}"] == 1
    assert ended["venterom_reconnects_total"] == 0
    assert ended["venterom_wait_seconds_count"] == 1
    assert ended["venterom_wait_seconds_bucket{le=+Inf}"] == 1
    assert ended["venterom_wait_seconds_bucket{le=10}"] == 1, "admitted within seconds"
    assert 0 <= ended["venterom_wait_seconds_sum"] < 10
    assert ended["venterom_invitation_emails_total{outcome=sent}"] == 0
    for secret in ("Kari", "Ola", visit_id, room, harness.secret):
        assert secret not in text


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_each_server_counts_only_its_own(harness: Harness) -> None:
    """One registry per app: two servers in one process do not share or collide."""
    busy, idle = await harness.server(), await harness.server()
    await harness.waiting_guest(busy, await harness.room(await harness.clinician("doctor")))
    _, on_busy, _ = await _scrape(busy)
    _, on_idle, _ = await _scrape(idle)
    assert on_busy["venterom_guests_connected"] == 1
    assert on_busy["venterom_visit_transitions_total{from=checking,to=waiting}"] == 1
    assert on_idle["venterom_guests_connected"] == 0
    assert "venterom_visit_transitions_total{from=checking,to=waiting}" not in on_idle


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
    room = await harness.room(await harness.clinician("doctor"))
    http, body = await harness.open_link(server, await harness.invite(room))
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
    room = await harness.room(await harness.clinician("doctor"), name="Doctor's room")
    other = await harness.room(await harness.clinician("other"), name="Other room")
    await harness.ops("watcher")
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
    room = await harness.room(await harness.clinician("doctor"))
    other = await harness.room(await harness.clinician("other"))
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
