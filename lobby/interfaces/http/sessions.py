"""Session routes: a guest exchanges an invitation; a clinician logs in and out."""

from __future__ import annotations

import contextlib
from typing import Any

from aiohttp import web

from lobby.adapters.directory import Account, Room
from lobby.adapters.directory.people import normalise_username
from lobby.domain.errors import InvalidPayload, RateLimited, Unauthenticated
from lobby.domain.model import Visit, VisitState
from lobby.interfaces.http.client import request_client
from lobby.interfaces.http.errors import json_body
from lobby.interfaces.realtime import CLINICIAN_COOKIE, GUEST_COOKIE, notice_view
from lobby.interfaces.wire import guest_view
from lobby.keys import SERVICE, SETTINGS

routes = web.RouteTableDef()


def room_view(room: Room) -> dict[str, Any]:
    """What a guest may know of the room: its name and the clinic's contact details."""
    return {
        "name": room.name,
        "clinic_name": room.clinic_name,
        "clinic_phone": room.clinic_phone,
        "support_phone": room.support_phone,
    }


@routes.post("/api/guest/session")
async def open_guest_session(request: web.Request) -> web.Response:
    body = await json_body(request)
    token = body.get("token")
    if not isinstance(token, str):
        raise InvalidPayload("token is missing")
    entry = await request.app[SERVICE].sessions.open_link(token, request_client(request))
    response = web.json_response(await _guest_state(request, entry.visit, entry.room))
    _set_cookie(
        request, response, GUEST_COOKIE, entry.session_id, request.app[SETTINGS].guest_session_ttl
    )
    return response


@routes.get("/api/guest/session")
async def guest_session(request: web.Request) -> web.Response:
    _, visit = await request.app[SERVICE].sessions.guest(request.cookies.get(GUEST_COOKIE))
    return web.json_response(await _guest_state(request, visit))


@routes.delete("/api/guest/session")
async def close_guest_session(request: web.Request) -> web.Response:
    return await _end_session(request, GUEST_COOKIE)


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(password) > 1024:
        raise InvalidPayload("username and password are needed")
    service = request.app[SERVICE]
    earlier = request.cookies.get(CLINICIAN_COOKIE)
    if earlier:
        # A new id at every log-in: a session id planted before it (fixation) goes nowhere.
        await service.sessions.logout(earlier)
    try:
        session_id, _, account = await service.sessions.login(
            username, password, request_client(request)
        )
    except (Unauthenticated, RateLimited) as exc:
        known = await service.directory.accounts.by_username(username)
        who = (
            known.account_id
            if known
            else service.audit.pseudonym("username", normalise_username(username))
        )
        service.audit.record("login_failed", who, outcome=exc.code, client=_client(request))
        raise
    service.audit.record(
        "login", account.account_id, role=account.role.value, client=_client(request)
    )
    response = web.json_response(await _me(request, account))
    _set_cookie(
        request, response, CLINICIAN_COOKIE, session_id, request.app[SETTINGS].clinician_session_ttl
    )
    return response


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    with contextlib.suppress(Unauthenticated):
        record = await service.sessions.session(request.cookies.get(CLINICIAN_COOKIE), "clinician")
        service.audit.record("logout", record.subject, client=_client(request))
    return await _end_session(request, CLINICIAN_COOKIE)


async def _end_session(request: web.Request, cookie_name: str) -> web.Response:
    session_id = request.cookies.get(cookie_name)
    if session_id:
        await request.app[SERVICE].sessions.logout(session_id)
    response = web.json_response({"ok": True})
    response.del_cookie(cookie_name, path="/")
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    _, account = await request.app[SERVICE].sessions.staff(request.cookies.get(CLINICIAN_COOKIE))
    return web.json_response(await _me(request, account))


async def _guest_state(
    request: web.Request, visit: Visit, room: Room | None = None
) -> dict[str, Any]:
    """The guest page's start: their visit, the room (read unless given), and a notice if
    they are waiting (a notice is sent to the queue; someone still testing devices has not
    joined it)."""
    service = request.app[SERVICE]
    if room is None:
        room = await service.directory.rooms.get(visit.room_id)
    waiting = visit.state is VisitState.WAITING
    notice = await service.notices.current(visit.room_id) if waiting else None
    return {
        "visit": guest_view(visit),
        "room": room_view(room) if room else None,
        "notice": notice_view(notice) if notice else None,
    }


async def _me(request: web.Request, account: Account) -> dict[str, Any]:
    """Who is logged in; a clinician's rooms (an ops account owns none)."""
    rooms = await request.app[SERVICE].rooms.of(account.account_id)
    return {
        "account": {"name": account.display_name, "role": account.role.value},
        "clinician": {"name": account.display_name},
        "rooms": [{"room_id": r.room_id, **room_view(r)} for r in rooms],
    }


def _client(request: web.Request) -> str:
    """The caller's address, as a pseudonym for the audit stream."""
    return request.app[SERVICE].audit.pseudonym("client", request_client(request))


def _set_cookie(
    request: web.Request, response: web.Response, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
    )
