"""The directory's one async database interface, and the backend a target names.

Statements use `?` placeholders and SQL that SQLite and PostgreSQL both speak (a backend
rewrites the placeholders); rows are read by column name. Inside `transaction()` every call
of the same task joins that transaction, however deep the caller, so a change made of several
steps (`Appointments.create_visit`) stands or falls as one.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import Any, Protocol

from lobby.adapters.directory.schema import Dialect, Migration

Params = tuple[object, ...]


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


class IntegrityError(Exception):
    """A uniqueness or reference rule of the schema refused a write."""


class Database(Protocol):
    dialect: Dialect
    target: str
    """Where it is, for messages: a file path, or the URL without its password."""

    async def open(self) -> None:
        """Connect, and apply the migrations the database lacks."""

    async def close(self) -> None: ...

    async def one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; how many rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A write transaction; one opened inside another (same task) joins it."""

    async def version(self) -> int:
        """The schema version the database has."""

    async def upgrade(self) -> list[Migration]:
        """Apply the migrations the database lacks (also done by `open`); those applied."""


class Held:
    """The transaction a task is inside: whose, and on which connection."""

    def __init__(self, owner: object, conn: object) -> None:
        self.owner = owner
        self.conn = conn
        self.open = True


HELD: ContextVar[Held | None] = ContextVar("venterom_directory_transaction", default=None)


def held_by(owner: object) -> Held | None:
    """The caller's open transaction on `owner`, if it is inside one (a task started inside
    a transaction inherits the marker; once the transaction ends it no longer counts)."""
    held = HELD.get()
    return held if held is not None and held.owner is owner and held.open else None


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def database(target: str) -> Database:
    """PostgreSQL for a `postgresql://` URL, otherwise the SQLite file at that path."""
    if is_postgres(target):
        from lobby.adapters.directory.postgres import PostgresDatabase

        return PostgresDatabase(target)
    from lobby.adapters.directory.sqlite import SqliteDatabase

    return SqliteDatabase(target)
