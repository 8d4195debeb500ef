"""Redis round trips counted where they start: in the server's own Redis clients.

`install(app)` (lobby servers only) wraps the presence store's own connection's
`RespProtocol.write` (the commands one turn of the event loop wrote together: one round
trip), redis-py asyncio's `Redis.execute_command` (one command, or one script call, is one
request and one reply) and `Pipeline.execute` (a whole pipeline is written at once and its
replies read together: one round trip), labelling each like `redis_cost.label` does, and
serves the running counts at GET /_bench/redis_trips.

This is exact where `MONITOR` can only guess: MONITOR shows when Redis *started* each
command, so the commands of one pipeline look like separate round trips whenever one of them
takes longer than the guessing gap (a PUBLISH of a lobby to a subscriber takes ~150 µs).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from redis.asyncio.client import Pipeline, Redis

from lobby.adapters.presence.redis import liveness, sessions, visits_lua
from lobby.adapters.presence.redis.keys import DEFAULT_PREFIX
from lobby.adapters.resp_protocol import Queued, RespProtocol

SCRIPTS = {
    hashlib.sha1(text.encode()).hexdigest(): name  # noqa: S324 (Redis script ids are SHA-1)
    for name, text in (
        ("save", visits_lua.SAVE_SCRIPT),
        ("room", visits_lua.ROOM_SCRIPT),
        ("reconnecting", visits_lua.RECONNECTING_SCRIPT),
        ("kept", liveness.KEPT_SCRIPT),
        ("session_visit", sessions.SESSION_VISIT_SCRIPT),
        ("heartbeats", liveness.HEARTBEAT_SCRIPT),
        ("changed", visits_lua.CHANGED_SCRIPT),
    )
}


def label(args: Iterable[Any]) -> str:
    """What a command did: the command and the kind of key (or which script)."""
    words = [a.decode() if isinstance(a, bytes) else str(a) for a in args]
    command = words[0].lower() if words else "?"
    if command in {"evalsha", "eval"}:
        return f"evalsha {SCRIPTS.get(words[1], 'unknown') if len(words) > 1 else '?'}"
    if command in {"publish", "multi", "exec"} or len(words) < 2:
        return command
    key, prefix = words[1], DEFAULT_PREFIX
    kind = key.removeprefix(prefix).split(":")[0] if key.startswith(prefix) else "other"
    return f"{command} {kind}"


def pipeline_label(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    counts = Counter(labels)
    return f"pipeline({', '.join(f'{k} x{n}' if n > 1 else k for k, n in sorted(counts.items()))})"


Head = tuple[Any, ...]
"""A command's name and first argument: enough to label it, cheap to keep."""

_RAW: Counter[Head | tuple[Head, ...]] = Counter()
"""Round trips as they happened: a command's head, or a pipeline's tuple of heads. Labels
are made only when asked for, so counting costs the measured server next to nothing."""


def counts() -> Counter[str]:
    """Round trips so far, by label."""
    labelled: Counter[str] = Counter()
    for trip, n in _RAW.items():
        if trip and isinstance(trip[0], tuple):
            labelled[pipeline_label([label(head) for head in trip])] += n
        else:
            labelled[label(trip)] += n
    return labelled


def reset() -> None:
    _RAW.clear()


def _count_commands(original: Callable[..., Any]) -> Callable[..., Any]:
    async def execute_command(self: Redis, *args: Any, **options: Any) -> Any:
        _RAW[args[:2]] += 1
        return await original(self, *args, **options)

    return execute_command


def _count_pipelines(original: Callable[..., Any]) -> Callable[..., Any]:
    async def execute(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        if self.command_stack:
            _RAW[tuple(command[:2] for command, _ in self.command_stack)] += 1
        return await original(self, *args, **kwargs)

    return execute


def _count_writes(original: Callable[..., Any]) -> Callable[..., Any]:
    def write(self: RespProtocol, batch: list[Queued]) -> None:
        heads = tuple(command[:2] for command, _, _ in batch)
        _RAW[heads[0] if len(heads) == 1 else heads] += 1
        original(self, batch)

    return write


async def _trips(request: web.Request) -> web.Response:
    return web.json_response(dict(counts()))


def install(app: web.Application) -> None:
    # Pipeline overrides execute_command (it queues), so only direct commands count there.
    Redis.execute_command = _count_commands(Redis.execute_command)  # type: ignore[method-assign]
    Pipeline.execute = _count_pipelines(Pipeline.execute)  # type: ignore[method-assign]
    RespProtocol.write = _count_writes(RespProtocol.write)  # type: ignore[method-assign]
    app.router.add_get("/_bench/redis_trips", _trips)
