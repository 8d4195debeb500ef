"""The durable directory: accounts, rooms, ownership, scheduled visits, API keys, outbox.

Presence is soft state in the store; what must survive a restart of everything lives
here: in a SQLite file (embedded, the default: instances on one host may share it) or in
PostgreSQL (instances on several hosts), behind one async interface (`db.Database`) and
migrated on open (see `schema`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from lobby.adapters.directory.api_keys import ApiKeys, Idempotency
from lobby.adapters.directory.db import Database, database
from lobby.adapters.directory.outbox import Outbox
from lobby.adapters.directory.people import Accounts
from lobby.adapters.directory.records import (
    Account,
    AccountRole,
    ApiKey,
    Delivery,
    DeliveryStatus,
    DirectoryError,
    Language,
    Room,
    ScheduledVisit,
)
from lobby.adapters.directory.rooms import Rooms
from lobby.adapters.directory.schedule import Schedule

__all__ = [
    "Account",
    "AccountRole",
    "ApiKey",
    "Delivery",
    "DeliveryStatus",
    "Directory",
    "DirectoryError",
    "Language",
    "Room",
    "ScheduledVisit",
]


class Directory:
    """The directory at `target`: a `postgresql://` URL or a SQLite file's path. Usable once
    `open()` (or `async with`) has connected and migrated it."""

    def __init__(self, target: str, clock: Callable[[], float] = time.time) -> None:
        self.db: Database = database(target)
        self.accounts = Accounts(self.db, clock)
        self.rooms = Rooms(self.db, clock)
        self.schedule = Schedule(self.db, clock)
        self.api_keys = ApiKeys(self.db, clock)
        self.idempotency = Idempotency(self.db, clock)
        self.outbox = Outbox(self.db, clock)

    async def open(self) -> Directory:
        await self.db.open()
        return self

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Directory:
        return await self.open()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
