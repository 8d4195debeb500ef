"""Notices a clinician sends to everyone waiting in a room."""

from __future__ import annotations

import logging
from collections.abc import Callable

from lobby.adapters.presence.store import Notice, PresenceStore
from lobby.domain.model import VisitState
from lobby.domain.notices import NoticeCode, NoticeRequest
from lobby.services.fanout import Fanout
from lobby.services.rooms import Rooms

log = logging.getLogger("venterom.lobby")


class Notices:
    def __init__(
        self, store: PresenceStore, rooms: Rooms, fanout: Fanout, clock: Callable[[], float]
    ) -> None:
        self.store = store
        self.rooms = rooms
        self.fanout = fanout
        self.clock = clock

    async def send(self, clinician_id: str, request: NoticeRequest) -> Notice:
        await self.rooms.require(clinician_id, request.room_id)
        notice = Notice(request.code.value, request.minutes, self.clock())
        await self.store.set_notice(request.room_id, notice)
        room = await self.rooms.view(request.room_id)
        waiting = [v.visit_id for v in room.snapshot.visits if v.state is VisitState.WAITING]
        await self.fanout.notice_sent(room, notice, waiting)
        log.info(
            "notice sent",
            extra={"room": request.room_id, "code": notice.code, "recipients": len(waiting)},
        )
        return notice

    async def current(self, room_id: str) -> Notice | None:
        notice = await self.store.get_notice(room_id)
        return None if notice is None or notice.code == NoticeCode.CLEAR.value else notice
