"""`venterom serve` (the server) and `venterom db upgrade`, `venterom openapi`."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from aiohttp import web

from lobby import logs
from lobby.adapters.directory import schema
from lobby.demo import DemoLogin, seed
from lobby.eventloop import new_event_loop
from lobby.interfaces.cli.common import directory
from lobby.secret import server_secret
from lobby.settings import Settings


def add_commands(commands: Any) -> None:
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

    db = commands.add_parser("db", help="the directory database")
    db_commands = db.add_subparsers(title="db commands", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply schema migrations (serve does too) to the SQLite file or, with "
        "VENTEROM_DATABASE_URL, to PostgreSQL",
    )
    upgrade.add_argument("--data-dir")
    upgrade.set_defaults(run=_db_upgrade)

    openapi = commands.add_parser("openapi", help="print the integration API's OpenAPI document")
    openapi.set_defaults(run=_openapi)


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
        demo = loop.run_until_complete(_seed_demo(settings))
        print(
            f"\nVenterom is running on {settings.base_url}\n"
            f"  clinician login:  {settings.base_url}/clinician\n"
            f"    username: {demo.username}\n    password: {demo.password}\n"
            f"  invitation link (open in another browser): {demo.link}\n",
            flush=True,
        )
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None, loop=loop)


async def _seed_demo(settings: Settings) -> DemoLogin:
    async with directory(settings) as opened:
        return await seed(opened, settings, server_secret(settings))


async def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    # Opening the directory applies what is missing; say where it stands.
    async with directory(settings) as opened:
        version = await opened.db.version()
        where = opened.db.target
    print(f"directory {where}: schema version {version} (latest {schema.LATEST})")
    return 0


def _openapi(args: argparse.Namespace, settings: Settings) -> int:
    from lobby.interfaces.api import spec

    print(spec.render(), end="")
    return 0
