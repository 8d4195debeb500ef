"""Authentication of the integration API, and one audit line per API-key request.

`Authorization: Bearer <key>` for integrations; the staff session cookie for the
dashboard, whose writes must also come from our own origin (no cross-site forms).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from lobby.adapters.ratelimit import API_PER_KEY
from lobby.domain.errors import LobbyError, NotPermitted, Unauthenticated
from lobby.interfaces.api.principal import PRINCIPAL, bearer
from lobby.interfaces.http.errors import Handler, error_response
from lobby.interfaces.realtime import CLINICIAN_COOKIE
from lobby.keys import DIRECTORY, SERVICE
from lobby.services.access import Kind, Principal

PUBLIC = frozenset({"/api/v1/openapi.json"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC:
        return await handler(request)
    try:
        request[PRINCIPAL] = principal = await _principal(request)
    except LobbyError as exc:
        return _refused(exc)
    try:
        response = await handler(request)
    except LobbyError as exc:
        response = error_response(exc)
    except web.HTTPException as exc:
        _audit_use(request, principal, exc.status)
        raise
    _audit_use(request, principal, response.status)
    return response


async def _principal(request: web.Request) -> Principal:
    secret = bearer(request)
    audit = request.config_dict[SERVICE].audit
    if secret is not None:
        key = await request.config_dict[DIRECTORY].api_keys.authenticate(secret)
        if key is None:
            audit.record("api_key_refused", "unknown", outcome="unknown_key")
            raise Unauthenticated("unknown API key")
        if key.revoked:
            audit.record("api_key_refused", key.key_id, outcome="revoked")
            raise Unauthenticated("this API key has been revoked")
        await request.config_dict[SERVICE].limits.hit(API_PER_KEY, key.key_id)
        return Principal.of_key(key)
    session_id = request.cookies.get(CLINICIAN_COOKIE)
    if not session_id:
        raise Unauthenticated("use Authorization: Bearer <API key>")
    _, account = await request.config_dict[SERVICE].sessions.staff(session_id)
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise NotPermitted("a change with a session cookie must come from this site")
    return Principal.of_account(account)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


def _refused(exc: LobbyError) -> web.Response:
    response = error_response(exc)
    if response.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="venterom"'
    return response


def _audit_use(request: web.Request, principal: Principal, status: int) -> None:
    if principal.kind is not Kind.API_KEY:
        return
    route = request.match_info.route.resource
    request.config_dict[SERVICE].audit.record(
        "api_key_used",
        principal.actor,
        outcome="ok" if status < 400 else "refused",
        method=request.method,
        route=route.canonical if route is not None else "unknown",
        status=status,
    )
