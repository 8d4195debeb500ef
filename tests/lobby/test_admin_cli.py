"""`venterom admin`, `ops add` and `apikey` run as processes against a running server's
directory: what they change shows on the server at once (logins, API requests) or within a
sweep (open sockets)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lobby.domain.passwords import hash_api_key
from tests.fixtures.servers import PASSWORD, Client, Harness, Running, socket_refusal

VENTEROM = [sys.executable, "-m", "lobby.interfaces.cli"]
NEW_PASSWORD = "a brand new passphrase"
DISCONNECT_WITHIN = 5.0
"""The promise: a disabled account's open sockets close within seconds."""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def environment(harness: Harness, **extra: str) -> dict[str, str]:
    """The server's settings, as an operator's shell on the same host would have them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTEROM_")}
    env.update(
        VENTEROM_DATA_DIR=str(harness.tmp_path),
        VENTEROM_DATABASE=harness.database,
        VENTEROM_SECRET=harness.secret,
        **extra,
    )
    return env


async def venterom(harness: Harness, *args: str, stdin: str = "", **env: str) -> Result:
    """Run the command as a process; the event loop (and the server on it) keeps running."""
    process = await asyncio.create_subprocess_exec(
        *VENTEROM,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(harness, **env),
    )
    try:
        async with asyncio.timeout(60):
            out, err = await process.communicate(stdin.encode())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def log_in(
    server: Running, username: str, password: str = PASSWORD
) -> tuple[int, Any, aiohttp.ClientSession]:
    """(status, body, session holding the cookie if it worked): close the session."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(
        f"{server.base_url}/api/login", json={"username": username, "password": password}
    ) as response:
        return response.status, await response.json(), http


async def status_of(http: aiohttp.ClientSession, url: str, **headers: str) -> int:
    async with http.get(url, headers=headers) as response:
        return response.status


def watch_disconnect(client: Client) -> None:
    """Record the server closing the socket as a `disconnect` event (`*` does not see it)."""
    client.sio.on(
        "disconnect",
        lambda *reason: client.events.append(("disconnect", reason)),
        namespace=client.namespace,
    )


async def refused_like_a_wrong_password(server: Running, username: str) -> None:
    status, body, http = await log_in(server, username)
    await http.close()
    wrong_status, wrong_body, http = await log_in(server, username, "not the password at all")
    await http.close()
    assert status == wrong_status == 401
    assert body == wrong_body, "a disabled account looks like a wrong password"


async def test_disable_closes_the_open_socket_within_five_seconds(harness: Harness) -> None:
    server = await harness.server(sweep_interval=1.0)  # the default
    await harness.room(await harness.clinician("doctor"), await harness.clinician("colleague"))
    doctor = await harness.clinician_client(server, "doctor")
    colleague = await harness.clinician_client(server, "colleague")
    for client in (doctor, colleague):
        watch_disconnect(client)

    disabled = await venterom(harness, "admin", "disable", "doctor")
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout == "doctor: account disabled\n"
    began = time.monotonic()
    await doctor.wait_for("disconnect", timeout=DISCONNECT_WITHIN)
    assert time.monotonic() - began < DISCONNECT_WITHIN
    assert not doctor.sio.connected
    assert colleague.sio.connected and not colleague.received("disconnect"), "only theirs"
    assert await status_of(doctor.http, f"{server.base_url}/api/me") == 401
    assert await socket_refusal(server, doctor.http, "/clinician") == [
        {"message": "unauthenticated"}
    ]
    await refused_like_a_wrong_password(server, "doctor")

    enabled = await venterom(harness, "admin", "enable", "doctor")
    assert enabled.returncode == 0, enabled.stderr
    again = await harness.clinician_client(server, "doctor")
    assert again.sio.connected
    assert await status_of(again.http, f"{server.base_url}/api/me") == 200
    assert await status_of(doctor.http, f"{server.base_url}/api/me") == 401, "old one stays void"


async def test_reset_password_ends_sessions_and_only_the_new_one_works(harness: Harness) -> None:
    server = await harness.server()
    await harness.room(await harness.clinician("doctor"))
    doctor = await harness.clinician_client(server, "doctor")
    watch_disconnect(doctor)

    reset = await venterom(
        harness, "admin", "reset-password", "doctor", "--password-stdin", stdin=NEW_PASSWORD + "\n"
    )
    assert reset.returncode == 0, reset.stderr
    await doctor.wait_for("disconnect", timeout=DISCONNECT_WITHIN)
    assert await status_of(doctor.http, f"{server.base_url}/api/me") == 401
    assert await socket_refusal(server, doctor.http, "/clinician") == [
        {"message": "unauthenticated"}
    ]
    status, _, http = await log_in(server, "doctor")
    await http.close()
    assert status == 401, "the old password no longer works"
    # The same browser logs in with the new password: that session is not void, and its
    # socket outlives several sweeps.
    async with doctor.http.post(
        f"{server.base_url}/api/login", json={"username": "doctor", "password": NEW_PASSWORD}
    ) as response:
        assert response.status == 200
    assert await status_of(doctor.http, f"{server.base_url}/api/me") == 200
    fresh = await harness.reconnect(server, doctor)
    watch_disconnect(fresh)
    await asyncio.sleep(0.5)  # five sweeps at 0.1 s
    assert fresh.sio.connected and not fresh.received("disconnect")


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_ops_add_creates_an_account_that_logs_in_to_figures(harness: Harness) -> None:
    server = await harness.server()
    added = await venterom(harness, "ops", "add", "ivar", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("ops ivar added (c_")
    status, body, http = await log_in(server, "ivar")
    try:
        assert status == 200 and body["account"]["role"] == "ops"
        assert await status_of(http, f"{server.base_url}/api/ops/summary") == 200
    finally:
        await http.close()


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_admin_list_shows_roles_and_states(harness: Harness) -> None:
    doctor = await harness.clinician("doctor")
    ops = await harness.ops("watcher")
    await harness.directory.accounts.set_disabled(doctor, True)
    listed = await venterom(harness, "admin", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t") for line in listed.stdout.splitlines()] == [
        ["doctor", "clinician", "disabled", doctor],
        ["watcher", "ops", "active", ops],
    ]
    assert "$argon2" not in listed.stdout, "no password hashes"


@pytest.mark.parametrize("store_kind", ["memory"])
@pytest.mark.parametrize(
    "args", [("disable",), ("enable",), ("reset-password", "--password-stdin")]
)
async def test_an_unknown_username_is_a_clear_error(
    harness: Harness, args: tuple[str, ...]
) -> None:
    await harness.clinician("doctor")
    # No password is given: reset-password must refuse the name before asking for one.
    result = await venterom(harness, "admin", args[0], "nobody", *args[1:])
    assert result.returncode == 1
    assert result.stderr == "venterom: no account named 'nobody'\n"
    assert result.stdout == ""
    account = await harness.directory.accounts.by_username("doctor")
    assert account is not None and not account.disabled and account.sessions_after == 0


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_an_api_key_from_the_cli_works_until_revoked(harness: Harness) -> None:
    server = await harness.server()
    await harness.room(await harness.clinician("doctor"))
    created = await venterom(harness, "apikey", "create", "sched", "--scope", "rooms:read")
    assert created.returncode == 0, created.stderr
    first, *rest = created.stdout.splitlines()
    key_id, secret = first.split("\t")
    assert key_id.startswith("k_") and secret.startswith("vtr_")
    assert secret not in "\n".join(rest), "printed once"

    rooms_url = f"{server.base_url}/api/v1/rooms"
    bearer = {"Authorization": f"Bearer {secret}"}
    async with aiohttp.ClientSession() as http:
        assert await status_of(http, rooms_url, **bearer) == 200
        listed = await venterom(harness, "apikey", "list")
        assert listed.returncode == 0, listed.stderr
        fields = listed.stdout.strip().split("\t")
        assert fields[:4] == [key_id, "sched", "rooms:read", "active"]
        assert fields[4] != "never used", "the request was seen"
        assert secret not in listed.stdout
        stored = b"".join(p.read_bytes() for p in Path(harness.tmp_path).glob("directory.db*"))
        assert secret.encode() not in stored, "the key is not in the database"
        assert hash_api_key(secret).encode() in stored, "its hash is"

        revoked = await venterom(harness, "apikey", "revoke", key_id)
        assert revoked.returncode == 0, revoked.stderr
        assert revoked.stdout == f"{key_id} revoked\n"
        assert await status_of(http, rooms_url, **bearer) == 401, "refused at once"
    listed = await venterom(harness, "apikey", "list")
    assert listed.stdout.split("\t")[3] == "revoked"


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_unknown_scope_or_key_is_refused(harness: Harness) -> None:
    bad_scope = await venterom(harness, "apikey", "create", "sched", "--scope", "rooms:admin")
    assert bad_scope.returncode == 2
    assert "invalid choice: 'rooms:admin'" in bad_scope.stderr
    assert await harness.directory.api_keys.all() == []
    unknown = await venterom(harness, "apikey", "revoke", "k_nothere")
    assert unknown.returncode == 1
    assert unknown.stderr == "venterom: no API key 'k_nothere'\n"
