"""`/api/v1/rooms`: create, list, read, close; who owns a room; what goes on in it now."""

from __future__ import annotations

from aiohttp import web

from lobby.adapters.directory import Room
from lobby.interfaces.api.common import body, caller, created, idempotent, page_of, path_id
from lobby.interfaces.api.views import room_state, room_view
from lobby.interfaces.wire_api import parse_owners, parse_page, parse_room
from lobby.keys import DIRECTORY, SERVICE, SETTINGS
from lobby.services.access import Scope

routes = web.RouteTableDef()


async def _view(request: web.Request, room: Room) -> dict[str, object]:
    return room_view(room, await request.config_dict[DIRECTORY].rooms.owners(room.room_id))


@routes.get("/rooms")
async def list_rooms(request: web.Request) -> web.Response:
    principal, _ = caller(request)
    principal.require(Scope.ROOMS_READ)
    page = parse_page(request.query)
    rooms = await request.config_dict[DIRECTORY].rooms.page(page.after, page.limit, principal.owner)
    last = rooms[-1] if len(rooms) == page.limit else None
    return page_of(
        [await _view(request, room) for room in rooms],
        last.room_id if last else None,
    )


@routes.post("/rooms")
async def create_room(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    principal.require(Scope.ROOMS_WRITE)
    payload = await body(request)
    wanted = parse_room(payload, request.config_dict[SETTINGS].time_zone)
    room, replayed = await appointments.create_room(principal, wanted, idempotent(request, payload))
    return created(await _view(request, room), f"/api/v1/rooms/{room.room_id}", replayed)


@routes.get("/rooms/{room_id}")
async def get_room(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    room = await appointments.room(principal, path_id(request, "room_id"))
    return web.json_response(await _view(request, room))


@routes.post("/rooms/{room_id}/close")
async def close_room(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    room = await appointments.close_room(principal, path_id(request, "room_id"))
    return web.json_response(await _view(request, room))


@routes.put("/rooms/{room_id}/owners")
async def set_owners(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    principal.require(Scope.ROOMS_WRITE)
    room_id = path_id(request, "room_id")
    owners = parse_owners(await body(request))
    room = await appointments.set_owners(principal, room_id, owners)
    return web.json_response(await _view(request, room))


@routes.get("/rooms/{room_id}/state")
async def state(request: web.Request) -> web.Response:
    principal, appointments = caller(request)
    room = await appointments.room(principal, path_id(request, "room_id"))
    service = request.config_dict[SERVICE]
    view = await service.rooms.view(room.room_id, fresh=True)
    snapshot, expected = view.snapshot, len(view.expected())
    clinical = principal.has(Scope.CLINICAL)
    return web.json_response(room_state(room, snapshot.visits, expected, clinical, service.clock()))
