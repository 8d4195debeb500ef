"""Sessions: a guest's exchanged invitation, a member of staff's log-in, and their ends."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from lobby.adapters import ratelimit
from lobby.adapters.directory import Account, Directory, Room
from lobby.adapters.directory.people import normalise_username
from lobby.adapters.presence.store import PresenceStore, SessionRecord
from lobby.adapters.ratelimit import RateLimits
from lobby.domain import invites
from lobby.domain.errors import (
    InvalidToken,
    InvitationRevoked,
    RateLimited,
    RoomClosed,
    Unauthenticated,
)
from lobby.domain.model import Visit, VisitState
from lobby.domain.passwords import dummy_verify, new_secret, verify_password
from lobby.services.fanout import Fanout
from lobby.services.policy import Policy
from lobby.services.rooms import Rooms
from lobby.services.visits import Visits

SEEN_EVERY = 60.0
"""A staff session's use is written down at most this often (seconds)."""


@dataclass(frozen=True, slots=True)
class GuestEntry:
    """The result of exchanging an invitation: a session and where the visit stands."""

    session_id: str
    session: SessionRecord
    visit: Visit
    room: Room


class Sessions:
    def __init__(
        self,
        store: PresenceStore,
        directory: Directory,
        visits: Visits,
        rooms: Rooms,
        fanout: Fanout,
        policy: Policy,
        limits: RateLimits,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.directory = directory
        self.visits = visits
        self.rooms = rooms
        self.fanout = fanout
        self.policy = policy
        self.limits = limits
        self.clock = clock

    # guests -------------------------------------------------------------------------

    async def open_link(self, token: str, client: str) -> GuestEntry:
        """Exchange an invitation token for a guest session (and open the visit). Counted per
        client address before the token is looked at, and per invitation after."""
        await self.limits.hit(ratelimit.GUEST_OPEN_PER_CLIENT, client)
        invitation = invites.verify(token, self.policy.secret, self.clock())
        await self.limits.hit(ratelimit.GUEST_OPEN_PER_INVITATION, invitation.visit_id)
        scheduled = await self.rooms.upcoming.arrived(invitation.room_id, invitation.visit_id)
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
        visit = await self.visits.open(fresh, (session_id, record))
        ttl = math.ceil(self.policy.guest_session_ttl)
        if await self.store.take_device(visit, session_id, ttl):
            await self.fanout.device_replaced(visit.visit_id)
        return GuestEntry(session_id, record, visit, room)

    async def guest(self, session_id: str | None) -> tuple[SessionRecord, Visit]:
        """A guest's session and where their visit stands, in one store read."""
        record, visit = (
            await self.store.session_and_visit(session_id) if session_id else (None, None)
        )
        record = self._valid(record, "guest")
        return record, self.visits.read(record.subject, visit)

    # staff --------------------------------------------------------------------------

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

    async def logout(self, session_id: str) -> None:
        """End a session: refused from now on, and its sockets closed within a sweep."""
        record = await self.store.get_session(session_id)
        if record is not None and not record.ended:
            await self.store.put_session(session_id, dataclasses.replace(record, ended=True))

    async def ended(self, held: dict[str, SessionRecord]) -> dict[str, str]:
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

    def _valid(self, record: SessionRecord | None, kind: str) -> SessionRecord:
        if record is None or record.ended or record.kind != kind:
            raise Unauthenticated("no valid session")
        if record.expires_at <= self.clock():
            raise Unauthenticated("no valid session")
        return record


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
