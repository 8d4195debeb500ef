"""What every benchmark shares: the scale, the seeded directory, the CPUs, and helpers that
start servers (stopped by the caller's exit stack) and bring guests and clinicians in."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.clients import (
    Arrival,
    Clinician,
    Guest,
    Load,
    arrival_failures,
    arrive,
    bounded,
    connect_clinician,
    error_name,
)
from bench.config import Scale
from bench.pg import Postgres
from bench.procs import Cores, RedisProcess, ServerProcess
from bench.report import Result
from bench.seed import Seeded, SeededVisit, seed
from lobby.adapters.directory.db import is_postgres

SETUP_DEADLINE = 300.0


@dataclass
class Context:
    scale: Scale
    workdir: Path
    cores: Cores
    versions: dict[str, str]
    secret: str
    profile_dir: Path | None = None
    """When set, every server is sampled by py-spy into this folder."""
    verbose: bool = False
    experiments: tuple[str, ...] = ()
    """Proposed fixes patched into every lobby server (bench.experiments); none by default."""
    started: float = field(default_factory=time.monotonic)

    _seeded: Seeded | None = None
    _postgres: Postgres | None = None

    @property
    def seeded(self) -> Seeded:
        """The current scenario's directory (see `scenario`)."""
        if self._seeded is None:
            raise RuntimeError("no scenario seeded yet")
        return self._seeded

    async def scenario(self, name: str, per_room: Sequence[int], postgres: bool = False) -> Seeded:
        """Seed a fresh directory for a scenario (a SQLite file, or with `postgres` a new
        database on the run's PostgreSQL cluster); servers started next use it."""
        started = time.monotonic()
        if postgres:
            database = await self.postgres().database()
        else:
            database = str(self.workdir / f"{name}.db")
        self._seeded = await seed(
            database,
            self.workdir,
            self.secret,
            self.scale.rooms,
            per_room,
            self.scale.rooms_per_clinician,
        )
        self.say(
            f"{name}: seeded {sum(map(len, self._seeded.by_room.values()))} invitations "
            f"in {time.monotonic() - started:.1f} s"
        )
        return self._seeded

    def say(self, message: str) -> None:
        """Progress on stderr (with --verbose)."""
        if self.verbose:
            print(
                f"[{time.monotonic() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True
            )

    def result(self, name: str, title: str) -> Result:
        result = Result(name=name, title=title, quick=self.scale.quick, versions=self.versions)
        if self.experiments:
            result.notes.append(f"EXPERIMENT (patched server): {', '.join(self.experiments)}")
        return result

    def lobby(
        self,
        stack: contextlib.ExitStack,
        name: str,
        redis_url: str = "",
        channel: str = "",
        instance_id: str = "",
    ) -> ServerProcess:
        """Start a Venterom server on the seeded directory (memory store unless redis_url)."""
        database = self.seeded.database
        data_dir = self.workdir
        if is_postgres(database):
            # As on several hosts: each instance has a data folder of its own.
            data_dir = self.workdir / f"data-{name}"
            data_dir.mkdir(exist_ok=True)
        env = {
            "VENTEROM_DATA_DIR": str(data_dir),
            "VENTEROM_DATABASE": "" if is_postgres(database) else database,
            "VENTEROM_DATABASE_URL": database if is_postgres(database) else "",
            "VENTEROM_SECRET": self.secret,
            "VENTEROM_REDIS_URL": redis_url,
            "VENTEROM_REDIS_CHANNEL": channel or f"venterom-bench-{uuid.uuid4().hex[:8]}",
            "VENTEROM_INSTANCE_ID": instance_id or name,
            # Every simulated guest comes from 127.0.0.1: the per-address limits would
            # (rightly) refuse them. The benchmarks measure the lobby's own path.
            "VENTEROM_RATE_LIMITS": "0",
            "BENCH_EXPERIMENT": ",".join(self.experiments),
        }
        server = ServerProcess.start(
            "lobby", self.workdir, self.cores, env, name=name, profile_dir=self.profile_dir
        )
        stack.callback(server.stop)
        return server

    def noop(self, stack: contextlib.ExitStack) -> ServerProcess:
        """Start the do-nothing baseline app."""
        server = ServerProcess.start(
            "noop", self.workdir, self.cores, name="noop", profile_dir=self.profile_dir
        )
        stack.callback(server.stop)
        return server

    def postgres(self) -> Postgres:
        """The run's PostgreSQL cluster, started on first use (stopped by `close`)."""
        if self._postgres is None:
            self.say("starting PostgreSQL")
            self._postgres = Postgres.start(self.cores)
        return self._postgres

    def close(self) -> None:
        """Stop what the run shares (the PostgreSQL cluster)."""
        if self._postgres is not None:
            self._postgres.stop()
            self._postgres = None

    def redis(self, stack: contextlib.ExitStack) -> RedisProcess:
        """Start a private redis-server (pinned with the load)."""
        server = RedisProcess.start(self.workdir, self.cores)
        stack.callback(server.stop)
        return server

    def guests(self, visits: Sequence[SeededVisit]) -> list[Guest]:
        return [Guest(v) for v in visits]


async def arrive_all(
    load: Load, guests: Sequence[Guest], concurrency: int, join: bool = True
) -> tuple[list[Arrival], Counter[str]]:
    """Bring guests in (open link, connect, join) with bounded concurrency; count failures."""
    arrivals = await bounded(
        guests, lambda g: arrive(load, g, join=join), concurrency, SETUP_DEADLINE
    )
    return [a for a in arrivals if a is not None and a.ok], arrival_failures(arrivals)


async def clinicians_for(
    load: Load, seeded: Seeded, rooms: set[str], failures: Counter[str]
) -> dict[str, Clinician]:
    """Log in and connect every clinician owning one of `rooms`; by room id.

    A clinician that fails is counted in `failures` and tried once more.
    """

    async def connect(name: str) -> Clinician:
        try:
            return await connect_clinician(load, name, seeded.clinicians[name])
        except Exception as exc:
            failures[f"clinician: {error_name(exc)}"] += 1
            return await connect_clinician(load, name, seeded.clinicians[name])

    connected = await asyncio.gather(*(connect(name) for name in seeded.owners_of(rooms)))
    return {room: c for c in connected for room in c.rooms}
