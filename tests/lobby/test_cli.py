"""The `venterom` command as a person at a terminal uses it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import socketio

from tests.fixtures.servers import JOIN_DETAILS, free_port, wait_until_up

VENTEROM = [sys.executable, "-m", "lobby.interfaces.cli"]


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VENTEROM_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [*VENTEROM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_help_for_every_command(tmp_path: Path) -> None:
    for args in [(), ("serve",), ("clinician", "add"), ("room", "create"), ("invite",)]:
        result = run(tmp_path, *args, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: venterom" in result.stdout


def test_clinician_room_invite(tmp_path: Path) -> None:
    added = run(
        tmp_path,
        "clinician",
        "add",
        "anna",
        "--name",
        "Dr Anna",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    created = run(
        tmp_path,
        "room",
        "create",
        "Poliklinikk 1",
        "--owner",
        "anna",
        "--clinic-phone",
        "+47 51 00 00 00",
    )
    assert created.returncode == 0, created.stderr
    room_id = created.stdout.strip()
    invited = run(
        tmp_path,
        "invite",
        room_id,
        "--role",
        "interpreter",
        "--start",
        "2030-01-02T10:00+01:00",
        "--minutes",
        "45",
    )
    assert invited.returncode == 0, invited.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/join#[\w-]+\.[\w-]+", invited.stdout.strip())
    assert "?" not in invited.stdout, "the token must never be in a query string"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("clinician", "add", "bob", "--password-stdin"), "short\n", "at least"),
        (("room", "create", "Room", "--owner", "nobody"), "", "no clinician named"),
        (("invite", "r_unknown"), "", "unknown room"),
        (("invite", "r_x", "--start", "tomorrow"), "", "not an ISO 8601 time"),
        (("invite", "r_x", "--minutes", "0"), "", "--minutes"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    tmp_path: Path, args: tuple[str, ...], stdin: str, message: str
) -> None:
    result = run(tmp_path, *args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_clinician_is_refused(tmp_path: Path) -> None:
    args = ("clinician", "add", "anna", "--password-stdin")
    assert run(tmp_path, *args, stdin="a long enough password\n").returncode == 0
    again = run(tmp_path, *args, stdin="a long enough password\n")
    assert again.returncode == 1 and "taken" in again.stderr


def test_unknown_command_and_bad_environment(tmp_path: Path) -> None:
    assert run(tmp_path, "frobnicate").returncode == 2
    env = {**os.environ, "VENTEROM_DATA_DIR": str(tmp_path), "VENTEROM_PORT": "eighty"}
    bad = subprocess.run(
        [*VENTEROM, "serve"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert bad.returncode == 2 and "VENTEROM_PORT" in bad.stderr
    env = {**os.environ, "VENTEROM_DATA_DIR": str(tmp_path), "VENTEROM_EVENT_LOOP": "trio"}
    bad = subprocess.run(
        [*VENTEROM, "serve"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert bad.returncode == 2 and "VENTEROM_EVENT_LOOP" in bad.stderr


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
async def test_demo_server_prints_a_working_login_and_invitation(
    tmp_path: Path, event_loop: str
) -> None:
    """What `make run` does: the printed login and link work against the printed server,
    on the default loop and on the standard library's."""
    port = free_port()
    env = {
        **os.environ,
        "VENTEROM_DATA_DIR": str(tmp_path),
        "VENTEROM_DEMO": "1",
        "VENTEROM_PORT": str(port),
        "VENTEROM_EVENT_LOOP": event_loop,
    }
    process = await asyncio.create_subprocess_exec(
        *VENTEROM,
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = ""
        async with asyncio.timeout(30):
            while "invitation link" not in banner:
                banner += (await process.stdout.readline()).decode()
        username = re.search(r"username: (\S+)", banner)
        password = re.search(r"password: (\S+)", banner)
        link = re.search(r"(http://\S+/join#(\S+))", banner)
        assert username and password and link, banner
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await wait_until_up(base)
            login = {"username": username[1], "password": password[1]}
            async with http.post(f"{base}/api/login", json=login) as response:
                assert response.status == 200
                assert (await response.json())["rooms"][0]["name"].startswith("Demo")
            async with http.post(f"{base}/api/guest/session", json={"token": link[2]}) as response:
                assert response.status == 200
                assert (await response.json())["visit"]["state"] == "checking"
            guest = socketio.AsyncClient(reconnection=False)
            cookies = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
            await guest.connect(
                base,
                namespaces=["/guest"],
                transports=["websocket"],
                headers={"Cookie": cookies, "Origin": base},
            )
            joined = await guest.call("join", JOIN_DETAILS, namespace="/guest")
            assert joined["visit"]["state"] == "waiting", joined
            await guest.disconnect()
    finally:
        process.terminate()
        _, logged = await process.communicate()
    chosen = [json.loads(line) for line in logged.decode().splitlines() if "event loop" in line]
    assert [entry["event_loop"] for entry in chosen] == [event_loop]
