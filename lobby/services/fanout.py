"""Where a change leaves the services: one interface, implemented by the realtime layer.

The services hand over what changed, with what its audience needs already read (the room as
the save left it); the fan-out never calls back to ask. It knows clients and their wire
format; the services know neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lobby.adapters.presence.store import Notice
from lobby.domain.model import Visit
from lobby.services.rooms import RoomView


@dataclass(frozen=True, slots=True)
class VisitChange:
    """A visit saved by this instance: as it was, as it is, and its room right after."""

    before: Visit | None
    after: Visit
    room: RoomView | None = None
    """None: not read along with the save (the room is then read when it is sent)."""


class Fanout(Protocol):
    async def visit_saved(self, change: VisitChange) -> None:
        """Tell the visit's guest now; the room's clinicians and call in the next batch."""
        ...

    async def notice_sent(self, room: RoomView, notice: Notice, visit_ids: list[str]) -> None:
        """Tell these waiting guests; the room's clinicians in the next batch."""
        ...

    def room_changed(self, room_id: str, call: bool = False) -> None:
        """Something no visit shows changed (a clinician joined the call, the appointments):
        the room goes out in the next batch, as it then is."""
        ...

    async def device_replaced(self, visit_id: str) -> None:
        """The visit's link was opened on another device: the one it was on is told now
        (its sockets are closed by the next sweep on whichever instance holds them)."""
        ...
