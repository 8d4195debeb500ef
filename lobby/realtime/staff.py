"""Staff sockets whose session is void (account disabled, password reset) are closed."""

from __future__ import annotations

import logging

import socketio

from lobby.audit import Audit
from lobby.directory import Directory
from lobby.realtime.common import CLINICIAN_NS, LocalConnections

log = logging.getLogger("venterom.realtime")


async def close_void_sessions(
    sio: socketio.AsyncServer, connections: LocalConnections, directory: Directory, audit: Audit
) -> int:
    """Disconnect this instance's staff sockets whose account no longer accepts their
    session; one directory read for all of them. Returns how many were closed."""
    staff = {
        sid: record
        for sid, (_, record) in list(connections.sessions.items())
        if record.kind == "clinician"
    }
    if not staff:
        return 0
    accounts = directory.accounts.many(record.subject for record in staff.values())
    closed = 0
    for sid, record in staff.items():
        account = accounts.get(record.subject)
        if account is not None and account.accepts_session(record.issued_at):
            continue
        connections.sessions.pop(sid, None)
        await sio.disconnect(sid, namespace=CLINICIAN_NS)
        audit.record("session_closed", record.subject, outcome="account_changed")
        closed += 1
    if closed:
        log.info("closed staff sockets of changed accounts", extra={"sockets": closed})
    return closed
