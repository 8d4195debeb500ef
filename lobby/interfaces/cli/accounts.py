"""Accounts at the terminal: `clinician add`, `ops add`, and the `admin` commands
(list, disable, enable, reset-password). A disabled account's open sockets close within
seconds: each instance checks its staff sockets' accounts every sweep."""

from __future__ import annotations

import argparse
from typing import Any

from lobby.adapters.directory import Account, AccountRole, DirectoryError
from lobby.domain.passwords import hash_password
from lobby.interfaces.cli.common import ACTOR, audit, directory, read_password
from lobby.settings import Settings


def add_commands(commands: Any) -> None:
    for role, what in ((AccountRole.CLINICIAN, "clinician"), (AccountRole.OPS, "ops")):
        group = commands.add_parser(what, help=f"manage {what} accounts")
        sub = group.add_subparsers(title=f"{what} commands", required=True)
        add = sub.add_parser("add", help=f"add a {what} account")
        add.add_argument("username")
        add.add_argument("--name", default="", help="name shown to patients (clinicians)")
        _password_flag(add)
        add.add_argument("--data-dir")
        add.set_defaults(run=_adder(role))

    admin = commands.add_parser("admin", help="administer accounts")
    sub = admin.add_subparsers(title="admin commands", required=True)
    listing = sub.add_parser("list", help="list accounts (username, role, state)")
    listing.add_argument("--data-dir")
    listing.set_defaults(run=_list)
    for name, run, text in (
        ("disable", _disable, "stop an account from logging in; its sessions end at once"),
        ("enable", _enable, "let a disabled account log in again"),
        ("reset-password", _reset, "set a new password; the account's sessions end"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("username")
        if name == "reset-password":
            _password_flag(command)
        command.add_argument("--data-dir")
        command.set_defaults(run=run)


def _password_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )


def _adder(role: AccountRole) -> Any:
    async def add(args: argparse.Namespace, settings: Settings) -> int:
        password_hash = hash_password(read_password(args.password_stdin))
        async with directory(settings) as opened:
            with audit(settings) as stream:
                account = await opened.accounts.add(args.username, password_hash, args.name, role)
                stream.record("account_created", ACTOR, target=account.account_id, role=role.value)
        print(f"{role.value} {account.username} added ({account.account_id})")
        return 0

    return add


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:
        for account in await opened.accounts.all():
            state = "disabled" if account.disabled else "active"
            print(f"{account.username}\t{account.role.value}\t{state}\t{account.account_id}")
    return 0


async def _disable(args: argparse.Namespace, settings: Settings) -> int:
    return await _change(
        args, settings, "account_disabled", lambda d, a: d.accounts.set_disabled(a, True)
    )


async def _enable(args: argparse.Namespace, settings: Settings) -> int:
    return await _change(
        args, settings, "account_enabled", lambda d, a: d.accounts.set_disabled(a, False)
    )


async def _reset(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:  # a mistyped name is refused before the prompt
        _known(await opened.accounts.by_username(args.username), args.username)
    password_hash = hash_password(read_password(args.password_stdin, "New password: "))
    return await _change(
        args, settings, "password_reset", lambda d, a: d.accounts.set_password(a, password_hash)
    )


async def _change(args: argparse.Namespace, settings: Settings, event: str, change: Any) -> int:
    async with directory(settings) as opened:
        with audit(settings) as stream:
            account = _known(await opened.accounts.by_username(args.username), args.username)
            await change(opened, account.account_id)
            stream.record(event, ACTOR, target=account.account_id)
    print(f"{args.username}: {event.replace('_', ' ')}")
    return 0


def _known(account: Account | None, username: str) -> Account:
    if account is None:
        raise DirectoryError(f"no account named {username!r}")
    return account
