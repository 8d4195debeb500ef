"""Demo data for `make run`: a clinician with a fresh password, a room, an invitation."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lobby.adapters.directory import Directory
from lobby.domain.model import Role
from lobby.domain.passwords import hash_password, new_secret
from lobby.services.scheduling import invite
from lobby.settings import Settings

DEMO_USERNAME = "demo"
DEMO_ROOM = "Demo: Poliklinikk for voksne"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    room_id: str
    link: str


async def seed(directory: Directory, settings: Settings, secret: str) -> DemoLogin:
    password = new_secret(9)
    clinician = await directory.accounts.by_username(DEMO_USERNAME)
    if clinician is None:
        clinician = await directory.accounts.add(
            DEMO_USERNAME, hash_password(password), "Demo Lege"
        )
    else:
        await directory.accounts.set_password(clinician.account_id, hash_password(password))
    rooms = await directory.rooms.of(clinician.account_id)
    room = (
        rooms[0]
        if rooms
        else await directory.rooms.create(
            DEMO_ROOM,
            [clinician.account_id],
            clinic_name="Demo DPS, poliklinikken",
            clinic_phone="+47 51 00 00 00",
            support_phone="+47 51 00 00 01",
        )
    )
    now = time.time()
    issued = await invite(directory, settings, secret, room.room_id, Role.PATIENT, now, now + 1800)
    return DemoLogin(DEMO_USERNAME, password, room.room_id, issued.link)
