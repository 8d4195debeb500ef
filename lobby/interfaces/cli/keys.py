"""API keys at the terminal: `apikey create` (the key is shown once), `list`, `revoke`."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from lobby.interfaces.cli.common import ACTOR, audit, directory
from lobby.services.access import SCOPES
from lobby.settings import Settings


def add_commands(commands: Any) -> None:
    group = commands.add_parser("apikey", help="manage API keys of the integration API")
    sub = group.add_subparsers(title="apikey commands", required=True)
    create = sub.add_parser("create", help="make a key; it is printed once and stored hashed")
    create.add_argument("name", help="what the key is for, e.g. the scheduling system's name")
    create.add_argument(
        "--scope",
        action="append",
        choices=sorted(SCOPES),
        required=True,
        help="what the key may do (repeatable)",
    )
    create.add_argument("--data-dir")
    create.set_defaults(run=_create)
    listing = sub.add_parser("list", help="list keys (id, name, scopes, state, last use)")
    listing.add_argument("--data-dir")
    listing.set_defaults(run=_list)
    revoke = sub.add_parser("revoke", help="revoke a key: it is refused from now on")
    revoke.add_argument("key_id")
    revoke.add_argument("--data-dir")
    revoke.set_defaults(run=_revoke)


async def _create(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:
        with audit(settings) as stream:
            key, secret = await opened.api_keys.create(args.name, frozenset(args.scope))
            stream.record(
                "api_key_created", ACTOR, target=key.key_id, scopes=" ".join(sorted(key.scopes))
            )
    print(f"{key.key_id}\t{secret}")
    print("Keep the key (the second column) now: it is stored only as a hash.", flush=True)
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:
        for key in await opened.api_keys.all():
            state = "revoked" if key.revoked else "active"
            used = _when(key.last_used) if key.last_used else "never used"
            print(f"{key.key_id}\t{key.name}\t{' '.join(sorted(key.scopes))}\t{state}\t{used}")
    return 0


async def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    async with directory(settings) as opened:
        with audit(settings) as stream:
            key = await opened.api_keys.revoke(args.key_id)
            stream.record("api_key_revoked", ACTOR, target=key.key_id)
    print(f"{key.key_id} revoked")
    return 0


def _when(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="seconds")
