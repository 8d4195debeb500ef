"""API keys: missing, wrong, revoked, wrong scope; the document needs none."""

from __future__ import annotations

from pathlib import Path

import pytest

from lobby.interfaces.api import spec
from tests.api.conftest import Api, soon

pytestmark = pytest.mark.parametrize("store_kind", ["memory"])

ROOT = Path(__file__).resolve().parents[2]


async def test_the_openapi_document_is_served_without_a_key_and_kept_in_the_repo(
    api: Api,
) -> None:
    answer = await api.call("GET", "/openapi.json", key=None)
    assert answer.status == 200
    assert answer.json["openapi"] == "3.1.0"
    assert answer.text == (ROOT / "docs" / "openapi.json").read_text(), (
        "docs/openapi.json is stale: run `venterom openapi > docs/openapi.json`"
    )
    assert answer.text == spec.render()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Bearer"),
        ({"Authorization": "Bearer vtr_not-a-real-key"}, "unknown API key"),
        ({"Authorization": "Bearer "}, "Bearer"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer"),
        ({"Authorization": "Bearer something-else"}, "unknown API key"),
    ],
)
async def test_a_request_without_a_valid_key_is_refused(
    api: Api, headers: dict[str, str], message: str
) -> None:
    answer = await api.call("GET", "/rooms", key=None, headers=headers)
    assert answer.status == 401
    assert answer.error == "unauthenticated" and message in answer.json["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_revoked_key_is_refused_at_once(api: Api) -> None:
    key_id, secret = await api.harness.directory.api_keys.create("old", frozenset({"rooms:read"}))
    assert (await api.call("GET", "/rooms", secret)).status == 200
    await api.harness.directory.api_keys.revoke(key_id.key_id)
    answer = await api.call("GET", "/rooms", secret)
    assert (answer.status, answer.error) == (401, "unauthenticated")
    assert "revoked" in answer.json["message"]


async def test_the_key_is_stored_only_as_a_hash(api: Api) -> None:
    secret = await api.key("rooms:read")
    files = Path(api.harness.database).parent.glob("directory.db*")  # with the WAL
    assert all(secret.encode() not in f.read_bytes() for f in files)
    assert (await api.call("GET", "/rooms", secret)).status == 200


WRITES = [
    ("POST", "/rooms", {"name": "New room"}),
    ("PUT", "/rooms/{room}/owners", {"owners": ["doctor"]}),
    ("POST", "/rooms/{room}/close", None),
]


@pytest.mark.parametrize(
    ("scope", "method", "path", "body"),
    [
        ("visits:read", "GET", "/rooms", None),
        ("visits:read", "GET", "/rooms/{room}", None),
        ("visits:read", "GET", "/rooms/{room}/state", None),
        *[("rooms:read", m, p, b) for m, p, b in WRITES],
        ("rooms:read", "GET", "/rooms/{room}/visits", None),
        ("rooms:read", "POST", "/rooms/{room}/visits", {"start": soon()}),
        ("visits:read", "POST", "/rooms/{room}/visits", {"start": soon()}),
    ],
)
async def test_a_key_without_the_scope_is_refused_and_nothing_changes(
    api: Api, scope: str, method: str, path: str, body: object
) -> None:
    before = await api.harness.directory.rooms.get(api.room)
    answer = await api.call(method, path.format(room=api.room), await api.key(scope), body)
    assert (answer.status, answer.error) == (403, "insufficient_scope"), answer.text
    assert await api.harness.directory.rooms.get(api.room) == before
    assert len(await api.harness.directory.rooms.all()) == 1
    assert await api.harness.directory.schedule.page(api.room, None, 10) == []


async def test_visit_scopes_guard_the_visit_routes(api: Api) -> None:
    created = await api.call("POST", f"/rooms/{api.room}/visits", body={"start": soon()})
    assert created.status == 201, created.text
    visit = created.json["visit_id"]
    rooms_only = await api.key("rooms:read", "rooms:write")
    for method, path in [
        ("GET", f"/visits/{visit}"),
        ("POST", f"/visits/{visit}/revoke"),
        ("GET", f"/visits/{visit}/invitation.ics"),
        ("GET", f"/visits/{visit}/email"),
    ]:
        answer = await api.call(method, path, rooms_only)
        assert (answer.status, answer.error) == (403, "insufficient_scope"), path
    reader = await api.key("visits:read")
    assert (await api.call("POST", f"/visits/{visit}/revoke", reader)).status == 403
    assert (await api.call("GET", f"/visits/{visit}", reader)).json["status"] == "scheduled"
