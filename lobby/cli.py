"""The `venterom` command: serve, and manage clinicians, rooms and invitations."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from lobby import logs
from lobby.accounts import hash_password
from lobby.demo import seed
from lobby.directory import Directory, DirectoryError
from lobby.eventloop import new_event_loop
from lobby.model import Role
from lobby.scheduling import invite
from lobby.secret import server_secret
from lobby.settings import Settings

EXIT_USAGE = 2
EXIT_REFUSED = 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = Settings.from_env(overrides=_overrides(args))
    except ValueError as exc:
        print(f"venterom: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result: int = args.run(args, settings)
        return result
    except (DirectoryError, ValueError) as exc:
        print(f"venterom: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venterom",
        description="Virtual waiting room for video consultations. Every option can also be "
        "set as VENTEROM_<OPTION> in the environment (e.g. VENTEROM_REDIS_URL).",
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--redis-url", help="Redis for presence; empty: in-memory store")
    serve.add_argument("--data-dir", help="folder for the directory database and secret")
    serve.add_argument("--public-url", help="base URL used in invitation links")
    serve.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="create a demo clinician, room and invitation and print them",
    )
    serve.set_defaults(run=_serve)

    clinician = commands.add_parser("clinician", help="manage clinicians")
    clinician_commands = clinician.add_subparsers(title="clinician commands", required=True)
    add = clinician_commands.add_parser("add", help="add a clinician account")
    add.add_argument("username")
    add.add_argument("--name", default="", help="name shown to patients")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    add.add_argument("--data-dir")
    add.set_defaults(run=_clinician_add)

    room = commands.add_parser("room", help="manage rooms")
    room_commands = room.add_subparsers(title="room commands", required=True)
    create = room_commands.add_parser("create", help="create a room owned by clinicians")
    create.add_argument("name")
    create.add_argument(
        "--owner",
        action="append",
        required=True,
        help="username of an owning clinician (repeatable)",
    )
    create.add_argument("--clinic-name", default="")
    create.add_argument("--clinic-phone", default="")
    create.add_argument("--support-phone", default="")
    create.add_argument("--data-dir")
    create.set_defaults(run=_room_create)

    inv = commands.add_parser("invite", help="schedule a visit and print its invitation link")
    inv.add_argument("room_id")
    inv.add_argument("--role", choices=[r.value for r in Role], default=Role.PATIENT.value)
    inv.add_argument("--start", help="appointment start, ISO 8601 (default: now)")
    inv.add_argument("--minutes", type=int, default=30, help="appointment length (default 30)")
    inv.add_argument("--public-url")
    inv.add_argument("--data-dir")
    inv.set_defaults(run=_invite)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    names = ("host", "port", "redis_url", "data_dir", "public_url", "demo")
    values: dict[str, object] = {n: getattr(args, n, None) for n in names}
    if values["data_dir"] is not None:
        values["data_dir"] = Path(str(values["data_dir"]))
    return values


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from lobby.app import create_app  # the server stack loads only for `serve`

    logs.configure(settings.log_level)
    loop = new_event_loop(settings.event_loop)
    try:
        _run_app(create_app(settings), settings, loop)
    finally:
        loop.close()
    return 0


def _run_app(app: web.Application, settings: Settings, loop: asyncio.AbstractEventLoop) -> None:
    if settings.demo:
        directory = Directory(settings.database_path)
        try:
            demo = seed(directory, settings, server_secret(settings))
        finally:
            directory.close()
        print(
            f"\nVenterom is running on {settings.base_url}\n"
            f"  clinician login:  {settings.base_url}/clinician\n"
            f"    username: {demo.username}\n    password: {demo.password}\n"
            f"  invitation link (open in another browser): {demo.link}\n",
            flush=True,
        )
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None, loop=loop)


def _clinician_add(args: argparse.Namespace, settings: Settings) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
    with _directory(settings) as directory:
        clinician = directory.add_clinician(args.username, hash_password(password), args.name)
    print(f"clinician {clinician.username} added ({clinician.clinician_id})")
    return 0


def _room_create(args: argparse.Namespace, settings: Settings) -> int:
    with _directory(settings) as directory:
        owners = []
        for username in args.owner:
            clinician = directory.clinician_by_username(username)
            if clinician is None:
                raise DirectoryError(f"no clinician named {username!r}")
            owners.append(clinician.clinician_id)
        room = directory.create_room(
            args.name,
            owners,
            clinic_name=args.clinic_name,
            clinic_phone=args.clinic_phone,
            support_phone=args.support_phone,
        )
    print(room.room_id)
    return 0


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    start = _parse_time(args.start) if args.start else dt.datetime.now(dt.UTC).timestamp()
    if not 1 <= args.minutes <= 24 * 60:
        raise ValueError("--minutes must be between 1 and 1440")
    with _directory(settings) as directory:
        issued = invite(
            directory,
            settings,
            server_secret(settings),
            args.room_id,
            Role(args.role),
            start,
            start + args.minutes * 60,
        )
    print(issued.link)
    return 0


def _parse_time(text: str) -> float:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--start: {text!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


class _directory:
    def __init__(self, settings: Settings) -> None:
        self._directory = Directory(settings.database_path)

    def __enter__(self) -> Directory:
        return self._directory

    def __exit__(self, *exc: object) -> None:
        self._directory.close()


if __name__ == "__main__":
    sys.exit(main())
