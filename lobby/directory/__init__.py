"""The durable directory: accounts, rooms, ownership, scheduled visits, API keys, outbox.

Presence is soft state in the store; what must survive a restart of everything lives
here, in SQLite (migrated on open, see `schema`). Queries are small and indexed, so they
run inline on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lobby.directory.api_keys import ApiKeys, Idempotency
from lobby.directory.db import Database
from lobby.directory.outbox import Outbox
from lobby.directory.people import Accounts
from lobby.directory.records import (
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
from lobby.directory.rooms import Rooms
from lobby.directory.schedule import Schedule

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
    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.db = Database(path)
        self.accounts = Accounts(self.db, clock)
        self.rooms = Rooms(self.db, clock)
        self.schedule = Schedule(self.db, clock)
        self.api_keys = ApiKeys(self.db, clock)
        self.idempotency = Idempotency(self.db, clock)
        self.outbox = Outbox(self.db, clock)

    def close(self) -> None:
        self.db.close()
