"""Sockets whose session ended are closed within a sweep: a staff member's logged out (on
any instance), expired, or their account disabled or its password reset; a guest's when the
invitation was opened on another device (one device per invitation)."""

from __future__ import annotations

import logging

import socketio

from lobby.interfaces.realtime.common import CLINICIAN_NS, GUEST_NS, LocalConnections
from lobby.services.lobby import LobbyService

log = logging.getLogger("venterom.realtime")


async def close_void_sessions(
    sio: socketio.AsyncServer, connections: LocalConnections, service: LobbyService
) -> int:
    """Disconnect this instance's sockets whose session ended (one store read for all of
    them, one directory read for the staff's); a guest's is told why first. Returns how
    many were closed."""
    held = dict(connections.sessions)
    if not held:
        return 0
    ended = await service.sessions.ended(dict(held.values()))
    closed = {"guest": 0, "clinician": 0}
    for sid, (session_id, record) in held.items():
        why = ended.get(session_id)
        if why is None:
            continue
        connections.sessions.pop(sid, None)
        if record.kind == "guest":
            await sio.emit("replaced", {}, to=sid, namespace=GUEST_NS)
            await sio.disconnect(sid, namespace=GUEST_NS)
        else:
            await sio.disconnect(sid, namespace=CLINICIAN_NS)
            service.audit.record("session_closed", record.subject, outcome=why)
        closed[record.kind] += 1
    if closed["clinician"]:
        log.info("closed staff sockets of ended sessions", extra={"sockets": closed["clinician"]})
    if closed["guest"]:
        log.info(
            "closed guest sockets of a link opened elsewhere", extra={"sockets": closed["guest"]}
        )
    return sum(closed.values())
