"""Instances on several hosts: each with a data folder of its own, sharing one PostgreSQL
(the directory) and one Redis (presence and broadcasts)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.fixtures.servers import JOIN_DETAILS, PASSWORD, Harness, lobby_with, visit_in


async def venterom(env: dict[str, str], *args: str, stdin: str = "") -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lobby.interfaces.cli", *args,
        env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode == 0, err.decode()
    return out.decode().strip()


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_clinician_made_through_one_instance_logs_in_and_admits_on_the_other(
    tmp_path: Path, redis_url: str, postgres_url: str
) -> None:
    harness = Harness(tmp_path, redis_url, database_url=postgres_url)
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"
    try:
        a = await harness.server(data_dir=host_a)
        b = await harness.server(data_dir=host_b)
        env_a = {k: v for k, v in os.environ.items() if not k.startswith("VENTEROM_")}
        env_a |= {
            "VENTEROM_DATA_DIR": str(host_a),
            "VENTEROM_DATABASE_URL": postgres_url,
            "VENTEROM_SECRET": harness.secret,
            "VENTEROM_PUBLIC_URL": a.base_url,
        }
        await venterom(env_a, "clinician", "add", "doctor", "--password-stdin", stdin=PASSWORD)
        room = await venterom(env_a, "room", "create", "Poliklinikk", "--owner", "doctor")
        link = await venterom(env_a, "invite", room)

        guest = await harness.guest(a, link.split("#", 1)[1])
        visit_id = (await guest.call("join", JOIN_DETAILS))["visit"]["visit_id"]
        clinician = await harness.clinician_client(b, "doctor")  # the password, checked on B
        await clinician.wait_for("lobby", lobby_with(room, 1))
        assert (await clinician.call("admit", {"visit_id": visit_id}))["ok"]
        await guest.wait_for("visit", visit_in("in_call"))
    finally:
        await harness.close()

    assert not list(host_a.glob("*.db")) and not list(host_b.glob("*.db")), "no SQLite file"
