"""Staff sessions: logging out closes that session's sockets everywhere within seconds,
sessions end when idle and at their absolute limit, and a log-in always makes a new id."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.fixtures.servers import Client, Harness, Running


async def me(server: Running, http: aiohttp.ClientSession) -> int:
    async with http.get(f"{server.base_url}/api/me") as response:
        return response.status


def closing(client: Client) -> asyncio.Event:
    """Set when the server closes the client's socket (watch before acting)."""
    closed = asyncio.Event()
    client.sio.on("disconnect", lambda *_: closed.set(), namespace=client.namespace)
    return closed


async def within(event: asyncio.Event, seconds: float) -> float:
    started = time.monotonic()
    await asyncio.wait_for(event.wait(), seconds)
    return time.monotonic() - started


async def test_logging_out_closes_that_sessions_sockets_on_every_instance(
    harness: Harness,
) -> None:
    servers = [await harness.server(sweep_interval=1.0)]
    if harness.redis_url:
        servers.append(await harness.server(sweep_interval=1.0))
    await harness.room(await harness.clinician("doctor"))
    desk = await harness.clinician_client(servers[-1], "doctor")
    laptop = await harness.clinician_client(servers[0], "doctor")
    closed = closing(laptop)
    async with laptop.http.post(f"{servers[0].base_url}/api/logout") as response:
        assert response.status == 200
    # The logout went to the first instance; the socket may be on the second.
    assert await within(closed, 5.0) < 5.0
    assert (
        await desk.call("lobby", {"room_id": await harness.room(await harness.clinician("x"))})
    )["error"] == "not_found", "the other device's session is untouched (and still answers)"
    assert desk.sio.connected and desk.namespace in desk.sio.namespaces


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_an_idle_session_ends_but_an_open_dashboard_keeps_it(harness: Harness) -> None:
    server = await harness.server(clinician_idle_timeout=2, sweep_interval=0.2)
    await harness.room(await harness.clinician("doctor"))
    await harness.clinician("nurse")
    idle = await harness.login(server, "nurse")
    watching = await harness.clinician_client(server, "doctor")
    assert await me(server, idle) == 200
    await asyncio.sleep(2.6)
    assert await me(server, idle) == 401, "unused for longer than the idle timeout"
    assert await me(server, watching.http) == 200, "a connected dashboard is use"
    assert watching.namespace in watching.sio.namespaces
    await idle.close()


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_a_session_ends_at_its_absolute_limit(harness: Harness) -> None:
    server = await harness.server(clinician_session_ttl=2, sweep_interval=0.2)
    await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    assert await within(closing(doctor), 5.0) < 5.0
    assert await me(server, doctor.http) == 401


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_a_login_always_makes_a_new_session_id(harness: Harness) -> None:
    server = await harness.server()
    await harness.clinician("doctor")
    http = await harness.login(server, "doctor")
    planted = {c.key: c.value for c in http.cookie_jar}["venterom_session"]
    async with http.post(
        f"{server.base_url}/api/login",
        json={"username": "doctor", "password": "correct horse battery"},
    ) as response:
        assert response.status == 200
    fresh = {c.key: c.value for c in http.cookie_jar}["venterom_session"]
    assert fresh != planted
    async with aiohttp.ClientSession(cookies={"venterom_session": planted}) as old:
        assert await me(server, old) == 401, "the id known before the log-in is worth nothing"
    assert await me(server, http) == 200
    await http.close()
