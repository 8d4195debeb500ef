"""Seeding a directory file for one scenario: clinicians, rooms and signed invitations.

Done by the harness with lobby.adapters.directory / lobby.services.scheduling before a server
starts. Each
scenario gets its own file holding exactly its visits, all scheduled now: the lobby also
lists today's visits whose guest has not arrived yet, so spare invitations would add work.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from lobby.adapters.directory import Directory
from lobby.domain.model import Role
from lobby.domain.passwords import hash_password
from lobby.services.scheduling import invite
from lobby.settings import Settings

PASSWORD = "benchmark password 1"  # noqa: S105 (a throwaway directory per run)
BYSTANDER = "bystander"
"""A clinician with one room of their own, outside every benchmark's traffic."""


@dataclass(frozen=True, slots=True)
class SeededVisit:
    visit_id: str
    room_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Seeded:
    database: str
    """The directory: a SQLite file's path or a `postgresql://` URL."""
    clinicians: dict[str, list[str]]
    """username -> the rooms they own (in order; the bystander owns one)."""
    rooms: list[str]
    by_room: dict[str, list[SeededVisit]]

    def owners_of(self, room_ids: set[str]) -> list[str]:
        """Usernames owning any of the rooms, in a stable order."""
        return [u for u, rooms in self.clinicians.items() if room_ids & set(rooms)]

    def pick(
        self, count: int, rooms: Sequence[str] | None = None, offset: int = 0
    ) -> list[SeededVisit]:
        """`count` visits taken round-robin over `rooms` (default all): each room's
        `offset`-th visit, then each room's next one, and so on."""
        columns = [self.by_room[r] for r in (rooms or self.rooms)]
        picked = [
            column[k]
            for k in range(offset, max(len(c) for c in columns))
            for column in columns
            if k < len(column)
        ]
        if len(picked) < count:
            raise ValueError(f"only {len(picked)} visits seeded there, {count} wanted")
        return picked[:count]

    def write_tokens(self, path: Path, visits: list[SeededVisit]) -> Path:
        """Write visits as JSON lines for load workers."""
        path.write_text("".join(json.dumps(asdict(v)) + "\n" for v in visits))
        return path


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


async def seed(
    database: str,
    data_dir: Path,
    secret: str,
    rooms: int,
    per_room: Sequence[int],
    rooms_each: int,
) -> Seeded:
    """Create clinicians (`rooms_each` rooms each), `rooms` rooms and a bystander's room,
    and `per_room[i]` invitations for room i (cycling through `per_room`), all now, in the
    directory at `database` (a SQLite file's path or a `postgresql://` URL)."""
    settings = Settings(secret=secret, data_dir=data_dir, database=database)
    async with Directory(database) as directory:
        clinicians: dict[str, list[str]] = {}
        room_ids: list[str] = []
        owner = ""
        for index in range(rooms):
            username = f"clinician{index // rooms_each:03d}"
            if username not in clinicians:
                clinicians[username] = []
                account = await directory.accounts.add(username, _password_hash(), username.title())
                owner = account.account_id
            room = await directory.rooms.create(f"Room {index:03d}", [owner], clinic_name="Clinic")
            clinicians[username].append(room.room_id)
            room_ids.append(room.room_id)
        bystander = await directory.accounts.add(BYSTANDER, _password_hash(), "Bystander")
        own = await directory.rooms.create("Bystander", [bystander.account_id])
        clinicians[BYSTANDER] = [own.room_id]
        start = time.time()
        by_room: dict[str, list[SeededVisit]] = {room_id: [] for room_id in room_ids}
        for index, room_id in enumerate(room_ids):
            for _ in range(per_room[index % len(per_room)]):
                issued = await invite(
                    directory, settings, secret, room_id, Role.PATIENT, start, start + 3600
                )
                by_room[room_id].append(SeededVisit(issued.visit.visit_id, room_id, issued.token))
    return Seeded(database, clinicians, room_ids, by_room)


def spread(count: int, rooms: int) -> list[int]:
    """Visits per room for `count` visits spread evenly over `rooms` (the first get more)."""
    return [count // rooms + (1 if i < count % rooms else 0) for i in range(rooms)]


def load_tokens(path: Path) -> list[SeededVisit]:
    """Read visits written by `Seeded.write_tokens`."""
    return [SeededVisit(**json.loads(line)) for line in path.read_text().splitlines() if line]
