"""Rooms and invitations at the terminal: `room create`, `room list`, and `invite`, which
prints the link and can write the calendar file, show the e-mail and send it."""

from __future__ import annotations

import argparse
import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from lobby.adapters.directory import Directory, DirectoryError, Language, Room
from lobby.adapters.mail.content import InvitationContent, calendar, render
from lobby.domain.model import Role
from lobby.interfaces.cli.common import ACTOR, audit, directory
from lobby.secret import server_secret
from lobby.services.scheduling import IssuedInvitation, invite
from lobby.settings import Settings


def add_commands(commands: Any) -> None:
    room = commands.add_parser("room", help="manage rooms")
    sub = room.add_subparsers(title="room commands", required=True)
    create = sub.add_parser("create", help="create a room owned by clinicians")
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
    create.add_argument("--time-zone", help="IANA time zone (default VENTEROM_TIME_ZONE)")
    create.add_argument("--data-dir")
    create.set_defaults(run=_room_create)
    listing = sub.add_parser("list", help="list rooms (id, name, time zone, open or closed)")
    listing.add_argument("--data-dir")
    listing.set_defaults(run=_room_list)

    inv = commands.add_parser("invite", help="schedule a visit and print its invitation link")
    inv.add_argument("room_id")
    inv.add_argument("--role", choices=[r.value for r in Role], default=Role.PATIENT.value)
    inv.add_argument(
        "--start",
        help="appointment start, ISO 8601 (default: now; without an "
        "offset, in the room's time zone)",
    )
    inv.add_argument("--minutes", type=int, default=30, help="appointment length (default 30)")
    inv.add_argument("--email", help="the guest's e-mail address (kept until the link expires)")
    inv.add_argument("--language", choices=[lang.value for lang in Language], default="nb")
    inv.add_argument("--send", action="store_true", help="e-mail the invitation now (SMTP)")
    inv.add_argument("--ics", type=Path, help="write the calendar file here")
    inv.add_argument("--show-email", action="store_true", help="print the e-mail's text")
    inv.add_argument("--public-url")
    inv.add_argument("--data-dir")
    inv.set_defaults(run=_invite)


async def _room_create(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:
        owners = []
        for username in args.owner:
            account = await opened.accounts.by_username(username)
            if account is None:
                raise DirectoryError(f"no clinician named {username!r}")
            owners.append(account.account_id)
        with audit(settings) as stream:
            room = await opened.rooms.create(
                args.name,
                owners,
                clinic_name=args.clinic_name,
                clinic_phone=args.clinic_phone,
                support_phone=args.support_phone,
                time_zone=args.time_zone or settings.time_zone,
            )
            stream.record("room_created", ACTOR, room=room.room_id)
    print(room.room_id)
    return 0


async def _room_list(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:
        for room in await opened.rooms.all():
            state = "closed" if room.closed else "open"
            print(f"{room.room_id}\t{room.name}\t{room.time_zone}\t{state}")
    return 0


async def _invite(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.minutes <= 24 * 60:
        raise ValueError("--minutes must be between 1 and 1440")
    if args.send and not args.email:
        raise ValueError("--send needs --email")
    language = Language(args.language)
    moment = _parse_time(args.start) if args.start else dt.datetime.now(dt.UTC)
    async with directory(settings) as opened:
        room = await _open_room(opened, args.room_id)
        if moment.tzinfo is None:  # the clinic's wall clock
            moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(room.time_zone))
        start = moment.timestamp()
        with audit(settings) as stream:
            issued = await invite(
                opened,
                settings,
                server_secret(settings),
                room.room_id,
                Role(args.role),
                start,
                start + args.minutes * 60,
                email=args.email,
                language=language,
            )
            stream.record("visit_created", ACTOR, room=room.room_id, visit=issued.visit.visit_id)
        await _extras(args, settings, opened, room, issued, language)
    print(issued.link)
    return 0


async def _extras(
    args: argparse.Namespace,
    settings: Settings,
    opened: Directory,
    room: Room,
    issued: IssuedInvitation,
    language: Language,
) -> None:
    content = InvitationContent(room, issued.visit, issued.link, language)
    if args.ics:
        args.ics.write_bytes(calendar(content, settings.base_url.split("//")[-1].split(":")[0]))
    if args.show_email:
        text = render(content)
        print(f"Subject: {text.subject}\n\n{text.text}")
    if args.send:
        status = await _send(opened, settings, issued.visit.visit_id, language)
        print(f"e-mail: {status}")


async def _send(opened: Directory, settings: Settings, visit_id: str, language: Language) -> str:
    from lobby.services.mailer import Mailer

    mailer = Mailer(opened, settings, server_secret(settings))
    mailer.start()
    try:
        delivery = await mailer.deliver(visit_id, language, settings.smtp_timeout + 5)
    finally:
        await mailer.close()
    detail = f" ({delivery.last_error})" if delivery.last_error else ""
    return f"{delivery.status.value}{detail}"


async def _open_room(opened: Directory, room_id: str) -> Room:
    room = await opened.rooms.get(room_id)
    if room is None:
        raise DirectoryError(f"unknown room {room_id!r}")
    if room.closed:
        raise DirectoryError("the room is closed")
    return room


def _parse_time(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--start: {text!r} is not an ISO 8601 time") from exc
