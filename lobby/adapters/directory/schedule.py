"""Scheduled visits: appointments, their invitation windows, recipients and revocation."""

from __future__ import annotations

import time
from collections.abc import Callable

from lobby.adapters.directory.db import Database, Row
from lobby.adapters.directory.records import DirectoryError, Language, ScheduledVisit
from lobby.domain.model import EndReason, Role
from lobby.domain.passwords import new_id


class Schedule:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self,
        room_id: str,
        role: Role,
        start: float,
        end: float,
        *,
        not_before: float | None = None,
        expires_at: float | None = None,
        email: str | None = None,
        language: Language = Language.NB,
    ) -> ScheduledVisit:
        if end <= start:
            raise DirectoryError("an appointment must end after it starts")
        visit = ScheduledVisit(
            visit_id=new_id("v"),
            room_id=room_id,
            role=role,
            start=start,
            end=end,
            not_before=start if not_before is None else not_before,
            expires_at=end if expires_at is None else expires_at,
            email=email,
            language=language,
            created=self._clock(),
        )
        async with self._db.transaction():
            room = await self._db.one("SELECT closed_at FROM rooms WHERE id = ?", (room_id,))
            if room is None:
                raise DirectoryError(f"unknown room {room_id!r}")
            if room["closed_at"] is not None:
                raise DirectoryError("the room is closed")
            await self._db.execute(
                'INSERT INTO visits (id, room_id, role, start, "end", created, not_before,'
                " expires_at, email, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    visit.visit_id,
                    room_id,
                    role.value,
                    start,
                    end,
                    visit.created,
                    visit.not_before,
                    visit.expires_at,
                    email,
                    language.value,
                ),
            )
        return visit

    async def get(self, visit_id: str) -> ScheduledVisit | None:
        row = await self._db.one("SELECT * FROM visits WHERE id = ?", (visit_id,))
        return _visit(row) if row else None

    async def between(self, room_id: str, start: float, end: float) -> list[ScheduledVisit]:
        """The room's appointments starting in [start, end), revoked ones left out."""
        rows = await self._db.all(
            "SELECT * FROM visits WHERE room_id = ? AND start >= ? AND start < ?"
            " AND revoked_at IS NULL ORDER BY start",
            (room_id, start, end),
        )
        return [_visit(row) for row in rows]

    async def page(
        self, room_id: str, after: str | None, limit: int, since: float | None = None
    ) -> list[ScheduledVisit]:
        """The room's visits by appointment time (revoked ones too), `limit` of them after
        the visit `after` (none after an unknown one); only those starting at or after
        `since` if given."""
        where, params = "room_id = ? AND start >= ?", [room_id, since or float("-inf")]
        if after is not None:
            where += " AND (start, id) > (SELECT start, id FROM visits WHERE id = ?)"
            params.append(after)
        rows = await self._db.all(
            f"SELECT * FROM visits WHERE {where} ORDER BY start, id LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        return [_visit(row) for row in rows]

    async def revoke(self, visit_id: str) -> ScheduledVisit:
        """Revoke the invitation (again is a no-op) and forget the recipient's address."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE visits SET revoked_at = COALESCE(revoked_at, ?), email = NULL WHERE id = ?",
                (self._clock(), visit_id),
            )
        visit = await self.get(visit_id)
        if visit is None:
            raise DirectoryError(f"unknown visit {visit_id!r}")
        return visit

    async def set_recipient(self, visit_id: str, email: str, language: Language) -> ScheduledVisit:
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE visits SET email = ?, language = ? WHERE id = ?",
                (email, language.value, visit_id),
            )
        visit = await self.get(visit_id)
        if visit is None:
            raise DirectoryError(f"unknown visit {visit_id!r}")
        return visit

    async def finish(self, visit_id: str, reason: EndReason, detail: str) -> None:
        """Record that the visit ended for good (the first ending stands)."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE visits SET ended_reason = ?, ended_detail = ?"
                " WHERE id = ? AND ended_reason IS NULL",
                (reason.value, detail, visit_id),
            )

    async def forget_expired_recipients(self) -> int:
        """Erase the e-mail address of every invitation that no longer works."""
        async with self._db.transaction():
            forgotten = await self._db.execute(
                "UPDATE visits SET email = NULL WHERE email IS NOT NULL AND expires_at < ?",
                (self._clock(),),
            )
        return forgotten


def _visit(row: Row) -> ScheduledVisit:
    return ScheduledVisit(
        visit_id=row["id"],
        room_id=row["room_id"],
        role=Role(row["role"]),
        start=row["start"],
        end=row["end"],
        not_before=row["not_before"] or 0.0,
        expires_at=row["expires_at"] or 0.0,
        revoked_at=row["revoked_at"],
        email=row["email"],
        language=Language(row["language"]),
        created=row["created"],
        ended_reason=EndReason(row["ended_reason"]) if row["ended_reason"] else None,
        ended_detail=row["ended_detail"],
    )
