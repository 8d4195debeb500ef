"""Map domain refusals to HTTP answers with the same stable codes the socket uses."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from lobby import errors
from lobby.presence.failures import UNREACHABLE

log = logging.getLogger("venterom.http")

_STATUS: dict[type[errors.LobbyError], int] = {
    errors.Unauthenticated: 401,
    errors.NotPermitted: 403,
    errors.InsufficientScope: 403,
    errors.NotFound: 404,
    errors.InvalidTransition: 409,
    errors.Conflict: 409,
    errors.TokenExpired: 410,
    errors.InvitationRevoked: 410,
    errors.RoomClosed: 410,
    errors.Unprocessable: 422,
    errors.TokenNotYetValid: 425,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(exc: errors.LobbyError) -> web.Response:
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
    body: dict[str, object] = {"error": exc.code, "message": str(exc)}
    headers = {}
    if isinstance(exc, errors.RateLimited):
        body["retry_after"] = exc.retry_after
        headers["Retry-After"] = str(exc.retry_after)
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def lobby_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.LobbyError as exc:
        return error_response(exc)
    except UNREACHABLE:
        log.warning("store unreachable", extra={"path": request.path})
        return error_response(errors.Unavailable("the service is briefly unavailable; try again"))


async def json_body(request: web.Request) -> dict[str, object]:
    """The request's JSON object; only `application/json` (which also blocks form CSRF)."""
    if request.content_type != "application/json":
        raise errors.InvalidPayload("expected application/json")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.InvalidPayload("malformed JSON") from exc
    if not isinstance(body, dict):
        raise errors.InvalidPayload("expected an object")
    return body
