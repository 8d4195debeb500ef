"""The lobby service: apply (pure machine) → save (compare-and-set) → publish.

Handlers call this; it never knows about sockets. Every refusal is a `LobbyError` with a
stable code, raised before anything changed.

A transition starts from the last version of the visit this instance saw, without reading
the store: the compare-and-set catches a stale copy and hands back the current one, and a
refusal is only believed once checked against the store. So the usual transition is one
store call (on Redis one round trip that also publishes the guest's update and reads the
room for the lobby).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from lobby.adapters import ratelimit
from lobby.adapters.audit import Audit
from lobby.adapters.directory import Account, Directory, Room
from lobby.adapters.directory.people import normalise_username
from lobby.adapters.presence.store import (
    Announcement,
    Notice,
    PresenceStore,
    RoomQuery,
    RoomSnapshot,
    SaveResult,
    SessionRecord,
)
from lobby.adapters.ratelimit import RateLimits
from lobby.domain import invites, machine
from lobby.domain.errors import (
    Conflict,
    InvalidToken,
    InvalidTransition,
    InvitationRevoked,
    LobbyError,
    NotFound,
    RateLimited,
    RoomClosed,
    Unauthenticated,
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
from lobby.domain.passwords import dummy_verify, new_secret, verify_password
from lobby.interfaces.wire import NoticeCode, NoticeRequest
from lobby.services.metrics import Metrics
from lobby.services.upcoming import Upcoming

log = logging.getLogger("venterom.lobby")

MAX_ATTEMPTS = 8
"""Compare-and-set retries before giving up with `conflict`; each retry re-validates."""

SEEN_EVERY = 60.0
"""A staff session's use is written down at most this often (seconds)."""

MAX_KNOWN = 100_000
"""Visits whose last seen version this instance keeps (the oldest are dropped first)."""


class Publisher(Protocol):
    """Tells connected clients what changed; the realtime layer implements it."""

    def announcements(self, after: Visit) -> list[Announcement]:
        """Messages the store may publish together with saving `after` (none if the
        publisher has no shared channel); `visit_changed` is then told they went out."""
        ...

    async def visit_changed(
        self,
        before: Visit | None,
        after: Visit,
        room: RoomSnapshot | None = None,
        announced: bool = False,
    ) -> None: ...

    async def notice_sent(self, room_id: str, notice: Notice, visit_ids: list[str]) -> None: ...

    async def call_changed(self, room_id: str) -> None: ...

    def schedule_changed(self, room_id: str) -> None:
        """The room's appointments changed (a visit scheduled or revoked)."""
        ...

    async def device_replaced(self, visit_id: str) -> None:
        """The visit's link was opened on another device: the one it was on is told now
        (its sockets are closed by the next sweep on whichever instance holds them)."""
        ...


@dataclass(frozen=True, slots=True)
class GuestEntry:
    """The result of exchanging an invitation: a session and where the visit stands."""

    session_id: str
    session: SessionRecord
    visit: Visit
    room: Room


@dataclass(frozen=True, slots=True)
class Policy:
    """The service's timing knobs, taken from `Settings`."""

    secret: str
    guest_session_ttl: float
    clinician_session_ttl: float
    grace_period: float
    clinician_idle_timeout: float = 30 * 60.0


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


class LobbyService:
    def __init__(
        self,
        store: PresenceStore,
        directory: Directory,
        publisher: Publisher,
        policy: Policy,
        audit: Audit,
        limits: RateLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.directory = directory
        self.publisher = publisher
        self.policy = policy
        self.audit = audit
        self.limits = limits
        self.clock = clock
        self.metrics = Metrics()
        self._known: dict[str, Visit] = {}
        self.upcoming = Upcoming(directory, clock)

    # sessions -------------------------------------------------------------

    async def open_link(self, token: str, client: str) -> GuestEntry:
        """Exchange an invitation token for a guest session (and open the visit). Counted per
        client address before the token is looked at, and per invitation after."""
        await self.limits.hit(ratelimit.GUEST_OPEN_PER_CLIENT, client)
        invitation = invites.verify(token, self.policy.secret, self.clock())
        await self.limits.hit(ratelimit.GUEST_OPEN_PER_INVITATION, invitation.visit_id)
        scheduled = await self.upcoming.arrived(invitation.room_id, invitation.visit_id)
        room = await self.directory.rooms.get(invitation.room_id)
        if scheduled is None or room is None:
            raise InvalidToken("unknown invitation")
        if scheduled.revoked:
            raise InvitationRevoked("this invitation has been cancelled")
        if room.closed:
            raise RoomClosed("this waiting room is closed")
        fresh = Visit(
            visit_id=invitation.visit_id,
            room_id=invitation.room_id,
            role=invitation.role,
            appointment_start=scheduled.start,
            appointment_end=scheduled.end,
        )
        if scheduled.ended_reason is not None:
            # Ended for good, and presence has forgotten it: the link shows that ending.
            fresh = dataclasses.replace(
                fresh,
                state=VisitState.ENDED,
                end_reason=scheduled.ended_reason,
                detail=scheduled.ended_detail,
            )
        now = self.clock()
        record = SessionRecord(
            "guest", fresh.visit_id, room.room_id, now + self.policy.guest_session_ttl, now
        )
        session_id = new_secret()
        visit = await self._open(fresh, (session_id, record))
        ttl = math.ceil(self.policy.guest_session_ttl)
        if await self.store.take_device(visit, session_id, ttl):
            await self.publisher.device_replaced(visit.visit_id)
        return GuestEntry(session_id, record, visit, room)

    async def login(
        self, username: str, password: str, client: str
    ) -> tuple[str, SessionRecord, Account]:
        """A new staff session; a wrong password, an unknown or disabled account all get
        the same answer in the same time. Failures are limited per account and address
        (what an attacker at one address can lock is only that pair), per address, and per
        account (higher, for many addresses); every lockout ends with its window."""
        who = normalise_username(username)
        failures = _login_failures(who, client)
        for limit, ids in failures:
            await self.limits.check(limit, *ids)
        # argon2id takes tens of milliseconds of CPU: keep it off the event loop.
        loop = asyncio.get_running_loop()
        try:
            known = await self.directory.accounts.by_username(username)
            account = await loop.run_in_executor(None, _check_password, known, password)
        except Unauthenticated:
            for limit, ids in failures:
                with contextlib.suppress(RateLimited):  # this one still gets its 401
                    await self.limits.hit(limit, *ids)
            raise
        await self.limits.clear(ratelimit.LOGIN_FAILURES_PER_ACCOUNT_CLIENT, who, client)
        now = self.clock()
        record = SessionRecord(
            "clinician", account.account_id, "", now + self.policy.clinician_session_ttl, now, now
        )
        session_id = new_secret()
        await self.store.put_session(session_id, record)
        return session_id, record, account

    async def session(self, session_id: str | None, kind: str) -> SessionRecord:
        record = await self.store.get_session(session_id) if session_id else None
        return self._valid(record, kind)

    async def staff(self, session_id: str | None) -> tuple[SessionRecord, Account]:
        """A staff session and its account, if the account may still use it (not disabled,
        no password reset since)."""
        record = await self.session(session_id, "clinician")
        account = await self.directory.accounts.get(record.subject)
        if account is None or not self._staff_usable(record, account):
            raise Unauthenticated("no valid session")
        assert session_id is not None
        await self._seen(session_id, record)
        return record, account

    async def ended_sessions(self, held: dict[str, SessionRecord]) -> dict[str, str]:
        """Of these sessions (of connected sockets, as they hold them), those that ended,
        with why, in one store read: a guest's `replaced` (the link opened on another
        device); a staff member's `expired`, `logged_out`, `account_changed` (disabled,
        password reset). A connected dashboard is use: the others' idle clocks are reset."""
        now = self.clock()
        ended = {
            sid: "expired"
            for sid, record in held.items()
            if record.kind == "clinician" and record.expires_at <= now
        }
        # A session the store does not hold is not ended: the store may have lost its data
        # (Redis restarted empty), and the keeper writes it back.
        stored = await self.store.sessions([sid for sid in held if sid not in ended])
        staff = {sid: r for sid, r in stored.items() if r.kind == "clinician"}
        ended |= {sid: "replaced" for sid, r in stored.items() if r.kind == "guest" and r.ended}
        if not staff:
            return ended
        accounts = await self.directory.accounts.many(r.subject for r in staff.values())
        for session_id, record in staff.items():
            account = accounts.get(record.subject)
            if record.ended:
                ended[session_id] = "logged_out"
            elif account is None or not account.accepts_session(record.issued_at):
                ended[session_id] = "account_changed"
            else:
                await self._seen(session_id, record)
        return ended

    def _staff_usable(self, record: SessionRecord, account: Account) -> bool:
        last_use = record.seen_at or record.issued_at
        idle = bool(last_use) and self.clock() - last_use > self.policy.clinician_idle_timeout
        return account.accepts_session(record.issued_at) and not idle

    async def _seen(self, session_id: str, record: SessionRecord) -> None:
        """Note the session's use, at most once a minute (a store write each time)."""
        now = self.clock()
        every = min(SEEN_EVERY, self.policy.clinician_idle_timeout / 4)
        if now - (record.seen_at or record.issued_at) >= every:
            await self.store.put_session(session_id, dataclasses.replace(record, seen_at=now))

    async def guest_session(self, session_id: str | None) -> tuple[SessionRecord, Visit]:
        """A guest's session and where their visit stands, in one store read."""
        record, visit = (
            await self.store.session_and_visit(session_id) if session_id else (None, None)
        )
        record = self._valid(record, "guest")
        return record, self._read(record.subject, visit)

    def _valid(self, record: SessionRecord | None, kind: str) -> SessionRecord:
        if record is None or record.ended or record.kind != kind:
            raise Unauthenticated("no valid session")
        if record.expires_at <= self.clock():
            raise Unauthenticated("no valid session")
        return record

    async def logout(self, session_id: str) -> None:
        """End a session: refused from now on, and its sockets closed within a sweep."""
        record = await self.store.get_session(session_id)
        if record is not None and not record.ended:
            await self.store.put_session(session_id, dataclasses.replace(record, ended=True))

    # guest actions ----------------------------------------------------------

    async def visit(self, visit_id: str) -> Visit:
        return self._read(visit_id, await self.store.get(visit_id))

    async def guest_act(
        self, visit_id: str, action: Action, joining: Joining | None = None
    ) -> Visit:
        return await self._transition(visit_id, action, Actor.GUEST, joining=joining)

    async def guest_connected(self, visit_id: str, seen: Visit | None = None) -> Visit:
        """A guest's connection is (back) up: clear the reconnecting flag if it was set.
        `seen`: the visit as just read (else it is read now)."""
        visit = seen or await self.visit(visit_id)
        if visit.live and visit.reconnecting:
            return await self._transition(visit_id, Action.RECONNECT, Actor.GUEST)
        return visit

    async def guest_disconnected(self, visit_id: str) -> None:
        """The guest's last connection dropped: keep the place, flag it reconnecting."""
        await self._transition_quietly(visit_id, Action.DISCONNECT, Actor.SYSTEM)

    # clinician actions --------------------------------------------------------

    async def rooms(self, clinician_id: str) -> list[Room]:
        return await self.directory.rooms.of(clinician_id)

    async def require_room(self, clinician_id: str, room_id: str) -> Room:
        room = await self.directory.rooms.owned(clinician_id, room_id)
        if room is None:
            raise NotFound("room not found")
        return room

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
            self._audit_action(clinician_id, action, visit)
        return visit

    def _audit_action(self, clinician_id: str, action: Action, visit: Visit) -> None:
        self.audit.record(
            action.value,
            clinician_id,
            room=visit.room_id,
            visit=visit.visit_id,
            detail=visit.detail,
        )

    async def admit_all(self, clinician_id: str, room_id: str) -> list[Visit]:
        await self.require_room(clinician_id, room_id)
        admitted = []
        for visit in await self.store.room_visits(room_id):
            if visit.state is VisitState.WAITING:
                result = await self._transition_quietly(
                    visit.visit_id, Action.ADMIT, Actor.CLINICIAN
                )
                if result is not None:
                    admitted.append(result)
                    self._audit_action(clinician_id, Action.ADMIT, result)
        return admitted

    async def room_query(self, room_id: str, fresh: bool = False) -> RoomQuery:
        """What a lobby needs read of a room: its live visits, its call, and the visits
        scheduled around now (to tell who is still expected)."""
        slots = await self.upcoming.of(room_id, fresh)
        return RoomQuery(room_id, tuple(s.visit_id for s in slots))

    async def room_snapshot(self, room_id: str, fresh: bool = False) -> RoomSnapshot:
        """The room now; `fresh` also re-reads its appointments (see `Upcoming`)."""
        return await self.store.room_snapshot(await self.room_query(room_id, fresh))

    async def expected(self, snapshot: RoomSnapshot) -> list[Visit]:
        """Today's scheduled visits of the room whose guest has not joined the lobby yet
        (not opened the link, or still testing devices): the clinician may need to phone."""
        live_ids = {v.visit_id for v in snapshot.visits}
        expected = []
        for slot in await self.upcoming.of(snapshot.room_id):
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

    async def send_notice(self, clinician_id: str, request: NoticeRequest) -> Notice:
        await self.require_room(clinician_id, request.room_id)
        notice = Notice(request.code.value, request.minutes, self.clock())
        await self.store.set_notice(request.room_id, notice)
        waiting = [
            v.visit_id
            for v in await self.store.room_visits(request.room_id)
            if v.state is VisitState.WAITING
        ]
        await self.publisher.notice_sent(request.room_id, notice, waiting)
        log.info(
            "notice sent",
            extra={"room": request.room_id, "code": notice.code, "recipients": len(waiting)},
        )
        return notice

    async def current_notice(self, room_id: str) -> Notice | None:
        notice = await self.store.get_notice(room_id)
        return None if notice is None or notice.code == NoticeCode.CLEAR.value else notice

    def schedule_changed(self, room_id: str) -> None:
        """Appointments were added or revoked: read them afresh, and let the room's
        clinicians (on every instance) see who is expected now."""
        self.upcoming.forget(room_id)
        self.publisher.schedule_changed(room_id)

    async def end_revoked(self, visit_id: str, room_id: str, role: Role) -> Visit | None:
        """End a revoked invitation's visit wherever it stands, telling a connected guest.

        A visit never opened is stored as an ended tombstone, so that an instance whose
        appointment cache has not seen the revocation yet refuses the link too. None when
        it had ended before."""
        current = self._known.get(visit_id) or await self.store.get(visit_id)
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

    # system ------------------------------------------------------------------------

    async def sweep(self, local_visit_ids: list[str], is_local: Callable[[str], bool]) -> None:
        """Heartbeat our guests, clear the flag of ours that are back (they may have dropped on
        another instance and returned here), and expire the others whose grace is over."""
        now = self.clock()
        if local_visit_ids:
            await self.store.heartbeat(local_visit_ids, now)
        for visit_id in await self.store.reconnecting_since_before(now):
            if is_local(visit_id):
                with contextlib.suppress(LobbyError):
                    await self.guest_connected(visit_id)
        for visit_id in await self.store.reconnecting_since_before(now - self.policy.grace_period):
            if not is_local(visit_id):
                await self._transition_quietly(visit_id, Action.EXPIRE, Actor.SYSTEM)

    async def refresh(self, held: list[Visit]) -> list[Visit]:
        """The stored state of visits our clients hold (their own copy if none is stored)."""
        changed = await self.store.changed(held)
        fresh = []
        for visit in held:
            stored = changed.get(visit.visit_id)
            if stored is not None:
                self._remember(stored)
            fresh.append(stored or visit)
        return fresh

    async def republish(self, held: list[Visit], sessions: dict[str, SessionRecord]) -> list[Visit]:
        """The store lost data (Redis restarted empty): write back what our clients hold.
        Returns the fresh state of the held visits, for the next time."""
        stored = await self.store.get_many([v.visit_id for v in held])
        missing = [v for v in held if v.visit_id not in stored and not v.ended]
        restored = await self.store.restore(missing, sessions)
        if restored:
            log.warning("store lost visits; republished", extra={"visits": restored})
            for visit in missing:
                await self.publisher.visit_changed(None, visit)
        return [stored.get(v.visit_id, v) for v in held]

    async def mark_stale(self, seen_before: float) -> None:
        for visit_id in await self.store.stale(seen_before):
            await self.guest_disconnected(visit_id)
            await self.store.forget_heartbeat(visit_id)

    # the one way a visit changes --------------------------------------------------

    async def _open(self, fresh: Visit, session: tuple[str, SessionRecord]) -> Visit:
        # Most links are opened once: try to save the new visit straight away (the session
        # goes with it); if one is stored already, the lost compare-and-set hands it back
        # to decide on.
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
                self._remember(current)
                return current
            after = machine.apply(current, Action.OPEN_LINK, Actor.GUEST, self.clock())
            result = await self._save(before, after, current.version, unsaved)
            if result.saved:
                return after
            before, unsaved = result.current, None
        raise Conflict("visit changed too often; try again")

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
        before = self._known.get(visit_id)
        checked = before is None
        if before is None:
            before = await self.visit(visit_id)
        for _ in range(MAX_ATTEMPTS):
            try:
                if authorize is not None:
                    await authorize(before)
                after = machine.apply(before, action, actor, self.clock(), joining, deny_reason)
            except LobbyError:
                if checked:
                    raise
                # Our copy may be stale: refuse only what the store's version refuses.
                before, checked = await self.visit(visit_id), True
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
        """Compare-and-set; on a win publish, on a loss remember what is stored now."""
        announcements = self.publisher.announcements(after)
        result = await self.store.save(
            after,
            expected_version,
            room=await self.room_query(after.room_id),
            announce=announcements,
            session=session,
        )
        if not result.saved:
            if result.current is None:
                self._known.pop(after.visit_id, None)
            else:
                self._remember(result.current)
            return result
        self._remember(after)
        if after.end_reason is not None and after.end_reason not in machine.REOPENABLE:
            await self.directory.schedule.finish(after.visit_id, after.end_reason, after.detail)
            self.upcoming.forget(after.room_id)  # other instances': within their cache's 5 s
        _log_transition(before, after)
        self.metrics.visit_changed(before, after, self.clock())
        if after.ended:
            await self.store.forget_heartbeat(after.visit_id)
        await self.publisher.visit_changed(before, after, result.room, bool(announcements))
        return result

    async def _transition_quietly(
        self, visit_id: str, action: Action, actor: Actor
    ) -> Visit | None:
        """A system or bulk transition that may lose a race; losing is not an error."""
        try:
            return await self._transition(visit_id, action, actor)
        except (NotFound, Conflict, InvalidTransition):
            return None

    def _read(self, visit_id: str, visit: Visit | None) -> Visit:
        """What the store just said of a visit: remember it, or forget it and refuse."""
        if visit is None:
            self._known.pop(visit_id, None)
            raise NotFound("visit not found")
        self._remember(visit)
        return visit

    def _remember(self, visit: Visit) -> None:
        self._known.pop(visit.visit_id, None)
        if visit.ended:
            return
        if len(self._known) >= MAX_KNOWN:
            del self._known[next(iter(self._known))]
        self._known[visit.visit_id] = visit


def _log_transition(before: Visit | None, after: Visit) -> None:
    old = before.state.value if before else "new"
    new = after.state.value + (" (reconnecting)" if after.reconnecting else "")
    reason = f" ({after.end_reason.value})" if after.end_reason else ""
    log.info("visit %s: %s -> %s%s", after.visit_id, old, new, reason)


def _login_failures(who: str, client: str) -> list[tuple[ratelimit.Limit, tuple[str, ...]]]:
    """The failure counters a log-in attempt as `who` from `client` is held to."""
    return [
        (ratelimit.LOGIN_FAILURES_PER_ACCOUNT_CLIENT, (who, client)),
        (ratelimit.LOGIN_FAILURES_PER_CLIENT, (client,)),
        (ratelimit.LOGIN_FAILURES_PER_ACCOUNT, (who,)),
    ]


def _check_password(account: Account | None, password: str) -> Account:
    """Run in a thread: argon2id takes tens of milliseconds of CPU."""
    if account is None:
        dummy_verify(password)
    elif verify_password(account.password_hash, password) and not account.disabled:
        return account
    raise Unauthenticated("wrong username or password")
