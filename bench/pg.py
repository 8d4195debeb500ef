"""A throwaway PostgreSQL cluster for the benchmarks that put the directory there.

The cluster is the test suite's (`tests.fixtures.postgres_server`: `initdb` in a temporary
folder, no durability, run through `runuser` when we are root): one per harness run, started
on first use, one empty database per scenario, and its processes pinned with the load (like
redis-server), so that the servers' core holds only the servers.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from bench.procs import Cores, pin

if TYPE_CHECKING:
    from tests.fixtures.postgres_server import PostgresServer


@dataclass
class Postgres:
    """A started cluster and the databases made on it."""

    server: PostgresServer
    databases: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, cores: Cores) -> Postgres:
        # Imported here: the module is a pytest plugin, needed only when a cluster is.
        from tests.fixtures import postgres_server

        try:
            server = postgres_server.start_postgres()
        except BaseException as exc:  # the helper fails the way a pytest fixture does
            raise RuntimeError(f"PostgreSQL did not start: {exc}") from None
        started = cls(server)
        started.pin(cores)
        return started

    def pin(self, cores: Cores) -> None:
        """Pin the postmaster and every process it runs (backends fork from it later)."""
        pid_file = self.server.folder / "data" / "postmaster.pid"
        postmaster = int(pid_file.read_text().splitlines()[0])
        for pid in (postmaster, *_children(postmaster)):
            pin(pid, cores.load)

    async def database(self) -> str:
        """The URL of a new, empty database."""
        name = f"bench_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(self.server.url())
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self.databases.append(name)
        return self.server.url(name)

    def stop(self) -> None:
        from tests.fixtures import postgres_server

        with contextlib.suppress(Exception):
            postgres_server.stop_postgres(self.server)


def _children(pid: int) -> list[int]:
    """Direct children of a process (/proc/<pid>/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found
