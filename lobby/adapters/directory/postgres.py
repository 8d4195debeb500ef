"""The shared backend: PostgreSQL through asyncpg, with a connection pool per instance.

asyncpg rather than psycopg 3: a maintained asyncio-native driver with its own pool, binary
protocol and per-connection prepared-statement cache, and wheels that need no libpq.

Write transactions take one advisory lock, so that the directory has one writer at a time
as on SQLite (`BEGIN IMMEDIATE`): its read-then-write steps (an idempotency key, a room's
owners, claiming outbox deliveries) were written for that, and its writes are few and short.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from lobby.adapters.directory import schema
from lobby.adapters.directory.db import HELD, Held, IntegrityError, Params, Row, held_by
from lobby.adapters.directory.schema import Dialect, Migration

CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, restarting
    asyncpg.InterfaceError,  # the connection is closed
    asyncpg.exceptions.InternalClientError,  # a connection the server cut while it idled
    ConnectionError,
)
"""What a statement fails with when its connection is gone, not because of the statement."""

POOL_SIZE = 10
"""Connections per instance at most: N instances need 10 times N of the server's
`max_connections` (100 by default)."""
WRITER_LOCK = 0x76656E7465726F6D  # "venterom": the one directory writer
MIGRATION_LOCK = WRITER_LOCK + 1


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.target = without_password(url)
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=POOL_SIZE)
        await self.upgrade()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._read(sql, params)
        return rows[0] if rows else None

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._read(sql, params)

    async def _read(self, sql: str, params: Params) -> list[Row]:
        """A read, tried once more on a fresh connection if the pool's was cut (a restart or
        failover of the server): reads change nothing, so the retry is safe."""
        try:
            return await self._fetch(sql, params)
        except CONNECTION_LOST:
            if held_by(self) is not None:
                raise
        return await self._fetch(sql, params)

    async def _fetch(self, sql: str, params: Params) -> list[Row]:
        async with self._connection() as conn:
            return list(await conn.fetch(numbered(sql), *params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as conn:
            status: str = await conn.execute(numbered(sql), *params)
        count = status.rsplit(" ", 1)[-1]  # "UPDATE 3", "INSERT 0 1"
        return int(count) if count.isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = list(rows)
        if batch:
            async with self._connection() as conn:
                await conn.executemany(numbered(sql), batch)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if held_by(self) is not None:
            yield
            return
        async with self._pool_().acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
            held = Held(self, conn)
            token = HELD.set(held)
            try:
                yield
            finally:
                held.open = False
                HELD.reset(token)

    async def version(self) -> int:
        async with self._pool_().acquire() as conn:
            return await _version(conn)

    async def upgrade(self) -> list[Migration]:
        """Each migration in its own transaction, under a lock: instances starting together
        apply each one once (PostgreSQL's DDL is transactional)."""
        applied = []
        async with self._pool_().acquire() as conn:
            for migration in schema.MIGRATIONS:
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                    await conn.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version"
                        " (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL)"
                    )
                    current = await _version(conn)
                    schema.refuse_newer(current)
                    if current >= migration.version:
                        continue
                    for statement in migration.for_dialect("postgresql"):
                        await conn.execute(statement)
                    await conn.execute(
                        "INSERT INTO schema_version VALUES ($1, now())", migration.version
                    )
                applied.append(migration)
        return applied

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """The caller's transaction's connection, or one from the pool for one statement."""
        held = held_by(self)
        try:
            if held is not None:
                yield held.conn
            else:
                async with self._pool_().acquire() as conn:
                    try:
                        yield conn
                    except CONNECTION_LOST:
                        # A restart or failover cuts every connection: none is handed out
                        # again, the pool opens new ones as they are asked for.
                        conn.terminate()
                        await self._pool_().expire_connections()
                        raise
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    def _pool_(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the directory is not open")
        return self._pool


async def _version(conn: Any) -> int:
    if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1`, `$2`, … (no statement has a `?` in a string)."""
    counter = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
