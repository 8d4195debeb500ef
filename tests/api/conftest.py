"""An integration API client against a real server: API keys with chosen scopes, requests
that record status, headers and JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from lobby.services.access import SCOPES
from tests.fixtures.servers import Harness, Running


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> str:
        return str(self.json["error"])


@dataclass
class Api:
    harness: Harness
    server: Running
    http: aiohttp.ClientSession
    doctor: str
    room: str

    async def key(self, *scopes: str) -> str:
        """A fresh API key's secret (all scopes unless told)."""
        directory = await self.harness.ready()
        _, secret = await directory.api_keys.create("test", frozenset(scopes or SCOPES))
        return secret

    async def call(
        self,
        method: str,
        path: str,
        key: str | None = "",
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """`key`: "" for a key with every scope, None for no Authorization header."""
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key or await self.key()}"
        async with self.http.request(
            method, f"{self.server.base_url}/api/v1{path}", json=body, headers=sent
        ) as response:
            return Answer(response.status, dict(response.headers), await response.text())


def soon(minutes: float = 5) -> str:
    """An RFC 3339 time `minutes` from now, with a +01:00 offset (Norway in winter)."""
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat(timespec="seconds")


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    server = await harness.server()
    doctor = await harness.clinician("doctor")
    room = await harness.room(doctor, name="Poliklinikk")
    async with aiohttp.ClientSession() as http:
        yield Api(harness, server, http, doctor, room)


def token_of(link: str) -> str:
    base, _, token = link.partition("/join#")
    assert token and "?" not in link, link
    return token
