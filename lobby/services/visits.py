"""Visit transitions: apply (pure machine) → save (compare-and-set) → hand to the fan-out.

Every refusal is a `LobbyError` with a stable code, raised before anything changed.

A transition starts from the last version of the visit this instance saw, without reading
the store: the compare-and-set catches a stale copy and hands back the current one, and a
refusal is only believed once checked against the store. So the usual transition is one
store call (on Redis one round trip, which also publishes the change record and reads the
room for the lobby).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from lobby.adapters.audit import Audit
from lobby.adapters.directory import Directory
from lobby.adapters.presence.store import PresenceStore, SaveResult, SessionRecord
from lobby.domain import machine
from lobby.domain.errors import (
    Conflict,
    InvalidTransition,
    InvitationRevoked,
    LobbyError,
    NotFound,
)
from lobby.domain.model import (
    Action,
    Actor,
    DenyReason,
    EndReason,
    Joining,
    Role,
    Visit,
    VisitState,
)
from lobby.services.fanout import Fanout, VisitChange
from lobby.services.known import KnownVisits
from lobby.services.metrics import Metrics
from lobby.services.rooms import Rooms, RoomView

log = logging.getLogger("venterom.lobby")

MAX_ATTEMPTS = 8
"""Compare-and-set retries before giving up with `conflict`; each retry re-validates."""

Authorize = Callable[[Visit], Awaitable[None]]

AUDITED = frozenset(
    {
        Action.ADMIT,
        Action.DENY,
        Action.SEND_BACK,
        Action.REMOVE,
        Action.MOVE_TO_PHONE,
        Action.END,
    }
)
"""Clinician actions that decide who is let in or put out: each goes to the audit stream."""


class Visits:
    def __init__(
        self,
        store: PresenceStore,
        directory: Directory,
        rooms: Rooms,
        fanout: Fanout,
        audit: Audit,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.directory = directory
        self.rooms = rooms
        self.fanout = fanout
        self.audit = audit
        self.clock = clock
        self.metrics = Metrics()
        self.known = KnownVisits()

    async def get(self, visit_id: str) -> Visit:
        return self.read(visit_id, await self.store.get(visit_id))

    def read(self, visit_id: str, visit: Visit | None) -> Visit:
        """What the store just said of a visit: remember it, or forget it and refuse."""
        if visit is None:
            self.known.forget(visit_id)
            raise NotFound("visit not found")
        self.known.remember(visit)
        return visit

    # guests ---------------------------------------------------------------------

    async def guest_act(
        self, visit_id: str, action: Action, joining: Joining | None = None
    ) -> Visit:
        return await self._transition(visit_id, action, Actor.GUEST, joining=joining)

    async def guest_connected(self, visit_id: str, seen: Visit | None = None) -> Visit:
        """A guest's connection is (back) up: clear the reconnecting flag if it was set.
        `seen`: the visit as just read (else it is read now)."""
        visit = seen or await self.get(visit_id)
        if visit.live and visit.reconnecting:
            return await self._transition(visit_id, Action.RECONNECT, Actor.GUEST)
        return visit

    async def guest_disconnected(self, visit_id: str) -> None:
        """The guest's last connection dropped: keep the place, flag it reconnecting."""
        await self.quietly(visit_id, Action.DISCONNECT, Actor.SYSTEM)

    async def open(self, fresh: Visit, session: tuple[str, SessionRecord]) -> Visit:
        """Open a visit by its link (the session is stored with it). Most links are opened
        once: the new visit is saved straight away; if one is stored already, the lost
        compare-and-set hands it back to decide on."""
        before: Visit | None = None
        unsaved: tuple[str, SessionRecord] | None = session
        for _ in range(MAX_ATTEMPTS):
            current = before or fresh
            if current.end_reason is EndReason.REVOKED:
                # Revoked on an instance whose news our appointment cache has not had yet.
                await self.store.delete_session(session[0])
                raise InvitationRevoked("this invitation has been cancelled")
            if current.live or not machine.allowed(current, Action.OPEN_LINK, Actor.GUEST):
                if unsaved is not None:
                    await self.store.put_session(*unsaved)
                self.known.remember(current)
                return current
            after = machine.apply(current, Action.OPEN_LINK, Actor.GUEST, self.clock())
            result = await self._save(before, after, current.version, unsaved)
            if result.saved:
                return after
            before, unsaved = result.current, None
        raise Conflict("visit changed too often; try again")

    # clinicians -------------------------------------------------------------------

    async def clinician_act(
        self,
        clinician_id: str,
        visit_id: str,
        action: Action,
        deny_reason: DenyReason | None = None,
    ) -> Visit:
        async def authorize(visit: Visit) -> None:
            if not await self.directory.rooms.owns(clinician_id, visit.room_id):
                raise NotFound("visit not found")

        visit = await self._transition(
            visit_id, action, Actor.CLINICIAN, authorize=authorize, deny_reason=deny_reason
        )
        if action in AUDITED:
            self._audit(clinician_id, action, visit)
        return visit

    async def admit_all(self, clinician_id: str, room_id: str) -> list[Visit]:
        await self.rooms.require(clinician_id, room_id)
        admitted = []
        for visit in await self.store.room_visits(room_id):
            if visit.state is VisitState.WAITING:
                result = await self.quietly(visit.visit_id, Action.ADMIT, Actor.CLINICIAN)
                if result is not None:
                    admitted.append(result)
                    self._audit(clinician_id, Action.ADMIT, result)
        return admitted

    def _audit(self, clinician_id: str, action: Action, visit: Visit) -> None:
        self.audit.record(
            action.value,
            clinician_id,
            room=visit.room_id,
            visit=visit.visit_id,
            detail=visit.detail,
        )

    # the system -------------------------------------------------------------------

    async def end_revoked(self, visit_id: str, room_id: str, role: Role) -> Visit | None:
        """End a revoked invitation's visit wherever it stands, telling a connected guest.

        A visit never opened is stored as an ended tombstone, so that an instance whose
        appointment cache has not seen the revocation yet refuses the link too. None when
        it had ended before."""
        current = self.known.get(visit_id) or await self.store.get(visit_id)
        for _ in range(MAX_ATTEMPTS):
            base = current or Visit(visit_id, room_id, role)
            if not machine.allowed(base, Action.REVOKE, Actor.SYSTEM):
                return None
            after = machine.apply(base, Action.REVOKE, Actor.SYSTEM, self.clock())
            result = await self._save(current, after, base.version)
            if result.saved:
                return after
            current = result.current
        raise Conflict("visit changed too often; try again")

    async def quietly(self, visit_id: str, action: Action, actor: Actor) -> Visit | None:
        """A system or bulk transition that may lose a race; losing is not an error."""
        try:
            return await self._transition(visit_id, action, actor)
        except (NotFound, Conflict, InvalidTransition):
            return None

    # the one way a visit changes --------------------------------------------------

    async def _transition(
        self,
        visit_id: str,
        action: Action,
        actor: Actor,
        *,
        authorize: Authorize | None = None,
        joining: Joining | None = None,
        deny_reason: DenyReason | None = None,
    ) -> Visit:
        before = self.known.get(visit_id)
        checked = before is None
        if before is None:
            before = await self.get(visit_id)
        for _ in range(MAX_ATTEMPTS):
            try:
                if authorize is not None:
                    await authorize(before)
                after = machine.apply(before, action, actor, self.clock(), joining, deny_reason)
            except LobbyError:
                if checked:
                    raise
                # Our copy may be stale: refuse only what the store's version refuses.
                before, checked = await self.get(visit_id), True
                continue
            result = await self._save(before, after, before.version)
            if result.saved:
                return after
            if result.current is None:
                raise NotFound("visit not found")
            before, checked = result.current, True
        raise Conflict("visit changed too often; try again")

    async def _save(
        self,
        before: Visit | None,
        after: Visit,
        expected_version: int,
        session: tuple[str, SessionRecord] | None = None,
    ) -> SaveResult:
        """Compare-and-set; on a win hand the change on, on a loss remember what is
        stored now."""
        query, scheduled = await self.rooms.query(after.room_id)
        result = await self.store.save(after, expected_version, room=query, session=session)
        if not result.saved:
            if result.current is None:
                self.known.forget(after.visit_id)
            else:
                self.known.remember(result.current)
            return result
        self.known.remember(after)
        if after.end_reason is not None and after.end_reason not in machine.REOPENABLE:
            await self.directory.schedule.finish(after.visit_id, after.end_reason, after.detail)
            self.rooms.forget_schedule(after.room_id)
        _log_transition(before, after)
        self.metrics.visit_changed(before, after, self.clock())
        if after.ended:
            await self.store.forget_heartbeat(after.visit_id)
        room = None if result.room is None else RoomView(result.room, scheduled)
        await self.fanout.visit_saved(VisitChange(before, after, room))
        return result


def _log_transition(before: Visit | None, after: Visit) -> None:
    old = before.state.value if before else "new"
    new = after.state.value + (" (reconnecting)" if after.reconnecting else "")
    reason = f" ({after.end_reason.value})" if after.end_reason else ""
    log.info("visit %s: %s -> %s%s", after.visit_id, old, new, reason)
