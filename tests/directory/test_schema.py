"""Migrations: applied once at start-up and by `venterom db upgrade`, on both backends; an
old SQLite file keeps its data; both backends end with the same tables and columns."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from lobby.adapters.directory import AccountRole, Directory, schema


async def test_open_applies_every_migration_once(directory: Directory, target: str) -> None:
    assert await directory.db.version() == schema.LATEST
    assert await directory.db.upgrade() == []
    async with Directory(target) as again:  # another instance starting on it
        assert await again.db.upgrade() == []
        assert await again.db.version() == schema.LATEST


async def test_a_database_newer_than_the_code_is_refused(target: str) -> None:
    async with Directory(target):
        pass
    if target.startswith("postgresql://"):
        conn = await asyncpg.connect(target)
        await conn.execute("INSERT INTO schema_version VALUES ($1, now())", schema.LATEST + 1)
        await conn.close()
    else:
        with sqlite3.connect(target) as db:
            db.execute(f"PRAGMA user_version = {schema.LATEST + 1}")

    newer = Directory(target)
    with pytest.raises(RuntimeError, match=f"schema version {schema.LATEST + 1}"):
        await newer.open()
    await newer.close()


async def test_a_sqlite_file_from_before_migrations_keeps_its_data(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        for statement in schema.MIGRATIONS[0].for_dialect("sqlite"):
            db.execute(statement)
        db.execute("INSERT INTO clinicians VALUES ('c1', 'doctor', 'hash', 'Doctor', 1.5)")
        db.execute("INSERT INTO rooms VALUES ('r1', 'Room', '', '', '', 2.5)")
        db.execute("INSERT INTO room_owners VALUES ('r1', 'c1')")
        db.execute("INSERT INTO visits VALUES ('v1', 'r1', 'patient', 10.0, 20.0, 3.5)")

    async with Directory(path) as directory:
        assert await directory.db.version() == schema.LATEST
        doctor = await directory.accounts.by_username("doctor")
        room = await directory.rooms.get("r1")
        visit = await directory.schedule.get("v1")

    assert doctor is not None and (doctor.role, doctor.disabled) == (AccountRole.CLINICIAN, False)
    assert room is not None and (room.time_zone, room.closed) == ("Europe/Oslo", False)
    assert visit is not None and (visit.start, visit.end, visit.revoked) == (10.0, 20.0, False)


@pytest.mark.postgres
async def test_both_backends_have_the_same_columns(tmp_path: Path, postgres_url: str) -> None:
    sqlite_path = str(tmp_path / "directory.db")
    async with Directory(sqlite_path), Directory(postgres_url):
        pass
    with sqlite3.connect(sqlite_path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        in_sqlite = {
            table: sorted(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
            for table in tables
        }
    conn = await asyncpg.connect(postgres_url)
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name <> 'schema_version'"
    )
    await conn.close()
    in_postgres: dict[str, list[str]] = {}
    for row in rows:
        if row["column_name"] != "rowid":  # SQLite has it without a column of its own
            in_postgres.setdefault(row["table_name"], []).append(row["column_name"])

    assert in_sqlite == {table: sorted(columns) for table, columns in in_postgres.items()}
    assert "end" in in_sqlite["visits"]


@pytest.mark.postgres
def test_db_upgrade_on_postgres_and_on_sqlite(tmp_path: Path, postgres_url: str) -> None:
    url = postgres_url.replace("venterom@", "venterom:not-shown@")  # trust: any password
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTEROM_")}
    env["VENTEROM_DATA_DIR"] = str(tmp_path)
    for extra, where in (
        ({"VENTEROM_DATABASE_URL": url}, url.replace("not-shown", "***")),
        ({}, str(tmp_path / "venterom.db")),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "lobby.interfaces.cli", "db", "upgrade"],
            env={**env, **extra}, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        expected = f"directory {where}: schema version {schema.LATEST} (latest {schema.LATEST})"
        assert result.stdout.strip() == expected
