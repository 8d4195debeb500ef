"""Scheduled visits around now, cached per room: a new appointment shows within the cache
time, and at once when its guest opens the link."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lobby.adapters.directory import Directory, Room, ScheduledVisit
from lobby.domain.model import Role
from lobby.services.upcoming import LOOKAHEAD, Upcoming


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def directory(tmp_path: Path) -> AsyncIterator[Directory]:
    async with Directory(str(tmp_path / "directory.db")) as opened:
        yield opened


async def ids(upcoming: Upcoming, room_id: str) -> list[str]:
    return [s.visit_id for s in await upcoming.of(room_id)]


@dataclass
class Clinic:
    """Two rooms; the first has an appointment soon and one beyond the window."""

    room: Room
    other: Room
    soon: ScheduledVisit
    far: ScheduledVisit
    now: float


@pytest.fixture
async def clinic(directory: Directory) -> Clinic:
    doctor = await directory.accounts.add("doctor", "hash", "Dr. Lege")
    room = await directory.rooms.create("Room", [doctor.account_id])
    other = await directory.rooms.create("Other", [doctor.account_id])
    now = time.time()
    soon = await directory.schedule.add(room.room_id, Role.PATIENT, now + 60, now + 960)
    far = await directory.schedule.add(
        room.room_id, Role.PATIENT, now + LOOKAHEAD + 60, now + LOOKAHEAD + 900
    )
    return Clinic(room, other, soon, far, now)


async def test_new_appointments_show_after_the_cache_time_or_when_the_guest_arrives(
    directory: Directory, clinic: Clinic
) -> None:
    room, other, first, far, now = clinic.room, clinic.other, clinic.soon, clinic.far, clinic.now
    ticks = Ticks()
    upcoming = Upcoming(directory, time.time, ttl=5.0, monotonic=ticks)

    assert await ids(upcoming, room.room_id) == [first.visit_id], "only the window around now"
    second = await directory.schedule.add(room.room_id, Role.PATIENT, now + 120, now + 1020)
    elsewhere = await directory.schedule.add(other.room_id, Role.PATIENT, now + 30, now + 930)
    assert await ids(upcoming, room.room_id) == [first.visit_id], "read again only after the ttl"

    assert await upcoming.arrived(room.room_id, first.visit_id) == first
    assert await ids(upcoming, room.room_id) == [first.visit_id], "a known arrival changes nothing"
    assert await upcoming.arrived(room.room_id, second.visit_id) == second
    assert await ids(upcoming, room.room_id) == [first.visit_id, second.visit_id]

    third = await directory.schedule.add(room.room_id, Role.PATIENT, now + 180, now + 1080)
    ticks.now += 5.0
    assert await ids(upcoming, room.room_id) == [first.visit_id, second.visit_id, third.visit_id]
    assert await ids(upcoming, other.room_id) == [elsewhere.visit_id]
    fourth = await directory.schedule.add(room.room_id, Role.PATIENT, now + 240, now + 1140)
    assert fourth.visit_id not in await ids(upcoming, room.room_id)
    fresh = [s.visit_id for s in await upcoming.of(room.room_id, fresh=True)]
    assert fresh[-1] == fourth.visit_id, "a clinician asking for the lobby reads afresh"
    assert far.visit_id not in await ids(upcoming, room.room_id)


async def test_an_arrival_finds_its_appointment_without_a_read_when_the_room_is_cached(
    directory: Directory, clinic: Clinic
) -> None:
    room, other, soon, tomorrow = clinic.room, clinic.other, clinic.soon, clinic.far
    reads: list[str] = []
    read = directory.schedule.get

    async def counted(visit_id: str) -> ScheduledVisit | None:
        reads.append(visit_id)
        return await read(visit_id)

    directory.schedule.get = counted  # type: ignore[method-assign]
    upcoming = Upcoming(directory, time.time)

    assert await upcoming.arrived(room.room_id, soon.visit_id) == soon
    assert reads == [soon.visit_id], "nothing cached yet: read it"
    await upcoming.of(room.room_id)
    assert await upcoming.arrived(room.room_id, soon.visit_id) == soon
    assert reads == [soon.visit_id], "the cached room holds it"

    assert await upcoming.arrived(room.room_id, tomorrow.visit_id) == tomorrow, "outside the window"
    assert await upcoming.arrived(other.room_id, soon.visit_id) is None, "not this room's"
    assert await upcoming.arrived(room.room_id, "v-unknown") is None
