"""Rooms as the lobby reads them: whose they are, and what a clinician's lobby shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lobby.adapters.directory import Directory, Room, ScheduledVisit
from lobby.adapters.presence.store import PresenceStore, RoomQuery, RoomSnapshot
from lobby.domain.errors import NotFound
from lobby.domain.model import Visit, VisitState
from lobby.services.upcoming import Upcoming


@dataclass(frozen=True, slots=True)
class RoomView:
    """One consistent read of a room, with its visits scheduled around now."""

    snapshot: RoomSnapshot
    scheduled: tuple[ScheduledVisit, ...] = ()

    @property
    def room_id(self) -> str:
        return self.snapshot.room_id

    @property
    def sequence(self) -> int:
        return self.snapshot.sequence

    def expected(self) -> list[Visit]:
        """Scheduled visits whose guest has not joined the lobby yet (not opened the link,
        or still testing devices): the clinician may need to phone."""
        snapshot = self.snapshot
        live_ids = {v.visit_id for v in snapshot.visits}
        expected = []
        for slot in self.scheduled:
            if slot.visit_id in live_ids:
                continue
            state = snapshot.states.get(slot.visit_id, VisitState.INVITED)
            if state in {VisitState.INVITED, VisitState.CHECKING}:
                expected.append(
                    Visit(
                        slot.visit_id,
                        snapshot.room_id,
                        slot.role,
                        state,
                        appointment_start=slot.start,
                        appointment_end=slot.end,
                    )
                )
        return expected


class Rooms:
    def __init__(
        self, store: PresenceStore, directory: Directory, clock: Callable[[], float]
    ) -> None:
        self.store = store
        self.directory = directory
        self.upcoming = Upcoming(directory, clock)

    async def of(self, clinician_id: str) -> list[Room]:
        return await self.directory.rooms.of(clinician_id)

    async def require(self, clinician_id: str, room_id: str) -> Room:
        room = await self.directory.rooms.owned(clinician_id, room_id)
        if room is None:
            raise NotFound("room not found")
        return room

    async def query(
        self, room_id: str, fresh: bool = False
    ) -> tuple[RoomQuery, tuple[ScheduledVisit, ...]]:
        """What to read of a room with a save: its live visits, its call, and the visits
        scheduled around now (to tell who is still expected); and those scheduled visits."""
        scheduled = tuple(await self.upcoming.of(room_id, fresh))
        return RoomQuery(room_id, tuple(s.visit_id for s in scheduled)), scheduled

    async def view(self, room_id: str, fresh: bool = False) -> RoomView:
        """The room now; `fresh` also re-reads its appointments (see `Upcoming`)."""
        query, scheduled = await self.query(room_id, fresh)
        return RoomView(await self.store.room_snapshot(query), scheduled)

    def forget_schedule(self, room_id: str) -> None:
        """Appointments were added, revoked or ended here: read them afresh next time
        (other instances' caches: within their 5 s)."""
        self.upcoming.forget(room_id)
