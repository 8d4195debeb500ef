"""Rooms and scheduled visits as a clinic manages them: the integration API and the
dashboard act through this, with the rights of their `Principal`.

Directory writes come first (durable), then presence (a revoked guest is told), then the
audit stream. A create with an idempotency key is one transaction with the key, so a
retried request makes its resource once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lobby.adapters.audit import Audit
from lobby.adapters.directory import (
    AccountRole,
    Delivery,
    DeliveryStatus,
    Directory,
    DirectoryError,
    Language,
    Room,
    ScheduledVisit,
)
from lobby.domain.errors import Conflict, NotFound, Unprocessable
from lobby.domain.model import VisitState
from lobby.services.access import Principal, Scope
from lobby.services.lobby import LobbyService
from lobby.services.requests import RoomCreate, VisitCreate
from lobby.services.scheduling import IssuedInvitation, issued
from lobby.settings import Settings


class Deliverer(Protocol):
    """Sends a visit's invitation by e-mail (lobby.services.mailer.Mailer)."""

    @property
    def configured(self) -> bool: ...

    async def deliver(self, visit_id: str, language: Language, wait: float) -> Delivery: ...


@dataclass(frozen=True, slots=True)
class Idempotent:
    """An `Idempotency-Key` and the hash of the request that came with it."""

    key: str
    request_hash: str


NOT_CONFIGURED = "email_not_configured"
FIRST_ATTEMPT_WAIT = 10.0
"""How long a request that sends an e-mail waits for the first attempt's outcome."""


class Appointments:
    def __init__(
        self,
        directory: Directory,
        lobby: LobbyService,
        settings: Settings,
        secret: str,
        mailer: Deliverer,
        audit: Audit,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.lobby = lobby
        self.settings = settings
        self.secret = secret
        self.mailer = mailer
        self.audit = audit
        self.clock = clock

    # rooms --------------------------------------------------------------------------

    async def room(self, principal: Principal, room_id: str) -> Room:
        principal.require(Scope.ROOMS_READ)
        return await self.visible_room(principal, room_id)

    async def visible_room(self, principal: Principal, room_id: str) -> Room:
        """A room the principal may see (another clinician's looks the same as none)."""
        room = await self.directory.rooms.get(room_id)
        owns = principal.owner is not None and await self.directory.rooms.owns(
            principal.owner, room_id
        )
        if room is None or not principal.may_see(owns):
            raise NotFound("room not found")
        return room

    async def create_room(
        self, principal: Principal, request: RoomCreate, idempotent: Idempotent | None
    ) -> tuple[Room, bool]:
        """The new room, and whether it was made before under the same idempotency key."""
        principal.require(Scope.ROOMS_WRITE)
        async with self.directory.db.transaction():
            earlier = await self._recall(principal, idempotent, "room")
            if earlier is not None:
                room = await self.directory.rooms.get(earlier)
                if room is not None:
                    return room, True
            try:
                room = await self.directory.rooms.create(
                    request.name,
                    await self._owner_ids(request.owners),
                    clinic_name=request.clinic_name,
                    clinic_phone=request.clinic_phone,
                    support_phone=request.support_phone,
                    time_zone=request.time_zone,
                )
            except DirectoryError as exc:
                raise Unprocessable(str(exc), "unprocessable") from exc
            await self._remember(principal, idempotent, f"room:{room.room_id}")
        self.audit.record("room_created", principal.actor, room=room.room_id)
        return room, False

    async def set_owners(
        self, principal: Principal, room_id: str, usernames: tuple[str, ...]
    ) -> Room:
        principal.require(Scope.ROOMS_WRITE)
        room = await self.visible_room(principal, room_id)
        await self.directory.rooms.set_owners(room_id, await self._owner_ids(usernames))
        self.audit.record("room_owners_changed", principal.actor, room=room_id)
        return room

    async def close_room(self, principal: Principal, room_id: str) -> Room:
        """Close a room nobody is in: its links are refused from then on, and a guest still
        testing their devices is told the appointment is cancelled."""
        principal.require(Scope.ROOMS_WRITE)
        room = await self.visible_room(principal, room_id)
        if room.closed:
            return room
        if await self.lobby.store.room_visits(room_id):
            raise Conflict("guests are waiting or in a call in this room", "room_busy")
        room = await self.directory.rooms.close(room_id)
        view = await self.lobby.rooms.view(room_id, fresh=True)
        for slot in view.scheduled:
            if view.snapshot.states.get(slot.visit_id) is VisitState.CHECKING:
                await self.lobby.visits.end_revoked(slot.visit_id, room_id, slot.role)
        self.audit.record("room_closed", principal.actor, room=room_id)
        return room

    # visits -------------------------------------------------------------------------

    async def visit(self, principal: Principal, visit_id: str) -> tuple[ScheduledVisit, Room]:
        principal.require(Scope.VISITS_READ)
        return await self._visible_visit(principal, visit_id)

    async def _visible_visit(
        self, principal: Principal, visit_id: str
    ) -> tuple[ScheduledVisit, Room]:
        scheduled = await self.directory.schedule.get(visit_id)
        if scheduled is None:
            raise NotFound("visit not found")
        try:
            room = await self.visible_room(principal, scheduled.room_id)
        except NotFound:
            raise NotFound("visit not found") from None
        return scheduled, room

    def invitation(self, scheduled: ScheduledVisit) -> IssuedInvitation:
        return issued(scheduled, self.settings, self.secret)

    async def schedule(
        self,
        principal: Principal,
        room_id: str,
        request: VisitCreate,
        idempotent: Idempotent | None,
    ) -> tuple[ScheduledVisit, Delivery | None, bool]:
        """Schedule a visit (and e-mail its invitation if asked). Returns the visit, the
        e-mail's delivery, and whether this is a replay of an earlier create."""
        principal.require(Scope.VISITS_WRITE)
        room = await self.visible_room(principal, room_id)
        async with self.directory.db.transaction():
            earlier = await self._recall(principal, idempotent, "visit")
            if earlier is not None and (scheduled := await self.directory.schedule.get(earlier)):
                return scheduled, await self.directory.outbox.latest(earlier), True
            if room.closed:
                raise Conflict("the room is closed", "room_closed")
            start = request.start.timestamp()
            scheduled = await self.directory.schedule.add(
                room_id,
                request.role,
                start,
                start + request.duration_minutes * 60,
                not_before=start - self.settings.invite_early,
                expires_at=start + request.duration_minutes * 60 + self.settings.invite_late,
                email=request.email,
                language=request.language,
            )
            await self._remember(principal, idempotent, f"visit:{scheduled.visit_id}")
        self.lobby.schedule_changed(room_id)
        self.audit.record("visit_created", principal.actor, room=room_id, visit=scheduled.visit_id)
        delivery = None
        if request.send_email and not self.mailer.configured:
            # The visit stands and its link is answered: the failure is on record instead.
            delivery = await self._unsendable(scheduled.visit_id, request.language)
        elif request.send_email:
            delivery = await self._deliver(principal, scheduled, request.language)
        return scheduled, delivery, False

    async def revoke(self, principal: Principal, visit_id: str) -> ScheduledVisit:
        """Revoke the invitation: the link is refused, and a guest who opened it is told."""
        principal.require(Scope.VISITS_WRITE)
        scheduled, _ = await self._visible_visit(principal, visit_id)
        if not scheduled.revoked:
            scheduled = await self.directory.schedule.revoke(visit_id)
            self.lobby.schedule_changed(scheduled.room_id)
            self.audit.record(
                "invitation_revoked", principal.actor, room=scheduled.room_id, visit=visit_id
            )
        await self.lobby.visits.end_revoked(visit_id, scheduled.room_id, scheduled.role)
        return scheduled

    async def send(
        self, principal: Principal, visit_id: str, email: str | None, language: Language | None
    ) -> tuple[ScheduledVisit, Delivery]:
        """E-mail the invitation (again), to a new address if one is given."""
        principal.require(Scope.VISITS_WRITE)
        scheduled, _ = await self._visible_visit(principal, visit_id)
        if scheduled.revoked:
            raise Conflict("the invitation has been revoked", "revoked")
        if scheduled.expires_at and scheduled.expires_at <= self.clock():
            raise Conflict("the invitation has expired", "expired")
        if email is not None or language is not None:
            scheduled = await self.directory.schedule.set_recipient(
                visit_id, email or scheduled.email or "", language or scheduled.language
            )
        if not scheduled.email:
            raise Unprocessable("no e-mail address is known for this visit", "no_recipient")
        if not self.mailer.configured:
            raise Conflict("no SMTP server is configured", NOT_CONFIGURED)
        delivery = await self._deliver(principal, scheduled, scheduled.language)
        return scheduled, delivery

    async def _deliver(
        self, principal: Principal, scheduled: ScheduledVisit, language: Language
    ) -> Delivery:
        delivery = await self.mailer.deliver(scheduled.visit_id, language, FIRST_ATTEMPT_WAIT)
        self.audit.record(
            "invitation_sent",
            principal.actor,
            outcome=delivery.status.value,
            room=scheduled.room_id,
            visit=scheduled.visit_id,
            delivery=delivery.delivery_id,
        )
        return delivery

    async def _unsendable(self, visit_id: str, language: Language) -> Delivery:
        outbox = self.directory.outbox
        queued = await outbox.enqueue(visit_id, language)
        await outbox.finish(
            queued.delivery_id, DeliveryStatus.FAILED, 0, queued.next_attempt, NOT_CONFIGURED
        )
        return await outbox.get(queued.delivery_id) or queued

    # idempotency ---------------------------------------------------------------------

    async def _recall(
        self, principal: Principal, idempotent: Idempotent | None, kind: str
    ) -> str | None:
        if idempotent is None:
            return None
        earlier = await self.directory.idempotency.recall(principal.actor, idempotent.key)
        if earlier is None:
            return None
        request_hash, resource = earlier
        resource_kind, _, resource_id = resource.partition(":")
        if request_hash != idempotent.request_hash or resource_kind != kind:
            raise Unprocessable(
                "this Idempotency-Key came with a different request", "idempotency_mismatch"
            )
        return resource_id

    async def _remember(
        self, principal: Principal, idempotent: Idempotent | None, resource: str
    ) -> None:
        if idempotent is not None:
            await self.directory.idempotency.remember(
                principal.actor, idempotent.key, idempotent.request_hash, resource
            )

    async def _owner_ids(self, usernames: tuple[str, ...]) -> list[str]:
        ids = []
        for username in usernames:
            account = await self.directory.accounts.by_username(username)
            if account is None or account.role is not AccountRole.CLINICIAN:
                raise Unprocessable(f"no clinician {username!r}", "unknown_owner")
            ids.append(account.account_id)
        return ids
