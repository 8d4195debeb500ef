"""The audit stream: who (an id or a pseudonym) did what security-relevant act, and when,
from a real server and a real command line writing one file; and nobody's name, address,
token, key or password in it, nor in the application log."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lobby.adapters.audit import EVENTS
from lobby.adapters.directory import Account, Directory
from lobby.domain.passwords import hash_password
from lobby.logs import JsonFormatter
from tests.fixtures.servers import JOIN_DETAILS, PASSWORD, Client, Harness, Running

VENTEROM = [sys.executable, "-m", "lobby.interfaces.cli"]
DOCTOR = ("solveig.sentinel", "Dr Solveig Vardøhus")
LOCUM = ("tor.sentinel", "Tor Locumsen")
UNKNOWN, OTHER_UNKNOWN = "ghost.sentinel", "phantom.sentinel"
GUESTS = ("Sentinella Nordkapp", "Ragnhild Sentinelsdatter")
PRESENT = "Ola Sentinelmann (husband)"
EMAIL = "sentinel.patient@example.no"
WRONG_PASSWORD = "sentinel wrong password"
PSEUDONYM = re.compile(r"username:[0-9a-f]{16}")

Record = dict[str, Any]


async def add_account(harness: Harness, username: str, name: str) -> str:
    directory = await harness.ready()
    account = await directory.accounts.add(username, hash_password(PASSWORD), name)
    return account.account_id


async def post(
    http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with http.post(url, json=body, headers=headers or {}) as response:
        return response.status, await response.json()


async def join(harness: Harness, server: Running, room: str, name: str) -> tuple[Client, str, str]:
    """A guest who opens their link and waits: (client, visit id, invitation token)."""
    token = await harness.invite(room)
    guest = await harness.guest(server, token)
    ack = await guest.call("join", {**JOIN_DETAILS, "display_name": name, "present": [PRESENT]})
    assert ack["ok"], ack
    return guest, str(ack["visit"]["visit_id"]), token


async def disable_by_cli(harness: Harness, username: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTEROM_")}
    env.update(
        VENTEROM_DATA_DIR=str(harness.tmp_path),
        VENTEROM_DATABASE=harness.database,
        VENTEROM_SECRET=harness.secret,
    )
    process = await asyncio.create_subprocess_exec(
        *VENTEROM, "admin", "disable", username, env=env, stdout=asyncio.subprocess.DEVNULL
    )
    assert await asyncio.wait_for(process.wait(), 60) == 0


def read_audit(path: Path) -> list[Record]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        records.append(record)
    return records


def only(records: list[Record], event: str, actor: str) -> Record:
    found = [r for r in records if r["event"] == event and r["actor"] == actor]
    assert len(found) == 1, (event, actor, records)
    return found[0]


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_the_audit_stream_names_acts_by_id_and_nobody_by_name(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    began = time.time()
    server = await harness.server()
    doctor_id, locum_id = (
        await add_account(harness, *DOCTOR),
        await add_account(harness, *LOCUM),
    )
    room = await harness.room(doctor_id, locum_id, name="Poliklinikk")
    base = server.base_url

    async with aiohttp.ClientSession() as http:
        for username, password in [
            (DOCTOR[0], WRONG_PASSWORD),
            (UNKNOWN, WRONG_PASSWORD),
            (UNKNOWN, PASSWORD),
            (OTHER_UNKNOWN, PASSWORD),
        ]:
            credentials = {"username": username, "password": password}
            assert (await post(http, f"{base}/api/login", credentials))[0] == 401

    doctor = await harness.clinician_client(server, DOCTOR[0])
    locum = await harness.clinician_client(server, LOCUM[0])
    locum.sio.on("disconnect", lambda *_: locum.events.append(("disconnect", None)), "/clinician")
    _, admitted_visit, admitted_token = await join(harness, server, room, GUESTS[0])
    assert (await doctor.call("admit", {"visit_id": admitted_visit}))["ok"]
    _, denied_visit, denied_token = await join(harness, server, room, GUESTS[1])
    deny = {"visit_id": denied_visit, "reason": "not_expected"}
    assert (await doctor.call("deny", deny))["ok"]

    key, key_secret = await harness.directory.api_keys.create(
        "scheduler", frozenset({"rooms:read", "visits:read", "visits:write", "clinical"})
    )
    start = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    bearer = {"Authorization": f"Bearer {key_secret}"}
    async with aiohttp.ClientSession() as http:
        status, created = await post(
            http,
            f"{base}/api/v1/rooms/{room}/visits",
            {"start": start.isoformat(timespec="seconds"), "email": EMAIL},
            bearer,
        )
        assert status == 201, created
        api_visit, api_link = created["visit_id"], created["invitation"]["link"]
        assert api_link and created["email"]["address"] == EMAIL
        status, _ = await post(http, f"{base}/api/v1/visits/{api_visit}/revoke", {}, bearer)
        assert status == 200
        forged = {"Authorization": "Bearer vtr_" + "x" * 40}
        assert (await post(http, f"{base}/api/v1/rooms/{room}/visits", {}, forged))[0] == 401

    await disable_by_cli(harness, LOCUM[0])
    await locum.wait_for("disconnect", timeout=5)
    assert (await post(doctor.http, f"{base}/api/logout", {}))[0] == 200
    ended = time.time()

    records = read_audit(harness.tmp_path / "audit.log")
    assert {r["stream"] for r in records} == {"audit"}
    assert {r["event"] for r in records} <= EVENTS
    stamps = [r["ts"] for r in records]  # to the millisecond
    assert all(began - 0.001 <= ts <= ended + 0.001 for ts in stamps), "stamped when it happened"

    # Who: the account, whether the password was wrong or the name unknown.
    assert only(records, "login_failed", doctor_id)["outcome"] == "unauthenticated"
    unknown = [r["actor"] for r in records if r["event"] == "login_failed"][1:]
    assert len(unknown) == 3 and all(PSEUDONYM.fullmatch(a) for a in unknown), unknown
    assert unknown[0] == unknown[1] != unknown[2], "one name, one pseudonym; another, another"
    login = only(records, "login", doctor_id)
    assert login["role"] == "clinician" and login["client"].startswith("client:")
    only(records, "login", locum_id)
    # What, to which room and visit: admissions and denials by the clinician who did them.
    admit = only(records, "admit", doctor_id)
    assert (admit["room"], admit["visit"]) == (room, admitted_visit)
    refusal = only(records, "deny", doctor_id)
    assert (refusal["visit"], refusal["detail"]) == (denied_visit, "not_expected")
    # The integration: each request by key id, with the route, never the path's values.
    assert only(records, "visit_created", key.key_id)["visit"] == api_visit
    assert only(records, "invitation_revoked", key.key_id)["visit"] == api_visit
    uses = [(r["method"], r["route"], r["status"]) for r in records if r["event"] == "api_key_used"]
    assert uses == [
        ("POST", "/api/v1/rooms/{room_id}/visits", 201),
        ("POST", "/api/v1/visits/{visit_id}/revoke", 200),
    ]
    assert only(records, "api_key_refused", "unknown")["outcome"] == "unknown_key"
    # The command line's act, and the socket it closed on the server.
    disabled = only(records, "account_disabled", "cli")
    assert (disabled["target"], disabled["instance"]) == (locum_id, "cli")
    assert only(records, "session_closed", locum_id)["outcome"] == "account_changed"
    only(records, "logout", doctor_id)
    order = [r["event"] for r in records]
    assert order.index("account_disabled") < order.index("session_closed")

    secrets = [
        *DOCTOR,
        *LOCUM,
        UNKNOWN,
        OTHER_UNKNOWN,
        *GUESTS,
        PRESENT,
        "Sentinelmann",
        EMAIL,
        admitted_token,
        denied_token,
        admitted_token.split(".")[-1],
        api_link,
        api_link.split("#")[-1],
        key_secret,
        PASSWORD,
        WRONG_PASSWORD,
        "127.0.0.1",
    ]
    audit_text = (harness.tmp_path / "audit.log").read_text(encoding="utf-8").lower()
    formatter = JsonFormatter()
    app_log = "\n".join(formatter.format(r) for r in caplog.records).lower()
    assert "closed staff sockets of ended sessions" in app_log, "the log was captured"
    for secret in secrets:
        assert secret.lower() not in audit_text, f"{secret!r} in the audit stream"
        assert secret.lower() not in app_log, f"{secret!r} in the application log"


def test_audit_log_dash_keeps_the_stream_apart_from_the_commands_answer(tmp_path: Path) -> None:
    """`-` is standard output for the server; the command line writes the stream to
    standard error instead, so that `$(venterom room create …)` is still just the id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTEROM_")}
    env.update(VENTEROM_DATA_DIR=str(tmp_path), VENTEROM_AUDIT_LOG="-")
    result = subprocess.run(
        [*VENTEROM, "ops", "add", "ivar.sentinel", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (said,) = result.stdout.splitlines()
    (audit_line,) = result.stderr.splitlines()
    record = json.loads(audit_line)
    account_id = said.removeprefix("ops ivar.sentinel added (").removesuffix(")")
    assert record["stream"] == "audit"
    assert (record["event"], record["actor"], record["outcome"]) == ("account_created", "cli", "ok")
    assert (record["target"], record["role"]) == (account_id, "ops")
    assert "ivar" not in audit_line
    assert not (tmp_path / "audit.log").exists(), "no file when the stream goes to a stream"


def test_a_change_that_cannot_be_audited_is_not_made(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    unwritable = tmp_path / "not-a-folder" / "audit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTEROM_")}
    env.update(VENTEROM_DATA_DIR=str(tmp_path), VENTEROM_AUDIT_LOG=str(unwritable))
    result = subprocess.run(
        [*VENTEROM, "clinician", "add", "anna", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"venterom: cannot write the audit stream to {unwritable}: ")
    assert "Traceback" not in result.stderr
    assert asyncio.run(_accounts(str(tmp_path / "venterom.db"))) == [], "no account was added"


async def _accounts(database: str) -> list[Account]:
    async with Directory(database) as directory:
        return await directory.accounts.all()
