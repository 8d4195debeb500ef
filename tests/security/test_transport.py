"""The realtime transport: only our own pages may connect, messages are small and text."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio

from tests.fixtures.servers import JOIN_DETAILS, Harness, Running

pytestmark = pytest.mark.parametrize("store_kind", ["memory"])


async def connect(
    server: Running, namespace: str, headers: dict[str, str], transports: list[str] | None = None
) -> tuple[socketio.AsyncClient, list[Any]]:
    """A connection attempt; (client, what `connect_error` said). Raises if refused."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append, namespace=namespace)
    try:
        await client.connect(
            server.base_url,
            namespaces=[namespace],
            transports=transports or ["websocket"],
            headers=headers,
            wait_timeout=5,
        )
    except socketio.exceptions.ConnectionError:
        await client.disconnect()
        raise
    return client, refusals


async def cookie_of(harness: Harness, server: Running, namespace: str) -> str:
    if namespace == "/guest":
        http, _ = await harness.open_link(
            server, await harness.invite(await harness.room(await harness.clinician("d")))
        )
    else:
        await harness.clinician("doctor")
        http = await harness.login(server, "doctor")
    cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
    await http.close()
    return cookie


@pytest.mark.parametrize("namespace", ["/guest", "/clinician"])
async def test_a_foreign_or_missing_origin_is_refused(harness: Harness, namespace: str) -> None:
    # Short pings: upstream's engine.io sockets (VENTEROM_UPSTREAM=engine) hold a polling
    # client's last poll open for ping_interval + ping_timeout after its goodbye.
    server = await harness.server(ping_interval=1.0, ping_timeout=2.0)
    cookie = await cookie_of(harness, server, namespace)
    for origin in ("https://evil.example", "null"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(server, namespace, {"Cookie": cookie, "Origin": origin})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(server, namespace, {"Cookie": cookie, "Sec-Fetch-Site": "cross-site"})
    # A browser's same-origin long-polling GET carries no Origin, but says where it is from.
    polled, _ = await connect(
        server, namespace, {"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}, ["polling"]
    )
    await polled.disconnect()
    refusals: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", refusals.append, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.base_url,
            namespaces=[namespace],
            transports=["websocket"],
            headers={"Cookie": cookie},
            wait_timeout=5,
        )
    await client.disconnect()
    assert refusals == [{"message": "forbidden_origin"}]
    ok, _ = await connect(server, namespace, {"Cookie": cookie, "Origin": server.base_url})
    await ok.disconnect()


async def test_configured_origins_replace_the_public_urls(harness: Harness) -> None:
    server = await harness.server(allowed_origins=("https://venterom.example.no",))
    cookie = await cookie_of(harness, server, "/guest")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(server, "/guest", {"Cookie": cookie, "Origin": server.base_url})
    ok, _ = await connect(
        server, "/guest", {"Cookie": cookie, "Origin": "https://venterom.example.no"}
    )
    await ok.disconnect()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_an_oversized_message_closes_only_that_connection(
    harness: Harness, transport: str
) -> None:
    server = await harness.server()
    room = await harness.room(await harness.clinician("doctor"))
    bystander, _ = await harness.waiting_guest(server, room, name="Ola Nordmann")
    cookie = await cookie_of(harness, server, "/guest")
    big, _ = await connect(
        server, "/guest", {"Cookie": cookie, "Origin": server.base_url}, [transport]
    )
    gone = asyncio.Event()
    big.on("disconnect", lambda *_: gone.set(), namespace="/guest")
    await big.emit("join", {**JOIN_DETAILS, "display_name": "x" * (70 * 1024)}, namespace="/guest")
    await asyncio.wait_for(gone.wait(), 10)
    await big.disconnect()
    assert (await bystander.call("leave"))["ok"], "everyone else carries on"


async def test_binary_attachments_are_refused(harness: Harness) -> None:
    server = await harness.server()
    guest = await harness.guest(
        server, await harness.invite(await harness.room(await harness.clinician("d")))
    )
    answer = await guest.call("join", {**JOIN_DETAILS, "display_name": b"Kari"})
    assert (answer["ok"], answer["error"]) == (False, "invalid_payload")
    assert "binary" in answer["message"]
    assert (await guest.call("join", JOIN_DETAILS))["ok"], "nothing changed; a proper join works"


async def test_a_long_polling_post_over_the_cap_is_refused(harness: Harness) -> None:
    """Refused, and answered: upstream's close waited, without limit, for a poll that the
    refused client never makes (its request hung for ever)."""
    server = await harness.server(ping_timeout=1.0)
    async with aiohttp.ClientSession() as http:
        url = f"{server.base_url}/socket.io/?EIO=4&transport=polling"
        async with http.get(url, headers={"Origin": server.base_url}) as response:
            assert response.status == 200
            sid = (await response.text()).split('"sid":"')[1].split('"')[0]
        async with http.post(
            f"{url}&sid={sid}",
            data='42["join",{"display_name":"' + "x" * (70 * 1024) + '"}]',
            headers={"Origin": server.base_url},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            assert response.status == 400
