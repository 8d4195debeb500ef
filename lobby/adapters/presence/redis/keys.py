"""The shared presence store: soft state in Redis so that several instances see one lobby.

Every key carries a TTL. Multi-key changes (a visit and the sets that index it) happen in
one Lua script, so a compare-and-set on `Visit.version` and the index updates are atomic
and cost one round trip.

Key layout (all under the prefix, default ``venterom:``):

=========================  ======  ===================================  ====================
key                        type    content                              TTL
=========================  ======  ===================================  ====================
``visit:{visit_id}``       hash    the serialized `Visit`               visit / ended
``room:{room_id}:live``    zset    live visit ids, score waiting_since  visit (refreshed)
``room:{room_id}:seq``     string  count of saves, orders snapshots     visit (refreshed)
``reconnecting``           zset    visit ids, score reconnecting_since  visit (refreshed)
``heartbeats``             zset    visit ids, score last heartbeat      heartbeat_index
``session:{sha256(id)}``   string  JSON `SessionRecord` (no names)      until expires_at
``device:{visit_id}``      string  key of the visit's guest session     guest session
``notice:{room_id}``       string  JSON `Notice` (fixed code)           notice
``call:{room_id}``         hash    clinician peer id -> JSON CallMember  visit (refreshed)
``instance:{id}``          string  JSON counts of one instance (no names) 3 heartbeats
``marker:{name}``          string  "1": the store kept its data         3 heartbeats
``instances``              zset    instance ids, score last report       3 heartbeats
=========================  ======  ===================================  ===================="""

from __future__ import annotations

import hashlib

DEFAULT_PREFIX = "venterom:"


MAX_CONNECTIONS = 64


POOL_WAIT = 10.0
"""Seconds a command may wait for a free connection before it fails."""


CHANGES = "changes"
"""The channel of change records (`VisitSaved`), one per save, under the prefix."""


HEARTBEATS = "heartbeats"


RECONNECTING = "reconnecting"


INSTANCES = "instances"


def visit_key(prefix: str, visit_id: str) -> str:
    """The hash holding one visit."""
    return f"{prefix}visit:{visit_id}"


def room_live_key(prefix: str, room_id: str) -> str:
    """The sorted set of a room's live visit ids, scored by waiting_since (arrival order)."""
    return f"{prefix}room:{room_id}:live"


def session_key(prefix: str, session_id: str) -> str:
    """The JSON `SessionRecord` behind a session cookie, under a hash of the cookie's value:
    whoever can read Redis learns no session id that would work."""
    return f"{prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()[:40]}"


def device_key(prefix: str, visit_id: str) -> str:
    """The key of the visit's current guest session: the device its link was opened on last."""
    return f"{prefix}device:{visit_id}"


def room_sequence_key(prefix: str, room_id: str) -> str:
    """A counter bumped by every save in the room, to order snapshots of it."""
    return f"{prefix}room:{room_id}:seq"


def call_key(prefix: str, room_id: str) -> str:
    """The hash of clinicians taking part in a room's call."""
    return f"{prefix}call:{room_id}"


def notice_key(prefix: str, room_id: str) -> str:
    """The JSON `Notice` last sent to a room's waiting guests."""
    return f"{prefix}notice:{room_id}"
