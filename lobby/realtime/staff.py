"""Staff sockets whose session ended are closed within a sweep: logged out (on any
instance), expired, or the account disabled or its password reset."""

from __future__ import annotations

import logging

import socketio

from lobby.realtime.common import CLINICIAN_NS, LocalConnections
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
