"""The e-mail outbox, on both backends."""

from __future__ import annotations

from lobby.adapters.directory import DeliveryStatus, Directory, Language
from lobby.domain.model import Role
from tests.directory.conftest import Clock


async def visit_id(directory: Directory, clock: Clock) -> str:
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")
    room = await directory.rooms.create("Room", [doctor.account_id])
    visit = await directory.schedule.add(room.room_id, Role.PATIENT, clock.now, clock.now + 60)
    return visit.visit_id


async def test_a_delivery_is_claimed_once_until_its_claim_lapses(
    directory: Directory, clock: Clock
) -> None:
    visit = await visit_id(directory, clock)
    first = await directory.outbox.enqueue(visit, Language.NB)
    second = await directory.outbox.enqueue(visit, Language.EN)

    superseded = await directory.outbox.get(first.delivery_id)
    assert superseded is not None and (superseded.status, superseded.last_error) == (
        DeliveryStatus.FAILED,
        "superseded",
    )
    latest = await directory.outbox.latest(visit)
    assert latest is not None and latest.delivery_id == second.delivery_id, "same clock: newest"
    assert await directory.outbox.next_due() == clock.now

    claimed = await directory.outbox.claim_due(lease=30)
    assert [d.delivery_id for d in claimed] == [second.delivery_id]
    assert claimed[0].status is DeliveryStatus.SENDING
    assert await directory.outbox.claim_due(lease=30) == [], "claimed: nobody else gets it"
    assert await directory.outbox.next_due() is None
    clock.now += 31
    lapsed = await directory.outbox.claim_due(lease=30)
    assert [d.delivery_id for d in lapsed] == [second.delivery_id], "the claim lapsed"

    await directory.outbox.finish(
        second.delivery_id, DeliveryStatus.QUEUED, 1, clock.now + 60, "connect"
    )
    assert await directory.outbox.claim_due(lease=30) == [], "not due yet"
    assert await directory.outbox.next_due() == clock.now + 60
    clock.now += 60
    retried = await directory.outbox.claim_due(lease=30)
    assert [(d.attempts, d.last_error) for d in retried] == [(1, "connect")]
    await directory.outbox.finish(second.delivery_id, DeliveryStatus.SENT, 2, clock.now)
    sent = await directory.outbox.get(second.delivery_id)
    assert sent is not None and (sent.status, sent.attempts) == (DeliveryStatus.SENT, 2)
    assert await directory.outbox.get("d_unknown") is None
