"""Demo data for `make run`: a clinician with a fresh password, a room, an invitation."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lobby.accounts import hash_password, new_secret
from lobby.directory import Directory
from lobby.model import Role
from lobby.scheduling import invite
from lobby.settings import Settings

DEMO_USERNAME = "demo"
DEMO_ROOM = "Demo: Poliklinikk for voksne"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    room_id: str
    link: str


def seed(directory: Directory, settings: Settings, secret: str) -> DemoLogin:
    password = new_secret(9)
    clinician = directory.clinician_by_username(DEMO_USERNAME)
    if clinician is None:
        clinician = directory.add_clinician(DEMO_USERNAME, hash_password(password), "Demo Lege")
    else:
        directory.set_password(clinician.clinician_id, hash_password(password))
    rooms = directory.rooms_of(clinician.clinician_id)
    room = (
        rooms[0]
        if rooms
        else directory.create_room(
            DEMO_ROOM,
            [clinician.clinician_id],
            clinic_name="Demo DPS, poliklinikken",
            clinic_phone="+47 51 00 00 00",
            support_phone="+47 51 00 00 01",
        )
    )
    now = time.time()
    issued = invite(directory, settings, secret, room.room_id, Role.PATIENT, now, now + 1800)
    return DemoLogin(DEMO_USERNAME, password, room.room_id, issued.link)
