"""Versioned schema migrations of the directory, applied in order at start-up.

The database's `user_version` says which migrations it has; each runs in its own
transaction, so a failed upgrade leaves the previous version intact. Version 1 is the
schema before migrations existed (its `IF NOT EXISTS` adopts such a database as it is).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    summary: str
    statements: tuple[str, ...]


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
                created REAL NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS rooms (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                clinic_name TEXT NOT NULL DEFAULT '',
                clinic_phone TEXT NOT NULL DEFAULT '',
                support_phone TEXT NOT NULL DEFAULT '',
                created REAL NOT NULL
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
                start REAL NOT NULL,
                end REAL NOT NULL,
                created REAL NOT NULL
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
            "ALTER TABLE clinicians ADD COLUMN sessions_after REAL NOT NULL DEFAULT 0",
            "ALTER TABLE rooms ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Oslo'",
            "ALTER TABLE rooms ADD COLUMN closed_at REAL",
            "ALTER TABLE visits ADD COLUMN not_before REAL",
            "ALTER TABLE visits ADD COLUMN expires_at REAL",
            "ALTER TABLE visits ADD COLUMN revoked_at REAL",
            "ALTER TABLE visits ADD COLUMN email TEXT",
            "ALTER TABLE visits ADD COLUMN language TEXT NOT NULL DEFAULT 'nb'",
            "CREATE INDEX visits_with_email ON visits(expires_at) WHERE email IS NOT NULL",
            """CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                created REAL NOT NULL,
                revoked_at REAL,
                last_used REAL
            )""",
            """CREATE TABLE idempotency (
                principal TEXT NOT NULL,
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                resource TEXT NOT NULL,
                created REAL NOT NULL,
                PRIMARY KEY (principal, key)
            )""",
            """CREATE TABLE deliveries (
                id TEXT PRIMARY KEY,
                visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt REAL NOT NULL,
                claimed_until REAL NOT NULL DEFAULT 0,
                last_error TEXT NOT NULL DEFAULT '',
                created REAL NOT NULL,
                updated REAL NOT NULL
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


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def upgrade(db: sqlite3.Connection) -> list[Migration]:
    """Apply the migrations this database lacks; returns those applied.

    A database newer than this code is refused: running old code on it could lose data."""
    current = version(db)
    if current > LATEST:
        raise RuntimeError(
            f"the directory has schema version {current}; this Venterom knows up to {LATEST}"
        )
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if version(db) >= migration.version:  # another process got here first
                db.execute("ROLLBACK")
                continue
            for statement in migration.statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {migration.version:d}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        applied.append(migration)
    return applied
