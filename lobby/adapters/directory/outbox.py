"""The e-mail outbox: invitation deliveries, claimed by one instance at a time and retried.

Durable, so that a delivery waiting for its next attempt survives a restart and any
instance may make that attempt; a claim lapses if its instance dies mid-send.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lobby.adapters.directory.db import Database, Row
from lobby.adapters.directory.records import Delivery, DeliveryStatus, Language
from lobby.domain.passwords import new_id


class Outbox:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def enqueue(self, visit_id: str, language: Language) -> Delivery:
        """A delivery due now. An earlier one of the visit still waiting is superseded."""
        now = self._clock()
        delivery = Delivery(
            new_id("d"), visit_id, language, DeliveryStatus.QUEUED, 0, now, "", now, now
        )
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE deliveries SET status = ?, last_error = 'superseded', updated = ?"
                " WHERE visit_id = ? AND status = ?",
                (DeliveryStatus.FAILED.value, now, visit_id, DeliveryStatus.QUEUED.value),
            )
            await self._db.execute(
                "INSERT INTO deliveries (id, visit_id, language, status, attempts, next_attempt,"
                " created, updated) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    delivery.delivery_id,
                    visit_id,
                    language.value,
                    delivery.status.value,
                    now,
                    now,
                    now,
                ),
            )
        return delivery

    async def claim_due(self, lease: float, limit: int = 20) -> list[Delivery]:
        """Deliveries due now (and claims that lapsed), claimed for `lease` seconds."""
        now = self._clock()
        async with self._db.transaction():
            rows = await self._db.all(
                "SELECT * FROM deliveries WHERE (status = ? AND next_attempt <= ?)"
                " OR (status = ? AND claimed_until < ?) ORDER BY next_attempt LIMIT ?",
                (DeliveryStatus.QUEUED.value, now, DeliveryStatus.SENDING.value, now, limit),
            )
            await self._db.executemany(
                "UPDATE deliveries SET status = ?, claimed_until = ?, updated = ? WHERE id = ?",
                [(DeliveryStatus.SENDING.value, now + lease, now, row["id"]) for row in rows],
            )
        return [_delivery(row, status=DeliveryStatus.SENDING) for row in rows]

    async def finish(
        self,
        delivery_id: str,
        status: DeliveryStatus,
        attempts: int,
        next_attempt: float,
        last_error: str = "",
    ) -> None:
        """Record an attempt's outcome: sent, failed for good, or queued again for later."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt = ?,"
                " last_error = ?, claimed_until = 0, updated = ? WHERE id = ?",
                (status.value, attempts, next_attempt, last_error, self._clock(), delivery_id),
            )

    async def get(self, delivery_id: str) -> Delivery | None:
        row = await self._db.one("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    async def latest(self, visit_id: str) -> Delivery | None:
        row = await self._db.one(
            "SELECT * FROM deliveries WHERE visit_id = ? ORDER BY created DESC, rowid DESC LIMIT 1",
            (visit_id,),
        )
        return _delivery(row) if row else None

    async def next_due(self) -> float | None:
        """When the earliest waiting delivery is due (None: nothing waits)."""
        row = await self._db.one(
            "SELECT MIN(next_attempt) AS due FROM deliveries WHERE status = ?",
            (DeliveryStatus.QUEUED.value,),
        )
        return None if row is None or row["due"] is None else float(row["due"])


def _delivery(row: Row, status: DeliveryStatus | None = None) -> Delivery:
    return Delivery(
        delivery_id=row["id"],
        visit_id=row["visit_id"],
        language=Language(row["language"]),
        status=status or DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt=row["next_attempt"],
        last_error=row["last_error"],
        created=row["created"],
        updated=row["updated"],
    )
