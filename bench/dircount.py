"""Directory statements counted where they start: in the server's own database object.

`install(app)` (lobby servers only) wraps both backends' `one` and `all` (a read: one
statement and its rows) and `execute` and `executemany` (a write), labelling each by what it
did and to which table, and serves the running counts at GET /_bench/directory. A read the
directory answers from a cache never reaches these methods, so it is not counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from lobby.adapters.directory.postgres import PostgresDatabase
from lobby.adapters.directory.sqlite import SqliteDatabase

READS = ("one", "all")
WRITES = ("execute", "executemany")
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)

_RAW: Counter[tuple[str, str]] = Counter()
"""(method, SQL) -> calls. Labels are made only when asked for."""


def label(method: str, sql: str) -> str:
    """`read rooms`, `write visits`: the kind of call and the statement's first table."""
    kind = "read" if method in READS else "write"
    found = _TABLE.search(sql)
    return f"{kind} {found.group(1).lower() if found else '?'}"


def counts() -> Counter[str]:
    """Statements so far, by label."""
    labelled: Counter[str] = Counter()
    for (method, sql), n in _RAW.items():
        labelled[label(method, sql)] += n
    return labelled


def reads(labelled: Counter[str]) -> int:
    return sum(n for name, n in labelled.items() if name.startswith("read "))


def reset() -> None:
    _RAW.clear()


def _counted(method: str, original: Callable[..., Any]) -> Callable[..., Any]:
    async def call(self: object, sql: str, *args: Any, **kwargs: Any) -> Any:
        _RAW[method, sql] += 1
        return await original(self, sql, *args, **kwargs)

    return call


async def _route(request: web.Request) -> web.Response:
    return web.json_response(dict(counts()))


def install(app: web.Application) -> None:
    for backend in (PostgresDatabase, SqliteDatabase):
        for method in (*READS, *WRITES):
            setattr(backend, method, _counted(method, getattr(backend, method)))
    app.router.add_get("/_bench/directory", _route)
