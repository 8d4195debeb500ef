"""Scheduled visits around now, cached per room: a new appointment shows within the cache
time, and at once when its guest opens the link."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lobby.directory import Directory, Room, ScheduledVisit
from lobby.model import Role
from lobby.upcoming import LOOKAHEAD, Upcoming


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Directory]:
    opened = Directory(str(tmp_path / "directory.db"))
    try:
        yield opened
    finally:
        opened.close()


def ids(upcoming: Upcoming, room_id: str) -> list[str]:
    return [s.visit_id for s in upcoming.of(room_id)]


@dataclass
class Clinic:
    """Two rooms; the first has an appointment soon and one beyond the window."""

    room: Room
    other: Room
    soon: ScheduledVisit
    far: ScheduledVisit
    now: float


@pytest.fixture
def clinic(directory: Directory) -> Clinic:
    doctor = directory.accounts.add("doctor", "hash", "Dr. Lege")
    room = directory.rooms.create("Room", [doctor.account_id])
    other = directory.rooms.create("Other", [doctor.account_id])
    now = time.time()
    soon = directory.schedule.add(room.room_id, Role.PATIENT, now + 60, now + 960)
    far = directory.schedule.add(
        room.room_id, Role.PATIENT, now + LOOKAHEAD + 60, now + LOOKAHEAD + 900
    )
    return Clinic(room, other, soon, far, now)


def test_new_appointments_show_after_the_cache_time_or_when_the_guest_arrives(
    directory: Directory, clinic: Clinic
) -> None:
    room, other, first, far, now = clinic.room, clinic.other, clinic.soon, clinic.far, clinic.now
    ticks = Ticks()
    upcoming = Upcoming(directory, time.time, ttl=5.0, monotonic=ticks)

    assert ids(upcoming, room.room_id) == [first.visit_id], "only the window around now"
    second = directory.schedule.add(room.room_id, Role.PATIENT, now + 120, now + 1020)
    elsewhere = directory.schedule.add(other.room_id, Role.PATIENT, now + 30, now + 930)
    assert ids(upcoming, room.room_id) == [first.visit_id], "read again only after the ttl"

    assert upcoming.arrived(room.room_id, first.visit_id) == first
    assert ids(upcoming, room.room_id) == [first.visit_id], "a known arrival changes nothing"
    assert upcoming.arrived(room.room_id, second.visit_id) == second
    assert ids(upcoming, room.room_id) == [first.visit_id, second.visit_id]

    third = directory.schedule.add(room.room_id, Role.PATIENT, now + 180, now + 1080)
    ticks.now += 5.0
    assert ids(upcoming, room.room_id) == [first.visit_id, second.visit_id, third.visit_id]
    assert ids(upcoming, other.room_id) == [elsewhere.visit_id]
    fourth = directory.schedule.add(room.room_id, Role.PATIENT, now + 240, now + 1140)
    assert fourth.visit_id not in ids(upcoming, room.room_id)
    fresh = [s.visit_id for s in upcoming.of(room.room_id, fresh=True)]
    assert fresh[-1] == fourth.visit_id, "a clinician asking for the lobby reads afresh"
    assert far.visit_id not in ids(upcoming, room.room_id)


def test_an_arrival_finds_its_appointment_without_a_read_when_the_room_is_cached(
    directory: Directory, clinic: Clinic
) -> None:
    room, other, soon, tomorrow = clinic.room, clinic.other, clinic.soon, clinic.far
    reads: list[str] = []
    read = directory.schedule.get

    def counted(visit_id: str) -> ScheduledVisit | None:
        reads.append(visit_id)
        return read(visit_id)

    directory.schedule.get = counted  # type: ignore[method-assign]
    upcoming = Upcoming(directory, time.time)

    assert upcoming.arrived(room.room_id, soon.visit_id) == soon
    assert reads == [soon.visit_id], "nothing cached yet: read it"
    upcoming.of(room.room_id)
    assert upcoming.arrived(room.room_id, soon.visit_id) == soon
    assert reads == [soon.visit_id], "the cached room holds it"

    assert upcoming.arrived(room.room_id, tomorrow.visit_id) == tomorrow, "outside the window"
    assert upcoming.arrived(other.room_id, soon.visit_id) is None, "not this room's"
    assert upcoming.arrived(room.room_id, "v-unknown") is None
