"""Opt-in, in-process patches of the server that try a proposed product fix
(`python -m bench --experiment NAME`). They never run by default: the benchmarks measure
the product as it is; an experiment only gives the before/after of a proposal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def roster_batch() -> None:
    """RoomBroadcaster.to_call sends nothing for an empty call, and one emit to the list of
    the guests' rooms instead of one emit (one Redis PUBLISH) per guest."""
    from lobby.realtime import broadcast
    from lobby.realtime.common import CLINICIAN_NS, GUEST_NS, call_room, visit_room

    async def to_call(
        self: Any, roster: Any, event: str, payload: dict[str, Any], skip: str | None = None
    ) -> None:
        if not roster.members:
            return
        await self.sio.emit(event, payload, room=call_room(roster.room_id), namespace=CLINICIAN_NS)
        rooms = [visit_room(p) for p in roster.guests() if p != skip]
        if rooms:
            await self.sio.emit(event, payload, room=rooms, namespace=GUEST_NS)

    broadcast.RoomBroadcaster.to_call = to_call  # type: ignore[method-assign]


EXPERIMENTS: dict[str, Callable[[], None]] = {
    "roster-batch": roster_batch,
}


def apply(names: Iterable[str]) -> list[str]:
    """Apply the named experiments (unknown names raise KeyError); return them."""
    applied = []
    for name in names:
        EXPERIMENTS[name]()
        applied.append(name)
    return applied
