"""Map domain refusals to HTTP answers with the same stable codes the socket uses."""

from __future__ import annotations

import errno
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from lobby.adapters.presence.failures import UNREACHABLE
from lobby.domain import errors

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


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
"""aiohttp's own refusals, named as the API names its errors."""


@web.middleware
async def lobby_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.LobbyError as exc:
        return error_response(exc)
    except UNREACHABLE:
        log.warning("store unreachable", extra={"path": request.path})
        return error_response(errors.Unavailable("the service is briefly unavailable; try again"))
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        return _api_refusal(exc)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        # A static file name longer than the file system allows: there is no such file.
        raise web.HTTPNotFound() from None


def _api_refusal(exc: web.HTTPException) -> web.Response:
    """Under /api/ every answer is JSON, aiohttp's own 404, 405 and 413 included."""
    code = _HTTP_CODES.get(exc.status, exc.reason.lower().replace(" ", "_"))
    headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
    return web.json_response(
        {"error": code, "message": exc.reason}, status=exc.status, headers=headers
    )


async def json_body(request: web.Request) -> dict[str, object]:
    """The request's JSON object; only `application/json` (which also blocks form CSRF)."""
    if request.content_type != "application/json":
        raise errors.InvalidPayload("expected application/json")
    try:
        body = await request.json()
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise errors.InvalidPayload("malformed JSON") from exc
    except LookupError as exc:  # a charset Python has no codec for
        raise errors.InvalidPayload("unknown charset") from exc
    if not isinstance(body, dict):
        raise errors.InvalidPayload("expected an object")
    return body
