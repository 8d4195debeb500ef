"""Sockets whose session ended are closed within a sweep: a staff member's logged out (on
any instance), expired, or their account disabled or its password reset; a guest's when the
invitation was opened on another device (one device per invitation)."""

from __future__ import annotations

import logging

import socketio

from lobby.realtime.common import CLINICIAN_NS, GUEST_NS, LocalConnections
from lobby.service import LobbyService

log = logging.getLogger("venterom.realtime")


async def close_void_sessions(
    sio: socketio.AsyncServer, connections: LocalConnections, service: LobbyService
) -> int:
    """Disconnect this instance's staff sockets whose session is no longer usable; one store
    read and one directory read for all of them. Returns how many were closed."""
    staff = {
        sid: (session_id, record)
        for sid, (session_id, record) in list(connections.sessions.items())
        if record.kind == "clinician"
    }
    if not staff:
        return 0
    ended = await service.ended_staff_sessions(dict(staff.values()))
    closed = 0
    for sid, (session_id, record) in staff.items():
        if session_id not in ended:
            continue
        connections.sessions.pop(sid, None)
        await sio.disconnect(sid, namespace=CLINICIAN_NS)
        service.audit.record("session_closed", record.subject, outcome=ended[session_id])
        closed += 1
    if closed:
        log.info("closed staff sockets of ended sessions", extra={"sockets": closed})
    return closed


async def close_replaced_guests(
    sio: socketio.AsyncServer, connections: LocalConnections, service: LobbyService
) -> int:
    """Disconnect this instance's guest sockets whose session another device's replaced
    (one store read for all of them), telling each why first. Returns how many."""
    guests = {
        sid: session_id
        for sid, (session_id, record) in list(connections.sessions.items())
        if record.kind == "guest"
    }
    if not guests:
        return 0
    stored = await service.store.sessions(list(guests.values()))
    closed = 0
    for sid, session_id in guests.items():
        record = stored.get(session_id)
        if record is None or not record.ended:
            continue  # not in the store: lost with its data, and written back by the keeper
        connections.sessions.pop(sid, None)
        await sio.emit("replaced", {}, to=sid, namespace=GUEST_NS)
        await sio.disconnect(sid, namespace=GUEST_NS)
        closed += 1
    if closed:
        log.info("closed guest sockets of a link opened elsewhere", extra={"sockets": closed})
    return closed
