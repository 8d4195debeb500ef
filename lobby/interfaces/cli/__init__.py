"""The `venterom` command: serve, and manage accounts, rooms, invitations and API keys.

Every command reads the same `VENTEROM_*` settings as the server, so it works on the
directory the server uses (the SQLite file, or PostgreSQL with VENTEROM_DATABASE_URL).
Commands that use the directory are coroutines, run here on a fresh event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence
from pathlib import Path

from lobby.adapters.directory import DirectoryError
from lobby.interfaces.cli import accounts, keys, rooms, serve
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
        result = args.run(args, settings)
        code: int = asyncio.run(result) if inspect.iscoroutine(result) else result
        return code
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
    serve.add_commands(commands)
    accounts.add_commands(commands)
    rooms.add_commands(commands)
    keys.add_commands(commands)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    names = ("host", "port", "redis_url", "data_dir", "public_url", "demo")
    values: dict[str, object] = {n: getattr(args, n, None) for n in names}
    if values["data_dir"] is not None:
        values["data_dir"] = Path(str(values["data_dir"]))
    return values
