"""schemathesis (from PyPI) against a real `venterom serve` process with the OpenAPI
document it serves: every check, positive and negative data, and stateful sequences.

422 is an expected answer to schema-valid data: it is how the API says "well-formed, but
impossible" (a time in the past, an unknown owner), which no schema can express.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lobby.adapters.directory import Directory
from lobby.domain.model import Role
from lobby.domain.passwords import hash_password
from lobby.secret import server_secret
from lobby.services.access import SCOPES
from lobby.services.scheduling import IssuedInvitation, invite
from lobby.settings import Settings
from tests.fixtures.servers import PASSWORD, free_port

ST = Path(sys.executable).parent / "st"
EXAMPLES = 40
SEED = 20261206


def _future(minutes: int) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="seconds")


async def _seed(settings: Settings) -> tuple[str, str, IssuedInvitation]:
    async with Directory(settings.database_path) as directory:
        doctor = await directory.accounts.add("doctor", hash_password(PASSWORD), "Doctor")
        room = await directory.rooms.create("Poliklinikk", [doctor.account_id])
        start = time.time() + 600
        issued = await invite(
            directory,
            settings,
            server_secret(settings),
            room.room_id,
            Role.PATIENT,
            start,
            start + 1800,
        )
        _, key = await directory.api_keys.create("schemathesis", frozenset(SCOPES))
    return key, room.room_id, issued


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, str, str]]:
    """(base URL, API key, a room id, a visit id) of a server process on a seeded directory."""
    port = free_port()
    settings = Settings(data_dir=tmp_path, port=port)
    key, room, issued = asyncio.run(_seed(settings))
    env = {
        **os.environ,
        "VENTEROM_DATA_DIR": str(tmp_path),
        "VENTEROM_PORT": str(port),
        # A thousand requests in seconds with one key: the per-key limit would answer most
        # of them 429 (tests/security holds the limits to account).
        "VENTEROM_RATE_LIMITS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "lobby.interfaces.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port)
        yield f"http://127.0.0.1:{port}", key, room, issued.visit.visit_id
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=15)
    assert server.returncode == 0, errors
    # aiohttp itself logs requests it cannot parse (a NUL in a header) with a traceback;
    # nothing of ours may fail.
    ours = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    failures = [e for e in ours if e["level"] == "error" and e["logger"].startswith("venterom")]
    assert not failures, failures


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the server did not start")


def _config(path: Path, room: str, visit: str) -> Path:
    starts = ", ".join(f'"{_future(m)}"' for m in (5, 60, 24 * 60))
    path.write_text(
        f"""
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[dictionaries.rooms]
values = ["{room}"]
[dictionaries.visits]
values = ["{visit}"]
[dictionaries.starts]
values = [{starts}]

[parameters]
"path.room_id" = {{ dictionary = "rooms", probability = 0.8 }}
"path.visit_id" = {{ dictionary = "visits", probability = 0.8 }}
"body.start" = {{ dictionary = "starts", probability = 0.6 }}
"""
    )
    return path


def test_every_schemathesis_check_passes(served: tuple[str, str, str, str], tmp_path: Path) -> None:
    base_url, key, room, visit = served
    config = _config(tmp_path / "schemathesis.toml", room, visit)
    result = subprocess.run(
        [
            str(ST),
            "--config-file",
            str(config),
            "run",
            f"{base_url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "13 selected / 13 total" in result.stdout
