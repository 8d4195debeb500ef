"""Rooms and their owners, on both backends."""

from __future__ import annotations

import pytest

from lobby.adapters.directory import AccountRole, Directory, DirectoryError
from tests.directory.conftest import Clock


async def test_a_room_and_its_owners(directory: Directory) -> None:
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")
    nurse = await directory.accounts.add("nurse", "hash", "Nurse")
    room = await directory.rooms.create(
        " Poliklinikk ", [nurse.account_id, doctor.account_id, nurse.account_id],
        clinic_name="Jæren DPS", time_zone="Arctic/Longyearbyen",
    )  # fmt: skip

    assert (room.name, room.clinic_name, room.time_zone) == (
        "Poliklinikk",
        "Jæren DPS",
        "Arctic/Longyearbyen",
    )
    assert await directory.rooms.get(room.room_id) == room
    assert await directory.rooms.owners(room.room_id) == [doctor, nurse]
    assert await directory.rooms.owns(doctor.account_id, room.room_id)
    assert await directory.rooms.owned(doctor.account_id, room.room_id) == room
    assert await directory.rooms.of(nurse.account_id) == [room]

    await directory.rooms.set_owners(room.room_id, [nurse.account_id])
    assert not await directory.rooms.owns(doctor.account_id, room.room_id)
    assert await directory.rooms.owned(doctor.account_id, room.room_id) is None
    assert await directory.rooms.owned(nurse.account_id, "r_no_such_room") is None
    assert await directory.rooms.owners(room.room_id) == [nurse]


async def test_what_a_room_refuses(directory: Directory) -> None:
    ops = await directory.accounts.add("ops", "hash", "Ops", AccountRole.OPS)
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")

    with pytest.raises(DirectoryError, match="clinician"):
        await directory.rooms.create("Room", [ops.account_id])
    with pytest.raises(DirectoryError, match="time zone"):
        await directory.rooms.create("Room", [doctor.account_id], time_zone="Mars/Base")
    with pytest.raises(DirectoryError, match="name"):
        await directory.rooms.create("  ", [doctor.account_id])
    with pytest.raises(DirectoryError, match="unknown room"):
        await directory.rooms.set_owners("r_unknown", [doctor.account_id])
    assert await directory.rooms.all() == [], "a refused room leaves nothing behind"
    unowned = await directory.rooms.create("Unowned", [])
    assert await directory.rooms.owners(unowned.room_id) == []


async def test_pages_of_rooms_in_order_of_creation(directory: Directory, clock: Clock) -> None:
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")
    other = await directory.accounts.add("other", "hash", "Other")
    rooms = []
    for index in range(5):
        clock.now += 1
        owner = doctor if index % 2 == 0 else other
        rooms.append(await directory.rooms.create(f"Room {4 - index}", [owner.account_id]))

    assert await directory.rooms.page(None, 2) == rooms[:2]
    assert await directory.rooms.page(rooms[1].room_id, 2) == rooms[2:4]
    assert await directory.rooms.page(rooms[4].room_id, 2) == []
    assert await directory.rooms.page("r_unknown", 2) == []
    mine = await directory.rooms.page(None, 10, doctor.account_id)
    assert mine == [rooms[0], rooms[2], rooms[4]]
    assert await directory.rooms.page(rooms[2].room_id, 10, doctor.account_id) == [rooms[4]]
    assert await directory.rooms.all() == list(reversed(rooms)), "all: by name"


async def test_a_closed_room_stays_closed(directory: Directory, clock: Clock) -> None:
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")
    room = await directory.rooms.create("Room", [doctor.account_id])

    closed = await directory.rooms.close(room.room_id)
    clock.now += 60
    again = await directory.rooms.close(room.room_id)

    assert closed.closed and again.closed_at == closed.closed_at == clock.now - 60
    assert await directory.rooms.of(doctor.account_id) == [], "of: open rooms only"
    with pytest.raises(DirectoryError, match="unknown room"):
        await directory.rooms.close("r_unknown")
