"""Versioned schema migrations of the directory, for SQLite and PostgreSQL alike.

Each backend records which migrations a database has (SQLite in its `user_version`,
PostgreSQL in a `schema_version` table) and applies the missing ones in order at start-up,
each in its own transaction, so a failed upgrade leaves the previous version intact.
Version 1 is the schema before migrations existed (its `IF NOT EXISTS` adopts such a SQLite
database as it is). Statements are written once: `{real}` is an 8-byte float in both
(PostgreSQL's own REAL has 4 bytes), `{rowid}` gives PostgreSQL the insertion order that
every SQLite table has as `rowid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

TYPES: dict[Dialect, dict[str, str]] = {
    "sqlite": {"real": "REAL", "rowid": ""},
    "postgresql": {
        "real": "DOUBLE PRECISION",
        "rowid": ",\n                rowid BIGINT GENERATED ALWAYS AS IDENTITY",
    },
}


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    summary: str
    statements: tuple[str, ...]

    def for_dialect(self, dialect: Dialect) -> tuple[str, ...]:
        return tuple(statement.format(**TYPES[dialect]) for statement in self.statements)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "clinicians, rooms, ownership and scheduled visits",
        (
            """CREATE TABLE IF NOT EXISTS clinicians (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                display_name TEXT NOT NULL,
                created {real} NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS rooms (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                clinic_name TEXT NOT NULL DEFAULT '',
                clinic_phone TEXT NOT NULL DEFAULT '',
                support_phone TEXT NOT NULL DEFAULT '',
                created {real} NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS room_owners (
                room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                clinician_id TEXT NOT NULL REFERENCES clinicians(id) ON DELETE CASCADE,
                PRIMARY KEY (room_id, clinician_id)
            )""",
            """CREATE TABLE IF NOT EXISTS visits (
                id TEXT PRIMARY KEY,
                room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                start {real} NOT NULL,
                "end" {real} NOT NULL,
                created {real} NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS visits_by_room_start ON visits(room_id, start)",
        ),
    ),
    Migration(
        2,
        "account roles and disabling; room time zone and closing; invitation windows, "
        "revocation and recipients; API keys; idempotency keys; the e-mail outbox",
        (
            "ALTER TABLE clinicians ADD COLUMN role TEXT NOT NULL DEFAULT 'clinician'",
            "ALTER TABLE clinicians ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE clinicians ADD COLUMN sessions_after {real} NOT NULL DEFAULT 0",
            "ALTER TABLE rooms ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Oslo'",
            "ALTER TABLE rooms ADD COLUMN closed_at {real}",
            "ALTER TABLE visits ADD COLUMN not_before {real}",
            "ALTER TABLE visits ADD COLUMN expires_at {real}",
            "ALTER TABLE visits ADD COLUMN revoked_at {real}",
            "ALTER TABLE visits ADD COLUMN email TEXT",
            "ALTER TABLE visits ADD COLUMN language TEXT NOT NULL DEFAULT 'nb'",
            "CREATE INDEX visits_with_email ON visits(expires_at) WHERE email IS NOT NULL",
            """CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                created {real} NOT NULL,
                revoked_at {real},
                last_used {real}
            )""",
            """CREATE TABLE idempotency (
                principal TEXT NOT NULL,
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                resource TEXT NOT NULL,
                created {real} NOT NULL,
                PRIMARY KEY (principal, key)
            )""",
            """CREATE TABLE deliveries (
                id TEXT PRIMARY KEY,
                visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt {real} NOT NULL,
                claimed_until {real} NOT NULL DEFAULT 0,
                last_error TEXT NOT NULL DEFAULT '',
                created {real} NOT NULL,
                updated {real} NOT NULL{rowid}
            )""",
            "CREATE INDEX deliveries_due ON deliveries(status, next_attempt)",
            "CREATE INDEX deliveries_by_visit ON deliveries(visit_id, created)",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        3,
        "how a visit ended for good (denied, completed, moved to phone, removed, revoked)",
        (
            "ALTER TABLE visits ADD COLUMN ended_reason TEXT",
            "ALTER TABLE visits ADD COLUMN ended_detail TEXT NOT NULL DEFAULT ''",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version


def refuse_newer(current: int) -> None:
    """A database newer than this code is refused: running old code on it could lose data."""
    if current > LATEST:
        raise RuntimeError(
            f"the directory has schema version {current}; this Venterom knows up to {LATEST}"
        )
