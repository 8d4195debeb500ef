"""A request aiohttp cannot parse is refused with 400 and logged as one line at info level:
no traceback, and none of the client's bytes (which may be anything, a name included)."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import pytest

from tests.fixtures.servers import Harness

SECRET = b"Kari-Nordmann-12345678901"

MALFORMED = [
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: " + SECRET + b"\r\n\r\n",
    b"GET /" + SECRET + b"\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-" + SECRET + b"\x01: y\r\n\r\n",
]


async def raw_exchange(base_url: str, request: bytes) -> bytes:
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(request)
    await writer.drain()
    try:
        async with asyncio.timeout(5):
            return await reader.read(200)
    finally:
        writer.close()


@pytest.mark.parametrize("request_bytes", MALFORMED, ids=["length", "path", "header"])
async def test_a_malformed_request_is_one_quiet_line(
    harness: Harness, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    server = await harness.server()
    with caplog.at_level(logging.DEBUG, logger="aiohttp.server"):
        answer = await raw_exchange(server.base_url, request_bytes)
        await asyncio.sleep(0.1)
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert records, "the refusal is still logged"
    assert all(r.levelno <= logging.INFO and r.exc_info is None for r in records)
    assert [(r.getMessage(), getattr(r, "status", None)) for r in records] == [
        ("malformed request refused", 400)
    ]
    text = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    assert SECRET.decode() not in text
