"""Scheduled visits, on both backends."""

from __future__ import annotations

import pytest

from lobby.adapters.directory import Directory, DirectoryError, Language, Room
from lobby.domain.model import EndReason, Role
from tests.directory.conftest import Clock


async def room_of(directory: Directory) -> Room:
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")
    return await directory.rooms.create("Room", [doctor.account_id])


async def test_a_visit_keeps_what_it_was_given(directory: Directory, clock: Clock) -> None:
    room = await room_of(directory)
    start = clock.now + 3600.25
    visit = await directory.schedule.add(
        room.room_id, Role.INTERPRETER, start, start + 1800,
        not_before=start - 900, email="kari@example.org", language=Language.EN,
    )  # fmt: skip

    assert await directory.schedule.get(visit.visit_id) == visit
    assert (visit.start, visit.end, visit.not_before, visit.expires_at) == (
        start,
        start + 1800,
        start - 900,
        start + 1800,
    ), "times to the fraction of a second (an 8-byte float in both backends)"
    assert await directory.schedule.get("v_unknown") is None


async def test_what_scheduling_refuses(directory: Directory, clock: Clock) -> None:
    room = await room_of(directory)
    with pytest.raises(DirectoryError, match="end after"):
        await directory.schedule.add(room.room_id, Role.PATIENT, clock.now, clock.now)
    with pytest.raises(DirectoryError, match="unknown room"):
        await directory.schedule.add("r_unknown", Role.PATIENT, clock.now, clock.now + 60)
    await directory.rooms.close(room.room_id)
    with pytest.raises(DirectoryError, match="closed"):
        await directory.schedule.add(room.room_id, Role.PATIENT, clock.now, clock.now + 60)


async def test_between_and_pages(directory: Directory, clock: Clock) -> None:
    room = await room_of(directory)
    now = clock.now
    visits = [
        await directory.schedule.add(room.room_id, Role.PATIENT, now + m * 60, now + m * 60 + 60)
        for m in (30, 10, 20, 40)
    ]
    by_time = sorted(visits, key=lambda v: v.start)
    revoked = await directory.schedule.revoke(by_time[1].visit_id)

    assert await directory.schedule.between(room.room_id, now, now + 35 * 60) == [
        by_time[0],
        by_time[2],
    ], "in the window, by time, revoked ones left out"
    page = await directory.schedule.page(room.room_id, None, 3)
    assert page == [by_time[0], revoked, by_time[2]], "pages hold revoked ones"
    assert await directory.schedule.page(room.room_id, page[-1].visit_id, 3) == [by_time[3]]
    assert await directory.schedule.page(room.room_id, None, 9, since=now + 25 * 60) == [
        by_time[2],
        by_time[3],
    ]


async def test_revocation_recipients_and_endings(directory: Directory, clock: Clock) -> None:
    room = await room_of(directory)
    visit = await directory.schedule.add(
        room.room_id, Role.PATIENT, clock.now + 60, clock.now + 960, email="kari@example.org"
    )
    other = await directory.schedule.add(
        room.room_id, Role.PATIENT, clock.now + 60, clock.now + 960, email="ola@example.org"
    )

    moved = await directory.schedule.set_recipient(visit.visit_id, "k@example.org", Language.EN)
    assert (moved.email, moved.language) == ("k@example.org", Language.EN)
    revoked = await directory.schedule.revoke(visit.visit_id)
    assert revoked.revoked_at == clock.now and revoked.email is None, "the address is forgotten"
    clock.now += 5
    assert (await directory.schedule.revoke(visit.visit_id)).revoked_at == revoked.revoked_at

    await directory.schedule.finish(other.visit_id, EndReason.COMPLETED, "")
    await directory.schedule.finish(other.visit_id, EndReason.DENIED, "late")
    ended = await directory.schedule.get(other.visit_id)
    assert ended is not None and (ended.ended_reason, ended.ended_detail) == (
        EndReason.COMPLETED,
        "",
    ), "the first ending stands"

    assert await directory.schedule.forget_expired_recipients() == 0
    clock.now += 3600
    assert await directory.schedule.forget_expired_recipients() == 1
    forgotten = await directory.schedule.get(other.visit_id)
    assert forgotten is not None and forgotten.email is None
    with pytest.raises(DirectoryError, match="unknown visit"):
        await directory.schedule.revoke("v_unknown")
