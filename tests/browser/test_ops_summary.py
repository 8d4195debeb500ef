"""GET /api/ops/summary (the /ops page's data): clinicians only, counts and durations, no names."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from lobby.interfaces.http.ops_api import percentile
from tests.browser.conftest import start_server
from tests.fixtures.servers import JOIN_DETAILS, Harness


@pytest_asyncio.fixture
async def memory_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    try:
        yield h
    finally:
        await h.close()


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0


async def test_summary_needs_a_clinician_and_shows_no_names(memory_harness: Harness) -> None:
    server = await start_server(memory_harness)
    room = await memory_harness.room(await memory_harness.clinician("doctor"), name="Room A")
    guest = await memory_harness.guest(server, await memory_harness.invite(room))
    assert (await guest.call("join", JOIN_DETAILS))["ok"]
    url = f"{server.base_url}/api/ops/summary"

    async with guest.http.get(url) as refused:
        assert refused.status == 401
        assert (await refused.json())["error"] == "unauthenticated"

    clinician = await memory_harness.login(server, "doctor")
    async with clinician.get(url) as response:
        assert response.status == 200
        body = await response.json()
    await clinician.close()
    assert body["totals"]["waiting"] == 1
    assert body["totals"]["calls"] == 0
    (row,) = body["rooms"]
    assert (row["name"], row["waiting"], row["in_call"]) == ("Room A", 1, 0)
    assert row["wait_p50"] is not None and row["wait_p50"] >= 0
    assert body["instances"] is None, "instance figures span every room: ops accounts only"
    await memory_harness.ops("watcher")
    ops = await memory_harness.login(server, "watcher")
    async with ops.get(url) as response:
        assert response.status == 200
        everything = await response.json()
    await ops.close()
    (instance,) = everything["instances"]
    assert instance["store_ok"] is True and instance["guests_connected"] == 1
    text = json.dumps(body) + json.dumps(everything)
    assert JOIN_DETAILS["display_name"] not in text
    assert all(person not in text for person in JOIN_DETAILS["present"])
