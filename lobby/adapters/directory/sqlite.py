"""The embedded backend: one SQLite connection on its own worker thread.

Why a thread of our own rather than aiosqlite: aiosqlite is this same design (one thread
per connection, each call handed to it), and we need more than it gives anyway: a lock
held across awaits, so that a transaction's statements are the only ones on the connection
until it ends, and the migrations run as one job on that thread. The event loop never
waits on the disk or on another process's write lock (`busy_timeout` waits in the thread).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from lobby.adapters.directory import schema
from lobby.adapters.directory.db import HELD, Held, IntegrityError, Params, Row, held_by
from lobby.adapters.directory.schema import Dialect, Migration

T = TypeVar("T")


class SqliteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.target = path
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="venterom-sqlite")
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        async with self._lock:
            await self._run(self._connect)
            await self._run(_upgrade, self._connection)

    async def close(self) -> None:
        if self._conn is not None:
            async with self._lock:
                await self._run(self._conn.close)
            self._conn = None
        self._worker.shutdown(wait=False)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._turn():
            row: Row | None = await self._run(
                lambda: self._connection.execute(sql, params).fetchone()
            )
            return row

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._turn():
            return await self._run(lambda: list(self._connection.execute(sql, params)))

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._turn():
            return await self._run(lambda: self._connection.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = list(rows)
        async with self._turn():
            await self._run(lambda: self._connection.executemany(sql, batch))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if held_by(self) is not None:
            yield
            return
        async with self._lock:
            await self._run(self._connection.execute, "BEGIN IMMEDIATE")
            held = Held(self, self._connection)
            token = HELD.set(held)
            try:
                yield
                await self._run(self._connection.execute, "COMMIT")
            except BaseException:
                # The one worker runs jobs in order: this ROLLBACK comes before anything
                # queued after the lock is let go, even if this task is cancelled again.
                with suppress(sqlite3.Error):
                    await self._run(self._connection.execute, "ROLLBACK")
                raise
            finally:
                held.open = False
                HELD.reset(token)

    async def version(self) -> int:
        async with self._turn():
            return await self._run(_version, self._connection)

    async def upgrade(self) -> list[Migration]:
        async with self._turn():
            return await self._run(_upgrade, self._connection)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """The connection to ourselves: inside our own transaction, or alone."""
        if held_by(self) is not None:
            yield
            return
        async with self._lock:
            yield

    async def _run(self, job: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._worker, job, *args)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    def _connect(self) -> None:
        if self.target != ":memory:":
            Path(self.target).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.target, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        if self.target != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        self._conn = conn

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the directory is not open")
        return self._conn


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _upgrade(db: sqlite3.Connection) -> list[Migration]:
    schema.refuse_newer(_version(db))
    applied = []
    for migration in schema.MIGRATIONS:
        if migration.version <= _version(db):
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if _version(db) >= migration.version:  # another process got here first
                db.execute("ROLLBACK")
                continue
            for statement in migration.for_dialect("sqlite"):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {migration.version:d}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        applied.append(migration)
    return applied
