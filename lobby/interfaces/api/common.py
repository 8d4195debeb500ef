"""Pieces the API's route modules share: the caller, bodies, idempotency keys, pages."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from aiohttp import web

from lobby.domain.errors import InvalidPayload, NotFound
from lobby.interfaces.api.principal import PRINCIPAL
from lobby.interfaces.http.errors import json_body
from lobby.interfaces.wire_api import ID_PATTERN, IDEMPOTENCY_KEY_PATTERN
from lobby.keys import APPOINTMENTS
from lobby.services.access import Principal
from lobby.services.appointments import Appointments, Idempotent


def caller(request: web.Request) -> tuple[Principal, Appointments]:
    return request[PRINCIPAL], request.config_dict[APPOINTMENTS]


def path_id(request: web.Request, name: str) -> str:
    """An id from the path; one that cannot exist is simply not found."""
    value = request.match_info[name]
    if not re.search(ID_PATTERN, value):
        raise NotFound(f"{name.removesuffix('_id')} not found")
    return value


async def body(request: web.Request) -> dict[str, Any]:
    return dict(await json_body(request))


def idempotent(request: web.Request, payload: dict[str, Any]) -> Idempotent | None:
    """The request's `Idempotency-Key`, bound to a hash of what it asked for."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not re.search(IDEMPOTENCY_KEY_PATTERN, key):
        raise InvalidPayload("Idempotency-Key must be 1 to 255 visible ASCII characters")
    canonical = json.dumps(
        [request.method, request.path, payload], sort_keys=True, separators=(",", ":")
    )
    return Idempotent(key, hashlib.sha256(canonical.encode()).hexdigest())


def created(view: dict[str, Any], location: str, replayed: bool) -> web.Response:
    headers = {"Location": location}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return web.json_response(view, status=201, headers=headers)


def page_of(items: list[dict[str, Any]], next_cursor: str | None) -> web.Response:
    return web.json_response({"items": items, "next_cursor": next_cursor})
