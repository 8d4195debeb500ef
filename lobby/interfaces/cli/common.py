"""What the command line's commands share: the directory, the audit stream, passwords."""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from lobby.adapters.audit import Audit
from lobby.adapters.directory import Directory
from lobby.secret import server_secret
from lobby.settings import Settings

ACTOR = "cli"
"""Who the audit stream says acted: a person at the server's terminal."""


@asynccontextmanager
async def directory(settings: Settings) -> AsyncIterator[Directory]:
    """The server's directory (SQLite file or PostgreSQL), migrated if it was behind."""
    async with Directory(settings.directory) as opened:
        yield opened


@contextmanager
def audit(settings: Settings) -> Iterator[Audit]:
    """Opened before any change: what cannot be recorded is not done."""
    secret = server_secret(settings)
    try:
        if settings.audit_path == "-":
            # Standard output carries the command's own answer (a key, a room id).
            stream = Audit(logging.StreamHandler(sys.stderr), secret, "cli")
        else:
            stream = Audit.to(settings.audit_path, secret, "cli")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(
            f"cannot write the audit stream to {settings.audit_path}: {reason}"
        ) from exc
    try:
        yield stream
    finally:
        stream.close()


def read_password(from_stdin: bool, prompt: str = "Password: ") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)
