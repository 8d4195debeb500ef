"""Rooms, who owns them, and closing them."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from lobby.adapters.directory.db import Database, Row
from lobby.adapters.directory.people import account_from_row
from lobby.adapters.directory.records import Account, AccountRole, DirectoryError, Room
from lobby.domain.passwords import new_id

DEFAULT_TIME_ZONE = "Europe/Oslo"


def check_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise DirectoryError(f"unknown time zone {name!r}") from exc
    return name


class Rooms:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def create(
        self,
        name: str,
        owner_ids: list[str],
        *,
        clinic_name: str = "",
        clinic_phone: str = "",
        support_phone: str = "",
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> Room:
        if not name.strip():
            raise DirectoryError("a room needs a name")
        room = Room(
            new_id("r"),
            name.strip(),
            clinic_name.strip(),
            clinic_phone.strip(),
            support_phone.strip(),
            check_time_zone(time_zone),
            created=self._clock(),
        )
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO rooms (id, name, clinic_name, clinic_phone, support_phone, created,"
                " time_zone) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    room.room_id,
                    room.name,
                    room.clinic_name,
                    room.clinic_phone,
                    room.support_phone,
                    room.created,
                    room.time_zone,
                ),
            )
            await self._insert_owners(room.room_id, owner_ids)
        return room

    async def get(self, room_id: str) -> Room | None:
        row = await self._db.one("SELECT * FROM rooms WHERE id = ?", (room_id,))
        return _room(row) if row else None

    async def of(self, account_id: str) -> list[Room]:
        """The open rooms an account owns, by name."""
        rows = await self._db.all(
            "SELECT rooms.* FROM rooms JOIN room_owners ON rooms.id = room_owners.room_id"
            " WHERE room_owners.clinician_id = ? AND rooms.closed_at IS NULL"
            " ORDER BY rooms.name, rooms.id",
            (account_id,),
        )
        return [_room(row) for row in rows]

    async def page(self, after: str | None, limit: int, owner_id: str | None = None) -> list[Room]:
        """Rooms in order of creation, `limit` of them after the room `after` (none after an
        unknown one); only `owner_id`'s if given."""
        where = "TRUE"
        params: tuple[object, ...] = ()
        if after is not None:
            where = "(created, id) > (SELECT created, id FROM rooms WHERE id = ?)"
            params = (after,)
        if owner_id is not None:
            where += " AND id IN (SELECT room_id FROM room_owners WHERE clinician_id = ?)"
            params += (owner_id,)
        rows = await self._db.all(
            f"SELECT * FROM rooms WHERE {where} ORDER BY created, id LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        return [_room(row) for row in rows]

    async def all(self) -> list[Room]:
        return [_room(r) for r in await self._db.all("SELECT * FROM rooms ORDER BY name, id")]

    async def owned(self, account_id: str, room_id: str) -> Room | None:
        """The room, if the account owns it: one query for what a clinician's event checks."""
        row = await self._db.one(
            "SELECT rooms.* FROM rooms JOIN room_owners ON rooms.id = room_owners.room_id"
            " WHERE room_owners.clinician_id = ? AND rooms.id = ?",
            (account_id, room_id),
        )
        return _room(row) if row else None

    async def owns(self, account_id: str, room_id: str) -> bool:
        row = await self._db.one(
            "SELECT 1 FROM room_owners WHERE clinician_id = ? AND room_id = ?",
            (account_id, room_id),
        )
        return row is not None

    async def owners(self, room_id: str) -> list[Account]:
        rows = await self._db.all(
            "SELECT clinicians.* FROM clinicians JOIN room_owners"
            " ON clinicians.id = room_owners.clinician_id WHERE room_owners.room_id = ?"
            " ORDER BY clinicians.username",
            (room_id,),
        )
        return [account_from_row(row) for row in rows]

    async def set_owners(self, room_id: str, owner_ids: list[str]) -> None:
        """Replace who owns the room."""
        async with self._db.transaction():
            if await self._db.one("SELECT 1 FROM rooms WHERE id = ?", (room_id,)) is None:
                raise DirectoryError(f"unknown room {room_id!r}")
            await self._db.execute("DELETE FROM room_owners WHERE room_id = ?", (room_id,))
            await self._insert_owners(room_id, owner_ids)

    async def close(self, room_id: str) -> Room:
        """Close the room for good: its links are refused from now on."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE rooms SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                (self._clock(), room_id),
            )
        room = await self.get(room_id)
        if room is None:
            raise DirectoryError(f"unknown room {room_id!r}")
        return room

    async def _insert_owners(self, room_id: str, owner_ids: list[str]) -> None:
        ids = list(dict.fromkeys(owner_ids))
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        clinicians = {
            row["id"]
            for row in await self._db.all(
                f"SELECT id FROM clinicians WHERE role = ? AND id IN ({marks})",  # noqa: S608
                (AccountRole.CLINICIAN.value, *ids),
            )
        }
        if set(ids) - clinicians:
            raise DirectoryError("an owner must be an existing clinician account")
        await self._db.executemany(
            "INSERT INTO room_owners VALUES (?, ?)", [(room_id, o) for o in ids]
        )


def _room(row: Row) -> Room:
    return Room(
        room_id=row["id"],
        name=row["name"],
        clinic_name=row["clinic_name"],
        clinic_phone=row["clinic_phone"],
        support_phone=row["support_phone"],
        time_zone=row["time_zone"],
        closed_at=row["closed_at"],
        created=row["created"],
    )
