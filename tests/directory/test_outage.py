"""PostgreSQL stopped under a running instance: what needs the directory answers
`unavailable` (HTTP 503), never a 500 or a false success, and works again once the
database is back, without restarting the instance."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.fixtures.postgres_server import PostgresServer, start_postgres, stop_postgres
from tests.fixtures.servers import PASSWORD, Harness

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A cluster of this test's own: the test stops and starts it."""
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


def pg_ctl(server: PostgresServer, *args: str) -> None:
    data = str(server.folder / "data")
    log = str(server.folder / "postgres.log")
    subprocess.run(
        server.command("pg_ctl", *args, "-D", data, "-l", log, "-w", "-t", "30"),
        cwd=server.folder,
        capture_output=True,
        timeout=60,
        check=True,
    )


async def log_in(http: aiohttp.ClientSession, base_url: str) -> tuple[int, str]:
    async with http.post(
        f"{base_url}/api/login", json={"username": "doctor", "password": PASSWORD}
    ) as response:
        body = await response.json()
        return response.status, str(body.get("error", ""))


async def test_a_stopped_database_is_unavailable_then_back(
    tmp_path: Path, own_postgres: PostgresServer
) -> None:
    options = f"-p {own_postgres.port} -k {own_postgres.folder} -c listen_addresses=127.0.0.1"
    harness = Harness(tmp_path, database_url=own_postgres.url())
    try:
        server = await harness.server()
        await harness.room(await harness.clinician("doctor"))
        doctor = await harness.clinician_client(server, "doctor")
        async with aiohttp.ClientSession() as http:
            assert await log_in(http, server.base_url) == (200, "")
            await harness.directory.close()  # the test's own pool: only the server's is left

            # Its connections cut from under it (a restart, a failover), just before or as
            # requests come: a read tries a fresh connection, so nobody notices.
            admin = await asyncpg.connect(own_postgres.url())
            for pause in (0.0, 0.0, 0.001, 0.005, 0.02, 0.2) * 2:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE pid <> pg_backend_pid() AND datname = current_database()"
                )
                await asyncio.sleep(pause)
                cut = await asyncio.gather(*(log_in(http, server.base_url) for _ in range(4)))
                assert cut == [(200, "")] * 4, (pause, cut)
            await admin.close()

            pg_ctl(own_postgres, "stop", "-m", "fast")
            assert await log_in(http, server.base_url) == (503, "unavailable")
            ack = await doctor.call("lobby", {"room_id": "r_anything"})
            assert ack["error"] == "unavailable", ack

            pg_ctl(own_postgres, "start", "-o", options)
            for _ in range(50):
                if await log_in(http, server.base_url) == (200, ""):
                    break
                await asyncio.sleep(0.2)
            assert await log_in(http, server.base_url) == (200, ""), "back without a restart"
    finally:
        await harness.close()
