"""Room snapshots as the scripts return them, decoded once per visit content."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from lobby.adapters.presence.redis.calls import _call_members
from lobby.adapters.presence.redis.codec import (
    _decode_pairs,
    _num,
    decode_visit,
)
from lobby.adapters.presence.store import (
    RoomSnapshot,
)
from lobby.domain.model import Visit, VisitState


class _DecodedVisits:
    """The last decoded copy of each visit: a room snapshot holds every live visit of the
    room, and most have not changed since the last one. (version, changed_at) names one
    content: every change bumps the version and stamps the time."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._visits: dict[str, tuple[str, Visit]] = {}
        """visit id -> its mark (see `_mark`) and the visit."""

    def row(self, flat: Sequence[Any]) -> Visit:
        """A visit from a script's reply (HGETALL's field, value, field, value...): an
        unchanged one without building its fields (half of a snapshot's decoding)."""
        return self.marked(flat)[1]

    def marked(self, flat: Sequence[Any]) -> tuple[str, Visit]:
        """`row`, with the visit's mark."""
        fields: Mapping[str, str] | None = None
        names = flat[0::2]
        try:
            visit_id = flat[2 * names.index("visit_id") + 1]
            version = flat[2 * names.index("version") + 1]
            changed_at = flat[2 * names.index("changed_at") + 1]
        except ValueError:  # bytes (a client without decode_responses), or an old visit
            fields = _decode_pairs(flat)
            visit_id = fields.get("visit_id", "")
            version, changed_at = fields.get("version"), fields.get("changed_at")
        known = self._visits.get(visit_id)
        if known is not None and version is not None and known[0] == _mark(version, changed_at):
            return known
        return self._decode(_decode_pairs(flat) if fields is None else fields)

    def _decode(self, fields: Mapping[str, str]) -> tuple[str, Visit]:
        visit = decode_visit(fields)
        if visit.visit_id not in self._visits and len(self._visits) >= self._limit:
            del self._visits[next(iter(self._visits))]
        entry = self._visits[visit.visit_id] = (
            _mark(visit.version, _num(visit.changed_at)),
            visit,
        )
        return entry


def _mark(version: object, changed_at: object) -> str:
    """A visit's stored version and changed_at as one text (see `_DecodedVisits`); the
    snapshot script builds the same text from the hash."""
    return f"{version} {changed_at}"


Seen = dict[str, tuple[str, Visit]]
"""A room's live visits as this store last read them: id -> (its mark, the visit)."""


def _marks(seen: Seen) -> str:
    """What a snapshot script is told the caller knows: id -> mark, as JSON."""
    return json.dumps({visit_id: mark for visit_id, (mark, _) in seen.items()})


class _SeenRooms:
    """The live visits of each room as of this store's last snapshot of it. A snapshot
    names them to the script, which sends back only the id of each one unchanged since: a
    lobby of fifty is then fifty short ids, not fifty hashes to send and parse, on every
    transition in that room."""

    def __init__(self) -> None:
        self._rooms: dict[str, Seen] = {}

    def of(self, room_id: str) -> Seen:
        return self._rooms.get(room_id, {})

    def remember(self, room_id: str, live: list[tuple[str, Visit]]) -> None:
        if live:
            self._rooms[room_id] = {visit.visit_id: (mark, visit) for mark, visit in live}
        else:
            self._rooms.pop(room_id, None)


def _snapshot(
    room_id: str,
    sequence: int,
    raw: Sequence[Any],
    decoded: _DecodedVisits,
    seen: Seen,
    rooms: _SeenRooms,
) -> RoomSnapshot:
    """Decode the snapshot part of a script's reply; `seen` is what the call named as known."""
    rows, call, states = raw
    read = [seen[row] if isinstance(row, str) else decoded.marked(row) for row in rows]
    live = sorted(
        (entry for entry in read if entry[1].room_id == room_id and entry[1].live),
        key=lambda entry: (entry[1].waiting_since or 0.0, entry[1].visit_id),
    )
    rooms.remember(room_id, live)
    return RoomSnapshot(
        room_id,
        [visit for _, visit in live],
        _call_members(_decode_pairs(call)),
        {visit_id: VisitState(state) for visit_id, state in _decode_pairs(states).items()},
        sequence,
    )
