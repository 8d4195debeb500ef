"""Rate limits shared by every instance: opening links and joining per address and per
invitation, log-ins, the API per key, and messages per connection. Over a limit the answer
is `rate_limited` with when to try again, and nobody else waits."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from lobby.adapters.ratelimit import (
    GUEST_OPEN_PER_CLIENT,
    GUEST_OPEN_PER_INVITATION,
    JOIN_PER_VISIT,
)
from lobby.services.access import SCOPES
from tests.fixtures.servers import JOIN_DETAILS, Harness, Running

PROXIED = {"trusted_proxies": ("127.0.0.1",)}
"""The test's requests come through a 'proxy' (loopback) that names the client."""


async def exchange(server: Running, token: str, address: str) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.base_url}/api/guest/session",
            json={"token": token},
            headers={"X-Forwarded-For": address},
        ) as response,
    ):
        return response.status, await response.json()


def allowed(limit: Any) -> int:
    return int(limit.item.amount)


async def test_opening_links_is_limited_per_address_on_every_instance(harness: Harness) -> None:
    servers = [await harness.server(**PROXIED)]
    if harness.redis_url:
        servers.append(await harness.server(**PROXIED))
    room = await harness.room(await harness.clinician("doctor"))
    per_address = allowed(GUEST_OPEN_PER_CLIENT)
    answers = [
        await exchange(servers[n % len(servers)], f"forged-{n}", "203.0.113.7")
        for n in range(per_address + 1)
    ]
    assert {status for status, _ in answers[:per_address]} == {400}, "forged: invalid_token"
    status, body = answers[-1]
    assert (status, body["error"]) == (429, "rate_limited")
    assert 0 < body["retry_after"] <= 60
    status, body = await exchange(servers[-1], await harness.invite(room), "198.51.100.2")
    assert status == 200, "another address is not held back"


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_one_invitation_is_limited_from_any_address(harness: Harness) -> None:
    a, b = await harness.server(**PROXIED), await harness.server(**PROXIED)
    token = await harness.invite(await harness.room(await harness.clinician("doctor")))
    per_invitation = allowed(GUEST_OPEN_PER_INVITATION)
    statuses = [
        (await exchange((a, b)[n % 2], token, f"198.51.100.{n + 1}"))[0]
        for n in range(per_invitation + 1)
    ]
    assert statuses == [200] * per_invitation + [429]


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_joining_is_limited_per_visit(harness: Harness) -> None:
    server = await harness.server()
    guest = await harness.guest(
        server, await harness.invite(await harness.room(await harness.clinician("doc")))
    )
    answers = [await guest.call("join", {"consent": False}) for _ in range(allowed(JOIN_PER_VISIT))]
    assert {a["error"] for a in answers} == {"invalid_payload"}
    refused = await guest.call("join", JOIN_DETAILS)
    assert refused["error"] == "rate_limited" and refused["retry_after"] > 0


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_an_api_key_is_limited(harness: Harness) -> None:
    server = await harness.server()
    _, secret = await harness.directory.api_keys.create("busy", frozenset(SCOPES))
    _, other = await harness.directory.api_keys.create("calm", frozenset(SCOPES))
    statuses: list[int] = []
    async with aiohttp.ClientSession() as http:

        async def get(key: str) -> int:
            async with http.get(
                f"{server.base_url}/api/v1/rooms", headers={"Authorization": f"Bearer {key}"}
            ) as response:
                return response.status

        for _ in range(13):
            statuses += await asyncio.gather(*(get(secret) for _ in range(50)))
        assert statuses.count(200) == 600 and statuses.count(429) == 50
        assert await get(other) == 200


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_a_flood_from_one_peer_is_refused_and_nobody_else_waits(harness: Harness) -> None:
    server = await harness.server()
    flooder, _ = await harness.waiting_guest(
        server, await harness.room(await harness.clinician("doc"))
    )
    calm_room = await harness.room(await harness.clinician("calm"))
    calm = await harness.clinician_client(server, "calm")
    sent = 1000

    async def flood() -> list[Any]:
        # A thousand events within a second, without waiting for each answer.
        calls = []
        for _ in range(sent):
            calls.append(asyncio.ensure_future(flooder.call("tech_message", {"code": "x"})))
            await asyncio.sleep(1 / sent)
        return list(await asyncio.gather(*calls))

    async def round_trips() -> list[float]:
        times = []
        for _ in range(40):
            started = time.perf_counter()
            assert (await calm.call("lobby", {"room_id": calm_room}))["ok"]
            times.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
        return times

    answers, times = await asyncio.gather(flood(), round_trips())
    refused = [a for a in answers if a.get("error") == "rate_limited"]
    assert len(refused) > sent / 2, "most of the flood is refused"
    assert all(a["retry_after"] >= 1 for a in refused)
    assert max(times) < 0.2, f"the other room's round trips: {sorted(times)[-5:]}"


@pytest.mark.parametrize("store_kind", ["redis"])
async def test_ten_thousand_forged_links_leave_a_guest_unhurt_and_redis_clean(
    harness: Harness, redis_client: aioredis.Redis
) -> None:
    server = await harness.server(**PROXIED)
    room = await harness.room(await harness.clinician("doctor"))
    keys_before = {k async for k in redis_client.scan_iter("*")}
    attempts, statuses = 10_000, []
    latencies: list[float] = []

    async def attack() -> None:
        async with aiohttp.ClientSession() as http:

            async def one(n: int) -> None:
                async with http.post(
                    f"{server.base_url}/api/guest/session",
                    json={"token": f"forged.{n:05d}"},
                    headers={"X-Forwarded-For": "203.0.113.99"},
                ) as response:
                    statuses.append(response.status)

            for start in range(0, attempts, 50):
                await asyncio.gather(*(one(n) for n in range(start, start + 50)))

    async def legitimate(n: int) -> None:
        token = await harness.invite(room)
        await asyncio.sleep(n * 0.15)
        started = time.perf_counter()
        status, _ = await exchange(server, token, f"198.51.100.{n + 1}")
        latencies.append(time.perf_counter() - started)
        assert status == 200

    await asyncio.gather(attack(), *(legitimate(n) for n in range(40)))
    assert len(statuses) == attempts
    assert statuses.count(429) >= attempts - allowed(GUEST_OPEN_PER_CLIENT)
    assert set(statuses) <= {400, 429}, "every forged link is refused"
    p99 = sorted(latencies)[int(0.99 * len(latencies)) - 1]
    assert p99 < 0.5, f"legitimate guests' p99 {p99:.3f} s"
    new_keys = {k async for k in redis_client.scan_iter("*")} - keys_before
    assert not [k for k in new_keys if "forged" in k]
    assert len([k for k in new_keys if k.startswith("venterom:session:")]) == 40
    assert len([k for k in new_keys if k.startswith("venterom:visit:")]) == 40
    assert len([k for k in new_keys if k.startswith("venterom:device:")]) == 40
    counters = [k for k in new_keys if k.startswith("venterom-rl")]
    assert len(counters) <= 2 * (1 + 40 + 40), "one counter per address and invitation"
    expected = ("session:", "visit:", "device:", "room:", "instance", "marker:", "heartbeats")
    others = set(new_keys) - set(counters)
    assert {k for k in others if not k.removeprefix("venterom:").startswith(expected)} == set()
    assert all([await redis_client.ttl(k) > 0 for k in new_keys])
