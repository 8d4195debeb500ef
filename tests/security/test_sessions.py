"""Sessions: logging out closes that session's sockets everywhere within seconds, staff
sessions end when idle and at their absolute limit, a log-in always makes a new id, and an
invitation is live on one device at a time."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.fixtures.servers import JOIN_DETAILS, Client, Harness, Running, socket_refusal


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


async def test_a_second_device_replaces_the_first_never_both(harness: Harness) -> None:
    """One device per invitation: the link opened on a phone after the laptop moves the
    visit to the phone, place in the queue kept; the laptop is told, closed within seconds
    on whichever instance it is, and its cookie no longer works."""
    servers = [await harness.server(sweep_interval=1.0)]
    if harness.redis_url:
        servers.append(await harness.server(sweep_interval=1.0))
    room = await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(servers[0], "doctor")
    ahead, _ = await harness.waiting_guest(servers[0], room, "Først Fremst")
    token = await harness.invite(room)
    laptop = await harness.guest(servers[0], token)
    joined = await laptop.call("join", {**JOIN_DETAILS, "display_name": "Kari Nordmann"})
    assert joined["ok"], joined
    closed = closing(laptop)

    phone = await harness.guest(servers[-1], token)  # the same link, another device

    await within(closed, 5.0)
    assert laptop.received("replaced"), "the first device is told why"
    assert "unauthenticated" in str(await socket_refusal(servers[0], laptop.http, "/guest"))
    visit = await phone.wait_for("visit")
    assert (visit["state"], visit["display_name"]) == ("waiting", "Kari Nordmann")
    lobby = (await doctor.call("lobby", {"room_id": room}))["lobby"]["visits"]
    assert [v["display_name"] for v in lobby] == ["Først Fremst", "Kari Nordmann"]
    assert (await phone.call("leave"))["ok"], "the second device acts for the visit"
    assert ahead.received("replaced") == [], "nobody else is touched"


async def test_opening_the_link_again_on_the_same_device_is_quiet(harness: Harness) -> None:
    """A reload exchanges the link again: the page that asked is the one that stays."""
    server = await harness.server(sweep_interval=0.5)
    room = await harness.room(await harness.clinician("doctor"))
    token = await harness.invite(room)
    http, first = await harness.open_link(server, token)
    assert first["_status"] == 200
    async with http.post(f"{server.base_url}/api/guest/session", json={"token": token}) as again:
        assert again.status == 200
    reloaded = await harness.reconnect(server, await harness.guest(server, token))
    await asyncio.sleep(1.5)  # sweeps
    assert reloaded.sio.connected and reloaded.received("replaced") == []
    await http.close()
