"""The durable directory: clinicians, rooms, ownership and scheduled visits (SQLite).

Presence is soft state in the store; what must survive a restart of everything lives
here. Queries are small and indexed, so they run inline on the event loop.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lobby.accounts import new_id
from lobby.model import Role

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clinicians (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rooms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    clinic_name TEXT NOT NULL DEFAULT '',
    clinic_phone TEXT NOT NULL DEFAULT '',
    support_phone TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS room_owners (
    room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    clinician_id TEXT NOT NULL REFERENCES clinicians(id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, clinician_id)
);
CREATE TABLE IF NOT EXISTS visits (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS visits_by_room_start ON visits(room_id, start);
"""


@dataclass(frozen=True, slots=True)
class Clinician:
    clinician_id: str
    username: str
    display_name: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class Room:
    room_id: str
    name: str
    clinic_name: str = ""
    clinic_phone: str = ""
    support_phone: str = ""


@dataclass(frozen=True, slots=True)
class ScheduledVisit:
    visit_id: str
    room_id: str
    role: Role
    start: float
    end: float


class DirectoryError(ValueError):
    """A directory change was refused (duplicate username, unknown room, …)."""


class Directory:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA busy_timeout = 5000")
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add_clinician(self, username: str, password_hash: str, display_name: str) -> Clinician:
        username = username.strip().lower()
        if not username or len(username) > 64:
            raise DirectoryError("username must have 1 to 64 characters")
        clinician = Clinician(
            new_id("c"), username, display_name.strip() or username, password_hash
        )
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO clinicians VALUES (?, ?, ?, ?, ?)",
                    (
                        clinician.clinician_id,
                        username,
                        password_hash,
                        clinician.display_name,
                        time.time(),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise DirectoryError(f"username {username!r} is taken") from exc
        return clinician

    def set_password(self, clinician_id: str, password_hash: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE clinicians SET password_hash = ? WHERE id = ?",
                (password_hash, clinician_id),
            )

    def clinician_by_username(self, username: str) -> Clinician | None:
        row = self._db.execute(
            "SELECT * FROM clinicians WHERE username = ?", (username.strip().lower(),)
        ).fetchone()
        return _clinician(row) if row else None

    def clinician(self, clinician_id: str) -> Clinician | None:
        row = self._db.execute("SELECT * FROM clinicians WHERE id = ?", (clinician_id,)).fetchone()
        return _clinician(row) if row else None

    def create_room(
        self,
        name: str,
        owner_ids: list[str],
        *,
        clinic_name: str = "",
        clinic_phone: str = "",
        support_phone: str = "",
    ) -> Room:
        if not name.strip():
            raise DirectoryError("a room needs a name")
        room = Room(new_id("r"), name.strip(), clinic_name, clinic_phone, support_phone)
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        room.room_id,
                        room.name,
                        clinic_name,
                        clinic_phone,
                        support_phone,
                        time.time(),
                    ),
                )
                db.executemany(
                    "INSERT INTO room_owners VALUES (?, ?)",
                    [(room.room_id, owner) for owner in owner_ids],
                )
        except sqlite3.IntegrityError as exc:
            raise DirectoryError("unknown owner") from exc
        return room

    def room(self, room_id: str) -> Room | None:
        row = self._db.execute("SELECT * FROM rooms WHERE id = ?", (room_id,)).fetchone()
        return _room(row) if row else None

    def rooms_of(self, clinician_id: str) -> list[Room]:
        rows = self._db.execute(
            "SELECT rooms.* FROM rooms JOIN room_owners ON rooms.id = room_owners.room_id"
            " WHERE room_owners.clinician_id = ? ORDER BY rooms.name, rooms.id",
            (clinician_id,),
        ).fetchall()
        return [_room(row) for row in rows]

    def owns(self, clinician_id: str, room_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM room_owners WHERE clinician_id = ? AND room_id = ?",
            (clinician_id, room_id),
        ).fetchone()
        return row is not None

    def schedule_visit(self, room_id: str, role: Role, start: float, end: float) -> ScheduledVisit:
        if end <= start:
            raise DirectoryError("an appointment must end after it starts")
        if self.room(room_id) is None:
            raise DirectoryError(f"unknown room {room_id!r}")
        visit = ScheduledVisit(new_id("v"), room_id, role, start, end)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)",
                (visit.visit_id, room_id, role.value, start, end, time.time()),
            )
        return visit

    def scheduled_visit(self, visit_id: str) -> ScheduledVisit | None:
        row = self._db.execute("SELECT * FROM visits WHERE id = ?", (visit_id,)).fetchone()
        return _visit(row) if row else None

    def scheduled_between(self, room_id: str, start: float, end: float) -> list[ScheduledVisit]:
        rows = self._db.execute(
            "SELECT * FROM visits WHERE room_id = ? AND start >= ? AND start < ? ORDER BY start",
            (room_id, start, end),
        ).fetchall()
        return [_visit(row) for row in rows]


def _clinician(row: sqlite3.Row) -> Clinician:
    return Clinician(row["id"], row["username"], row["display_name"], row["password_hash"])


def _room(row: sqlite3.Row) -> Room:
    return Room(
        row["id"], row["name"], row["clinic_name"], row["clinic_phone"], row["support_phone"]
    )


def _visit(row: sqlite3.Row) -> ScheduledVisit:
    return ScheduledVisit(row["id"], row["room_id"], Role(row["role"]), row["start"], row["end"])
