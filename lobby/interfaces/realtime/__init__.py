"""Socket.io: guests on `/guest`, clinicians on `/clinician`.

Handlers are thin: authenticate by session cookie, validate the payload, call the
service, and answer every event with an acknowledgement `{"ok": true, ...}` or
`{"ok": false, "error": <code>, "message": <text>}`.
"""

from lobby.interfaces.realtime.broadcast import RoomBroadcaster
from lobby.interfaces.realtime.clinician import ClinicianNamespace
from lobby.interfaces.realtime.common import (
    CLINICIAN_COOKIE,
    CLINICIAN_NS,
    GUEST_COOKIE,
    GUEST_NS,
    LocalConnections,
    notice_view,
)
from lobby.interfaces.realtime.guest import GuestNamespace

__all__ = [
    "CLINICIAN_COOKIE",
    "CLINICIAN_NS",
    "GUEST_COOKIE",
    "GUEST_NS",
    "ClinicianNamespace",
    "GuestNamespace",
    "LocalConnections",
    "RoomBroadcaster",
    "notice_view",
]
