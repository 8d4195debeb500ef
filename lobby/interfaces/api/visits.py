"""`/api/v1/.../visits`: schedule visits, read them with their links, revoke them, and
their invitation as e-mail text and as a calendar file."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lobby.adapters.directory import Delivery, Language, Room, ScheduledVisit
from lobby.adapters.mail.content import InvitationContent, calendar, render
from lobby.domain.errors import Conflict, InvalidPayload
from lobby.domain.model import Visit
from lobby.interfaces.api.common import body, caller, created, idempotent, page_of, path_id
from lobby.interfaces.api.views import visit_view
from lobby.interfaces.wire_api import parse_email_request, parse_page, parse_time, parse_visit
from lobby.keys import DIRECTORY, SERVICE
from lobby.services.access import Principal, Scope
from lobby.services.appointments import Appointments

routes = web.RouteTableDef()


def _view(
    request: web.Request,
    scheduled: ScheduledVisit,
    room: Room,
    presence: Visit | None,
    delivery: Delivery | None,
) -> dict[str, Any]:
    principal, appointments = caller(request)
    invitation = appointments.invitation(scheduled)
    return visit_view(
        scheduled,
        room,
        link=invitation.link,
        valid_from=invitation.not_before,
        valid_until=invitation.expires_at,
        presence=presence,
        delivery=delivery,
        clinical=principal.has(Scope.CLINICAL),
        now=appointments.clock(),
    )


async def _full_view(request: web.Request, scheduled: ScheduledVisit, room: Room) -> dict[str, Any]:
    presence = await request.config_dict[SERVICE].store.get(scheduled.visit_id)
    delivery = await request.config_dict[DIRECTORY].outbox.latest(scheduled.visit_id)
    return _view(request, scheduled, room, presence, delivery)


@routes.get("/rooms/{room_id}/visits")
async def list_visits(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    principal.require(Scope.VISITS_READ)
    room = await appointments.visible_room(principal, path_id(request, "room_id"))
    page = parse_page(request.query)
    since = request.query.get("from")
    since_time = parse_time(since, "from").timestamp() if since is not None else None
    visits = await request.config_dict[DIRECTORY].schedule.page(
        room.room_id, page.after, page.limit, since_time
    )
    stored = await request.config_dict[SERVICE].store.get_many([v.visit_id for v in visits])
    outbox = request.config_dict[DIRECTORY].outbox
    items = [
        _view(request, v, room, stored.get(v.visit_id), await outbox.latest(v.visit_id))
        for v in visits
    ]
    last = visits[-1] if len(visits) == page.limit else None
    return page_of(items, last.visit_id if last else None)


@routes.post("/rooms/{room_id}/visits")
async def schedule(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    principal.require(Scope.VISITS_WRITE)
    room_id = path_id(request, "room_id")
    payload = await body(request)
    wanted = parse_visit(payload, appointments.clock())
    scheduled, delivery, replayed = await appointments.schedule(
        principal, room_id, wanted, idempotent(request, payload)
    )
    room = await appointments.visible_room(principal, room_id)
    presence = await request.config_dict[SERVICE].store.get(scheduled.visit_id)
    view = _view(request, scheduled, room, presence, delivery)
    return created(view, f"/api/v1/visits/{scheduled.visit_id}", replayed)


@routes.get("/visits/{visit_id}")
async def get_visit(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    scheduled, room = await appointments.visit(principal, path_id(request, "visit_id"))
    return web.json_response(await _full_view(request, scheduled, room))


@routes.post("/visits/{visit_id}/revoke")
async def revoke(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    scheduled = await appointments.revoke(principal, path_id(request, "visit_id"))
    room = await appointments.visible_room(principal, scheduled.room_id)
    return web.json_response(await _full_view(request, scheduled, room))


@routes.post("/visits/{visit_id}/email")
async def send_email(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    principal.require(Scope.VISITS_WRITE)
    visit_id = path_id(request, "visit_id")
    wanted = parse_email_request(await body(request))
    scheduled, delivery = await appointments.send(
        principal, visit_id, wanted.email, wanted.language
    )
    room = await appointments.visible_room(principal, scheduled.room_id)
    presence = await request.config_dict[SERVICE].store.get(visit_id)
    return web.json_response(_view(request, scheduled, room, presence, delivery), status=202)


@routes.get("/visits/{visit_id}/email")
async def email_text(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    content = await _content(request, principal, appointments)
    text = render(content)
    return web.json_response({"subject": text.subject, "text": text.text, "html": text.html})


@routes.get("/visits/{visit_id}/invitation.ics")
async def calendar_file(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    content = await _content(request, principal, appointments)
    return web.Response(
        body=calendar(content, request.host.split(":")[0] or "venterom"),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="invitation.ics"'},
    )


async def _content(
    request: web.Request, principal: Principal, appointments: Appointments
) -> InvitationContent:
    scheduled, room = await appointments.visit(principal, path_id(request, "visit_id"))
    language = request.query.get("language", scheduled.language.value)
    if language not in {lang.value for lang in Language}:
        raise InvalidPayload("language must be nb or en")
    if scheduled.revoked:
        raise Conflict("the invitation has been revoked", "revoked")
    link = appointments.invitation(scheduled).link
    return InvitationContent(room, scheduled, link, Language(language))
